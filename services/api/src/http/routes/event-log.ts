/**
 * FusionAuth's Event Log API: `GET /api/system/event-log/{id}` and `GET|POST
 * /api/system/event-log/search`. The log is global: a tenant-locked key is refused.
 */
import { Router, type Request, type Response } from 'express';
import { FieldErrors, NotFoundError, type EventLogType } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { eventLogTypes, retrieveEventLog, searchEventLogs, type EventLogCriteria } from '../../application/event-log.js';
import { requireApiKey, requireGlobalKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { isObject, Reader, type JsonObject } from '../input.js';

const MAX_RESULTS = 500;

export function eventLogRouter(ctx: AppContext): Router {
  const router = Router();
  const guard = [requireApiKey('/api/system/event-log'), requireGlobalKey()];

  const search = async (source: JsonObject, res: Response) => {
    res.json(await searchEventLogs(ctx, readCriteria(source)));
  };
  router.post('/api/system/event-log/search', ...guard, async (req, res) => {
    if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const criteria = req.body.search ?? {};
    if (!isObject(criteria)) throw fieldError('search', 'couldNotConvert', '[search] must be an object.');
    await search(criteria, res);
  });
  router.get('/api/system/event-log/search', ...guard, async (req, res) => {
    await search(queryCriteria(req), res);
  });
  router.get('/api/system/event-log/:id', ...guard, async (req, res) => {
    const id = String(req.params.id);
    const entry = /^\d{1,15}$/.test(id) ? await retrieveEventLog(ctx, Number(id)) : undefined;
    if (!entry) throw new NotFoundError(id);
    res.json({ eventLog: entry });
  });
  return router;
}

function readCriteria(source: JsonObject): EventLogCriteria {
  const errors = new FieldErrors();
  const read = new Reader(source, 'search', errors);
  const message = read.string('message');
  const type = read.string('type');
  const start = read.number('start');
  const end = read.number('end');
  const startRow = read.number('startRow') ?? 0;
  const numberOfResults = read.number('numberOfResults') ?? 25;
  if (type !== undefined && !(eventLogTypes as readonly string[]).includes(type)) errors.add('search.type', 'invalid', `The [search.type] must be one of ${eventLogTypes.join(', ')}.`);
  if (!Number.isInteger(startRow) || startRow < 0) errors.add('search.startRow', 'invalid', 'The [search.startRow] must be a whole number of at least 0.');
  if (!Number.isInteger(numberOfResults) || numberOfResults < 1 || numberOfResults > MAX_RESULTS) {
    errors.add('search.numberOfResults', 'invalid', `The [search.numberOfResults] must be a whole number from 1 to ${MAX_RESULTS}.`);
  }
  errors.throwIfAny();
  return { ...(message && { message }), ...(type && { type: type as EventLogType }), ...(start !== undefined && { start }), ...(end !== undefined && { end }), startRow, numberOfResults };
}

/** The GET form: the same criteria as query parameters (numbers as text). */
function queryCriteria(req: Request): JsonObject {
  const criteria: JsonObject = {};
  for (const name of ['message', 'type', 'start', 'end', 'startRow', 'numberOfResults']) {
    const value = req.query[name];
    if (typeof value !== 'string' || value === '') continue;
    criteria[name] = ['message', 'type'].includes(name) ? value : /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return criteria;
}

function fieldError(field: string, rule: string, message: string): HttpError {
  return new HttpError(400, { fieldErrors: { [field]: [{ code: `[${rule}]${field}`, message }] } });
}
