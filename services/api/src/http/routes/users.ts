/**
 * The User API: create, retrieve (by id, email, username, loginId, verification and change-password
 * ids, and the JWT self form), PUT/PATCH, reactivate, delete. Literal sub-paths (`/search`, `/import`,
 * `/bulk`, …) are routed first, so they never reach `/:userId`.
 */
import { Router, type Request } from 'express';
import { FieldErrors, NotFoundError, ValidationError, patchFormatOf } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { resolveTenant } from '../../application/tenancy.js';
import { issueAccessToken } from '../../application/tokens.js';
import { deactivateUser, hardDeleteUser, reactivateUser } from '../../application/user-deletion.js';
import { createUser, findUser, patchUser, presentUser, updateUser, type UserLookup } from '../../application/users.js';
import { requireApiKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { isObject, isUuid, Reader, requireBody } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';
import { userBulkRouter } from './user-bulk.js';
import { userEmailRouter } from './user-email.js';
import { userMiscRouter } from './user-misc.js';
import { userRegistrationRouter } from './user-registrations.js';
import { queryBoolean, queryString } from './user-query.js';
import { userSearchRouter } from './user-search.js';

/** The create/update request's flags, type-checked. */
function readFlags(body: Record<string, unknown>) {
  const errors = new FieldErrors();
  const read = new Reader(body as never, '', errors);
  const flags = {
    applicationId: read.uuid('applicationId') ?? read.uuid('application'),
    sendSetPasswordEmail: read.boolean('sendSetPasswordEmail') === true,
    skipVerification: read.boolean('skipVerification') === true,
    disableDomainBlock: read.boolean('disableDomainBlock') === true,
  };
  errors.throwIfAny();
  return flags;
}

export function userRouter(ctx: AppContext): Router {
  const router = Router();
  for (const sub of [userSearchRouter(ctx), userBulkRouter(ctx), userEmailRouter(ctx), userRegistrationRouter(ctx), userMiscRouter(ctx)]) router.use(sub);
  const guard = requireApiKey('/api/user');

  const create = async (req: Request, userId: string | undefined) => {
    if (userId !== undefined && !isUuid(userId)) throw ValidationError.field('userId', 'invalid', 'The [userId] must be a UUID.');
    const body = requireBody(req.body, 'user');
    const flags = readFlags(body);
    const tenant = await resolveTenant(ctx, req.auth.tenantId);
    const user = await createUser(ctx, {
      ...(userId && { userId }),
      user: body.user as Record<string, unknown>,
      ...(flags.applicationId && { applicationId: flags.applicationId }),
      sendSetPasswordEmail: flags.sendSetPasswordEmail,
      skipVerification: flags.skipVerification,
      disableDomainBlock: flags.disableDomainBlock,
      tenant,
      info: requestInfo(req),
      metadata: requestMetadata(req, tenant.id),
    });
    // FusionAuth returns a short-lived token for the new user, except when a setup email is sent.
    const token = flags.sendSetPasswordEmail ? undefined : await issueAccessToken(ctx, { user, tenant, authenticationType: 'USER_CREATE', authTime: ctx.now() }).catch(() => undefined);
    return { user: presentUserRecord(user), ...(token && { token: token.token, tokenExpirationInstant: token.tokenExpirationInstant }) };
  };
  const presentUserRecord = (user: Record<string, unknown>) => {
    const { twoFactor, ...rest } = user as { twoFactor?: { methods?: Record<string, unknown>[] } };
    if (!twoFactor?.methods) return user;
    return { ...rest, twoFactor: { ...twoFactor, methods: twoFactor.methods.map(({ sealedSecret: _s, ...m }) => m) } };
  };

  router.post('/api/user', guard, async (req, res) => {
    res.json(await create(req, undefined));
  });
  router.post('/api/user/:userId', guard, async (req, res) => {
    res.json(await create(req, String(req.params.userId)));
  });

  router.get('/api/user', async (req, res) => {
    const lookup: UserLookup = {};
    for (const name of ['email', 'username', 'loginId', 'verificationId', 'changePasswordId'] as const) {
      const value = queryString(req, name);
      if (value) lookup[name] = value;
    }
    // The JWT self form: no parameters, `Authorization: Bearer <jwt>`.
    if (!req.auth.apiKey && req.auth.bearer && Object.keys(lookup).length === 0) {
      const claims = await ctx.signingKeys.verify(req.auth.bearer);
      if (!claims || typeof claims.sub !== 'string') throw HttpError.unauthorized();
      const view = await findUser(ctx, { id: claims.sub }, typeof claims.tid === 'string' ? claims.tid : undefined);
      if (!view) throw new NotFoundError(claims.sub);
      res.json({ user: presentUser(view, false) });
      return;
    }
    await new Promise<void>((resolve, reject) => guard(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
    if (Object.keys(lookup).length === 0) {
      throw ValidationError.general('[missing]', 'Specify a userId, email, username, loginId, verificationId or changePasswordId to retrieve a user.');
    }
    // Ids from emails identify the tenant themselves; email/username/loginId need one.
    const scoped = lookup.verificationId || lookup.changePasswordId;
    const tenantId = scoped ? req.auth.tenantId : (await resolveTenant(ctx, req.auth.tenantId)).id;
    const view = await findUser(ctx, lookup, tenantId);
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

  const scope = (req: Request) => ({ ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }), info: requestInfo(req), metadata: requestMetadata(req, req.auth.tenantId) });
  const userIdOf = (req: Request) => {
    const userId = String(req.params.userId);
    if (!isUuid(userId)) throw new NotFoundError(userId);
    return userId.toLowerCase();
  };

  router.put('/api/user/:userId', guard, async (req, res) => {
    const userId = userIdOf(req);
    const errors = new FieldErrors();
    if (queryBoolean(req, 'reactivate', errors) === true) {
      res.json({ user: presentUserRecord(await reactivateUser(ctx, userId, scope(req))) });
      return;
    }
    errors.throwIfAny();
    const body = requireBody(req.body, 'user');
    const flags = readFlags(body);
    const user = await updateUser(ctx, {
      userId,
      user: body.user as Record<string, unknown>,
      ...(flags.applicationId && { applicationId: flags.applicationId }),
      disableDomainBlock: flags.disableDomainBlock,
      ...scope(req),
    });
    res.json({ user: presentUserRecord(user) });
  });

  router.patch('/api/user/:userId', guard, async (req, res) => {
    const userId = userIdOf(req);
    const format = patchFormatOf(req.get('content-type'));
    if (format === 'json-patch' ? !Array.isArray(req.body) : !isObject(req.body)) {
      throw ValidationError.general('[invalidPatch]', format === 'json-patch' ? 'A JSON Patch body must be an array of operations.' : 'The request body must be a JSON object.');
    }
    const flags = format === 'json-patch' ? { applicationId: undefined, disableDomainBlock: false } : readFlags(req.body as Record<string, unknown>);
    if (format !== 'json-patch' && (req.body as Record<string, unknown>).user !== undefined && !isObject((req.body as Record<string, unknown>).user)) {
      throw ValidationError.field('user', 'couldNotConvert', '[user] must be an object.');
    }
    const user = await patchUser(ctx, { userId, patch: req.body, format, ...(flags.applicationId && { applicationId: flags.applicationId }), disableDomainBlock: flags.disableDomainBlock, ...scope(req) });
    res.json({ user: presentUserRecord(user) });
  });

  router.delete('/api/user/:userId', guard, async (req, res) => {
    const userId = userIdOf(req);
    const errors = new FieldErrors();
    let hardDelete = queryBoolean(req, 'hardDelete', errors);
    if (isObject(req.body) && req.body.hardDelete !== undefined) {
      if (typeof req.body.hardDelete !== 'boolean') errors.add('hardDelete', 'couldNotConvert', '[hardDelete] must be true or false.');
      else hardDelete = req.body.hardDelete;
    }
    errors.throwIfAny();
    if (hardDelete) await hardDeleteUser(ctx, userId, scope(req));
    else await deactivateUser(ctx, userId, scope(req));
    res.status(200).end();
  });
  return router;
}
