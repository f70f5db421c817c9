/** `GET /api/user/recent-login` and `GET /api/user/{userId}/history`. */
import { Router } from 'express';
import { FieldErrors, NotFoundError } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { recentLogins, userHistory } from '../../application/user-history.js';
import { requireApiKey } from '../auth.js';
import { isUuid } from '../input.js';
import { queryInteger, queryString } from './user-query.js';

export function userMiscRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/api/user/recent-login', requireApiKey('/api/user/recent-login'), async (req, res) => {
    const errors = new FieldErrors();
    const userId = queryString(req, 'userId');
    if (userId !== undefined && !isUuid(userId)) errors.add('userId', 'couldNotConvert', '[userId] must be a UUID.');
    const offset = queryInteger(req, 'offset', errors) ?? 0;
    const limit = queryInteger(req, 'limit', errors) ?? 10;
    if (limit > 1000) errors.add('limit', 'tooLarge', '[limit] may be at most 1000.');
    errors.throwIfAny();
    const logins = await recentLogins(ctx, { ...(userId && { userId }), offset, limit, ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }) });
    res.json({ logins });
  });
  router.get('/api/user/:userId/history', requireApiKey('/api/user'), async (req, res) => {
    const userId = String(req.params.userId);
    if (!isUuid(userId)) throw new NotFoundError(userId);
    const errors = new FieldErrors();
    const offset = queryInteger(req, 'offset', errors) ?? 0;
    const limit = Math.min(queryInteger(req, 'limit', errors) ?? 25, 500);
    errors.throwIfAny();
    res.json(await userHistory(ctx, { userId, offset, limit, ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }) }));
  });
  return router;
}
