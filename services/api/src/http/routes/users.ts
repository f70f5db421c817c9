import { Router, type Request } from 'express';
import { NotFoundError, ValidationError } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { resolveTenant } from '../../application/tenancy.js';
import { createUser, findUser, presentUser } from '../../application/users.js';
import { requireApiKey } from '../auth.js';
import { isUuid, requireBody } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';

export function userRouter(ctx: AppContext): Router {
  const router = Router();
  const guard = requireApiKey('/api/user');

  const create = async (req: Request, userId: string | undefined) => {
    if (userId !== undefined && !isUuid(userId)) throw ValidationError.field('userId', 'invalid', 'The [userId] must be a UUID.');
    const body = requireBody(req.body, 'user');
    const tenant = await resolveTenant(ctx, req.auth.tenantId);
    const applicationId = typeof body.applicationId === 'string' ? body.applicationId : undefined;
    if (applicationId !== undefined && !isUuid(applicationId)) throw ValidationError.field('applicationId', 'couldNotConvert', 'The [applicationId] must be a UUID.');
    const user = await createUser(ctx, {
      ...(userId && { userId }),
      user: body.user as Record<string, unknown>,
      ...(applicationId && { applicationId }),
      sendSetPasswordEmail: body.sendSetPasswordEmail === true,
      skipVerification: body.skipVerification === true,
      tenant,
      info: requestInfo(req),
      metadata: requestMetadata(req, tenant.id),
    });
    return { user };
  };

  router.post('/api/user', guard, async (req, res) => {
    res.json(await create(req, undefined));
  });
  router.post('/api/user/:userId', guard, async (req, res) => {
    res.json(await create(req, String(req.params.userId)));
  });

  router.get('/api/user', guard, async (req, res) => {
    const query = req.query;
    const pick = (name: string) => (typeof query[name] === 'string' && query[name] !== '' ? (query[name] as string) : undefined);
    const email = pick('email');
    const username = pick('username');
    const loginId = pick('loginId');
    if (!email && !username && !loginId) {
      throw ValidationError.general('[missing]', 'Specify a userId, email, username or loginId to retrieve a user.');
    }
    const tenant = await resolveTenant(ctx, req.auth.tenantId);
    const view = await findUser(ctx, { ...(email && { email }), ...(username && { username }), ...(loginId && { loginId }) }, tenant.id);
    if (!view) throw new NotFoundError('user');
    res.json({ user: presentUser(view, true) });
  });

  router.get('/api/user/:userId', guard, async (req, res) => {
    const userId = String(req.params.userId);
    if (!isUuid(userId)) throw new NotFoundError(userId);
    const view = await findUser(ctx, { id: userId }, req.auth.tenantId);
    if (!view) throw new NotFoundError(userId);
    res.json({ user: presentUser(view, true) });
  });
  return router;
}
