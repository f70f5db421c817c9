/** `DELETE /api/user/bulk`, `POST /api/user/import`, `POST /api/user/refresh-token/import`. */
import { Router } from 'express';
import { FieldErrors, ValidationError } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { importRefreshTokens } from '../../application/refresh-token-import.js';
import { resolveTenant } from '../../application/tenancy.js';
import { bulkDeleteUsers } from '../../application/user-deletion.js';
import { importUsers } from '../../application/user-import.js';
import { requireApiKey } from '../auth.js';
import { isObject, isUuid, Reader } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';
import { queryBoolean, queryInteger, queryString, queryValues } from './user-query.js';

export function userBulkRouter(ctx: AppContext): Router {
  const router = Router();

  router.delete('/api/user/bulk', requireApiKey('/api/user/bulk'), async (req, res) => {
    const errors = new FieldErrors();
    const body = isObject(req.body) ? req.body : {};
    const read = new Reader(body, '', errors);
    const userIds = read.stringArray('userIds') ?? queryValues(req, 'userId').concat(queryValues(req, 'userIds'));
    const query = read.string('query') ?? queryString(req, 'query');
    const queryStringValue = read.string('queryString') ?? queryString(req, 'queryString');
    const dryRun = read.boolean('dryRun') ?? queryBoolean(req, 'dryRun', errors) ?? false;
    const hardDelete = read.boolean('hardDelete') ?? queryBoolean(req, 'hardDelete', errors) ?? false;
    const limit = read.number('limit') ?? queryInteger(req, 'limit', errors) ?? 10_000;
    userIds.forEach((id, i) => {
      if (!isUuid(id)) errors.add(`userIds[${i}]`, 'couldNotConvert', `[userIds[${i}]] must be a UUID.`);
    });
    if (!Number.isInteger(limit) || limit < 1) errors.add('limit', 'invalid', '[limit] must be 1 or more.');
    if (userIds.length === 0 && !query && !queryStringValue) errors.add('userIds', 'blank', 'You must specify [userIds], [query] or [queryString].');
    errors.throwIfAny();
    const result = await bulkDeleteUsers(ctx, {
      ...(userIds.length > 0 ? { userIds } : query ? { query } : { queryString: queryStringValue! }),
      dryRun,
      hardDelete,
      limit,
      ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }),
      info: requestInfo(req),
      metadata: requestMetadata(req, req.auth.tenantId),
    });
    res.json(result);
  });

  router.post('/api/user/import', requireApiKey('/api/user/import'), async (req, res) => {
    if (!isObject(req.body)) throw ValidationError.field('users', 'missing', 'Your request is missing the [users] array.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const users = read.array('users');
    const encryptionScheme = read.string('encryptionScheme');
    const factor = read.number('factor');
    const validateDbConstraints = read.boolean('validateDbConstraints') ?? false;
    if (!users) errors.add('users', 'missing', 'Your request is missing the [users] array.');
    errors.throwIfAny();
    const tenantId = req.auth.tenantId ?? firstTenantId(users!);
    const tenant = await resolveTenant(ctx, tenantId);
    await importUsers(ctx, { users: users!, ...(encryptionScheme && { encryptionScheme }), ...(factor !== undefined && { factor }), validateDbConstraints, tenant });
    res.status(200).end();
  });

  router.post('/api/user/refresh-token/import', requireApiKey('/api/user/refresh-token/import'), async (req, res) => {
    if (!isObject(req.body)) throw ValidationError.field('refreshTokens', 'missing', 'Your request is missing the [refreshTokens] array.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const refreshTokens = read.array('refreshTokens');
    const validateDbConstraints = read.boolean('validateDbConstraints') ?? false;
    if (!refreshTokens) errors.add('refreshTokens', 'missing', 'Your request is missing the [refreshTokens] array.');
    errors.throwIfAny();
    const tenant = await resolveTenant(ctx, req.auth.tenantId);
    await importRefreshTokens(ctx, { refreshTokens: refreshTokens!, validateDbConstraints, tenant });
    res.status(200).end();
  });
  return router;
}

/** FusionAuth: `users[x].tenantId` picks the tenant when neither the header nor a locked key does. */
function firstTenantId(users: unknown[]): string | undefined {
  const first = users.find((u) => isObject(u) && isUuid(u.tenantId));
  return first && isObject(first) && isUuid(first.tenantId) ? first.tenantId.toLowerCase() : undefined;
}
