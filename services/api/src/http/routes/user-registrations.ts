/** FusionAuth's Registration API: `/api/user/registration[/{userId}[/{applicationId}]]`. */
import { Router, type Request } from 'express';
import { NotFoundError, ValidationError, patchFormatOf } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { resolveTenant } from '../../application/tenancy.js';
import { issueAccessToken } from '../../application/tokens.js';
import { createRegistration, deleteRegistration, getRegistration, patchRegistration, updateRegistration } from '../../application/user-registrations.js';
import { createUser, findUser, presentUser } from '../../application/users.js';
import { requireApiKey } from '../auth.js';
import { isObject, isUuid, requireBody } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';

export function userRegistrationRouter(ctx: AppContext): Router {
  const router = Router();
  const guard = requireApiKey('/api/user/registration');
  const scope = (req: Request) => ({ ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }), info: requestInfo(req), metadata: requestMetadata(req, req.auth.tenantId) });
  const uuidParam = (req: Request, name: string) => {
    const value = String(req.params[name]);
    if (!isUuid(value)) throw new NotFoundError(value);
    return value.toLowerCase();
  };

  const register = async (req: Request, userId: string | undefined) => {
    const body = requireBody(req.body, 'registration');
    let id = userId;
    let token: string | undefined;
    if (body.user !== undefined && body.user !== null) {
      // User and registration at once: the user is created first, like POST /api/user.
      if (!isObject(body.user)) throw ValidationError.field('user', 'couldNotConvert', '[user] must be an object.');
      const tenant = await resolveTenant(ctx, req.auth.tenantId);
      const created = await createUser(ctx, {
        ...(id && { userId: id }),
        user: body.user,
        sendSetPasswordEmail: body.sendSetPasswordEmail === true,
        skipVerification: body.skipVerification === true,
        disableDomainBlock: body.disableDomainBlock === true,
        tenant,
        info: requestInfo(req),
        metadata: requestMetadata(req, tenant.id),
      });
      id = created.id;
      if (body.sendSetPasswordEmail !== true) {
        const app = (await ctx.readModels.config.Application.get(String((body.registration as Record<string, unknown>).applicationId ?? '').toLowerCase()))?.body;
        token = (await issueAccessToken(ctx, { user: created, tenant, ...(app && { application: app }), authenticationType: 'USER_CREATE', authTime: ctx.now() }).catch(() => undefined))?.token;
      }
    }
    if (!id) throw ValidationError.field('user', 'missing', 'Your request is missing the [user] object or a userId.');
    const registration = await createRegistration(ctx, id, body.registration as Record<string, unknown>, scope(req));
    const view = await findUser(ctx, { id }, undefined);
    return { registration, ...(view && { user: presentUser(view, false) }), ...(token && { token }) };
  };
  router.post('/api/user/registration', guard, async (req, res) => {
    res.json(await register(req, undefined));
  });
  router.post('/api/user/registration/:userId', guard, async (req, res) => {
    const userId = String(req.params.userId);
    if (!isUuid(userId)) throw ValidationError.field('userId', 'invalid', 'The [userId] must be a UUID.');
    res.json(await register(req, userId.toLowerCase()));
  });
  router.get('/api/user/registration/:userId/:applicationId', guard, async (req, res) => {
    res.json({ registration: await getRegistration(ctx, uuidParam(req, 'userId'), uuidParam(req, 'applicationId'), req.auth.tenantId) });
  });
  router.put('/api/user/registration/:userId', guard, async (req, res) => {
    const body = requireBody(req.body, 'registration');
    res.json({ registration: await updateRegistration(ctx, uuidParam(req, 'userId'), body.registration as Record<string, unknown>, scope(req)) });
  });
  router.patch('/api/user/registration/:userId', guard, async (req, res) => {
    const format = patchFormatOf(req.get('content-type'));
    const applicationId = format === 'json-patch' ? String(req.query.applicationId ?? '') : String((isObject(req.body) && isObject(req.body.registration) ? req.body.registration.applicationId : '') ?? '');
    if (!isUuid(applicationId)) throw ValidationError.field('registration.applicationId', 'blank', 'You must specify the [registration.applicationId].');
    res.json({ registration: await patchRegistration(ctx, uuidParam(req, 'userId'), applicationId, req.body, format, scope(req)) });
  });
  router.delete('/api/user/registration/:userId/:applicationId', guard, async (req, res) => {
    await deleteRegistration(ctx, uuidParam(req, 'userId'), uuidParam(req, 'applicationId'), scope(req));
    res.status(200).end();
  });
  return router;
}
