/** `GET|POST /api/system/login-record/search` and `GET|POST /api/system/login-record/export`. */
import { Router, type Request } from 'express';
import { FieldErrors, ValidationError } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { DEFAULT_EXPORT_FORMAT, exportLoginRecordsCsv, formatInstant, isZoneId, searchLoginRecords, type LoginRecordCriteria } from '../../application/login-records.js';
import { requireApiKey } from '../auth.js';
import { isObject, isUuid, Reader, type JsonObject } from '../input.js';
import { zipFiles } from '../zip.js';

/** GET parameters arrive as strings: convert them like FusionAuth does, collecting errors. */
function fromQuery(req: Request, names: { uuid: string[]; number: string[]; boolean: string[]; string: string[] }, errors: FieldErrors): JsonObject {
  const out: JsonObject = {};
  for (const [name, raw] of Object.entries(req.query)) {
    if (typeof raw !== 'string' || raw === '') continue;
    if (names.number.includes(name)) {
      if (!/^-?\d+$/.test(raw)) errors.add(name, 'couldNotConvert', `[${name}] must be a number.`);
      else out[name] = Number(raw);
    } else if (names.boolean.includes(name)) {
      out[name] = raw === 'true';
    } else if (names.uuid.includes(name) || names.string.includes(name)) {
      out[name] = raw;
    }
  }
  return out;
}

function readCriteria(source: JsonObject, prefix: string, errors: FieldErrors): LoginRecordCriteria {
  const read = new Reader(source, prefix, errors);
  const applicationId = read.uuid('applicationId');
  const userId = read.string('userId');
  if (userId !== undefined && !isUuid(userId)) errors.add(prefix ? `${prefix}.userId` : 'userId', 'couldNotConvert', '[userId] must be a UUID.');
  const start = read.number('start');
  const end = read.number('end');
  return { ...(applicationId && { applicationId }), ...(userId && isUuid(userId) && { userId: userId.toLowerCase() }), ...(start !== undefined && { start }), ...(end !== undefined && { end }) };
}

export function loginRecordRouter(ctx: AppContext): Router {
  const router = Router();
  const searchGuard = requireApiKey('/api/system/login-record/search');
  const exportGuard = requireApiKey('/api/system/login-record/export');
  const queryNames = { uuid: ['applicationId', 'userId'], number: ['start', 'end', 'startRow', 'numberOfResults'], boolean: ['retrieveTotal'], string: ['dateTimeSecondsFormat', 'zoneId'] };

  const search = async (req: Request, res: import('express').Response) => {
    const errors = new FieldErrors();
    let source: JsonObject;
    let retrieveTotal: boolean | undefined;
    if (req.method === 'GET') {
      source = fromQuery(req, queryNames, errors);
      retrieveTotal = source.retrieveTotal === true;
    } else {
      if (!isObject(req.body)) throw ValidationError.field('search', 'missing', 'Your request is missing the [search] object.');
      retrieveTotal = new Reader(req.body, '', errors).boolean('retrieveTotal');
      source = new Reader(req.body, '', errors).object('search') ?? {};
    }
    const prefix = req.method === 'GET' ? '' : 'search';
    const criteria = readCriteria(source, prefix, errors);
    const read = new Reader(source, prefix, errors);
    const startRow = read.number('startRow') ?? 0;
    const numberOfResults = read.number('numberOfResults') ?? 25;
    if (startRow < 0) errors.add(prefix ? `${prefix}.startRow` : 'startRow', 'invalid', '[startRow] must not be negative.');
    if (numberOfResults < 0) errors.add(prefix ? `${prefix}.numberOfResults` : 'numberOfResults', 'invalid', '[numberOfResults] must not be negative.');
    errors.throwIfAny();
    res.status(200).json(await searchLoginRecords(ctx, { criteria, startRow, numberOfResults, retrieveTotal: retrieveTotal ?? false, ...(req.auth.tenantId && { tenantId: req.auth.tenantId }) }));
  };
  router.get('/api/system/login-record/search', searchGuard, search);
  router.post('/api/system/login-record/search', searchGuard, search);

  const exportRecords = async (req: Request, res: import('express').Response) => {
    const errors = new FieldErrors();
    let top: JsonObject;
    let criteriaSource: JsonObject;
    if (req.method === 'GET') {
      top = fromQuery(req, queryNames, errors);
      criteriaSource = top;
    } else {
      if (!isObject(req.body)) throw ValidationError.field('criteria', 'missing', 'Your request is missing the [criteria] object.');
      top = req.body;
      criteriaSource = new Reader(req.body, '', errors).object('criteria') ?? {};
    }
    const criteria = readCriteria(criteriaSource, req.method === 'GET' ? '' : 'criteria', errors);
    const read = new Reader(top, '', errors);
    const format = read.string('dateTimeSecondsFormat') ?? DEFAULT_EXPORT_FORMAT;
    const zoneId = read.string('zoneId') ?? ((ctx.config as { reportTimezone?: string }).reportTimezone ?? 'America/Denver');
    if (!isZoneId(zoneId)) errors.add('zoneId', 'invalid', `The zone [${zoneId}] is not a valid time zone.`);
    else {
      try {
        formatInstant(0, format, zoneId);
      } catch {
        errors.add('dateTimeSecondsFormat', 'invalid', `The format [${format}] is not a valid date time format.`);
      }
    }
    errors.throwIfAny();
    const csv = await exportLoginRecordsCsv(ctx, { criteria, format, zoneId, ...(req.auth.tenantId && { tenantId: req.auth.tenantId }) });
    const zip = zipFiles([{ name: 'login_records.csv', content: Buffer.from(csv, 'utf8') }]);
    res.status(200).set('Content-Type', 'application/zip').set('Content-Disposition', 'attachment; filename="login_records.zip"').send(zip);
  };
  router.get('/api/system/login-record/export', exportGuard, exportRecords);
  router.post('/api/system/login-record/export', exportGuard, exportRecords);
  return router;
}

