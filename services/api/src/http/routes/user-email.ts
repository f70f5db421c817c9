/**
 * Email verification, forgot password and change password. These accept no authentication, an API
 * key, or (change password) a JWT; an API key unlocks more parameters and a response body.
 */
import { Router, type Request } from 'express';
import { FieldErrors, NotFoundError, ValidationError } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { resolveTenant } from '../../application/tenancy.js';
import { changePassword, forgotPassword, type ChangePasswordMode } from '../../application/user-passwords.js';
import { markEmailVerified, resendVerification, verifyEmail } from '../../application/user-verification.js';
import { findUser } from '../../application/users.js';
import { keyAllows } from '../../application/api-keys.js';
import { HttpError } from '../errors.js';
import { isObject, Reader } from '../input.js';
import { requestInfo } from '../request-info.js';
import { queryBoolean, queryString } from './user-query.js';

/** An API key, when one was sent, must be allowed to call the endpoint (a bad key was a 401 already). */
function apiKeyFor(req: Request, endpoint: string): boolean {
  const key = req.auth.apiKey;
  if (!key) return false;
  if (!keyAllows(key, endpoint, req.method)) throw HttpError.unauthorized();
  return true;
}

function bodyOf(req: Request): Record<string, unknown> {
  if (req.body === undefined || req.body === null || (typeof req.body === 'object' && Object.keys(req.body as object).length === 0 && !Array.isArray(req.body))) return {};
  if (!isObject(req.body)) throw ValidationError.general('[invalidJSON]', 'The request body must be a JSON object.');
  return req.body;
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

export function userEmailRouter(ctx: AppContext): Router {
  const router = Router();
  const scope = (req: Request) => (req.auth.tenantId ? { scopeTenantId: req.auth.tenantId } : {});

  const verify = async (req: Request, pathId: string | undefined) => {
    const withKey = apiKeyFor(req, '/api/user/verify-email');
    const errors = new FieldErrors();
    const read = new Reader(bodyOf(req) as never, '', errors);
    const verificationId = read.string('verificationId') ?? pathId;
    const oneTimeCode = read.string('oneTimeCode');
    const userId = withKey ? read.uuid('userId') : undefined;
    if (!verificationId && !userId) errors.add('verificationId', 'blank', 'You must specify the [verificationId].');
    errors.throwIfAny();
    if (verificationId) await verifyEmail(ctx, { verificationId, ...(oneTimeCode !== undefined && { oneTimeCode }), ...scope(req) });
    else await markEmailVerified(ctx, userId!, req.auth.tenantId);
  };
  router.post('/api/user/verify-email', async (req, res) => {
    await verify(req, undefined);
    res.status(200).end();
  });
  router.post('/api/user/verify-email/:verificationId', async (req, res) => {
    await verify(req, String(req.params.verificationId));
    res.status(200).end();
  });

  router.put('/api/user/verify-email', async (req, res) => {
    const withKey = apiKeyFor(req, '/api/user/verify-email');
    const errors = new FieldErrors();
    const email = queryString(req, 'email');
    const applicationId = queryString(req, 'applicationId');
    const sendVerifyEmail = withKey ? (queryBoolean(req, 'sendVerifyEmail', errors) ?? true) : true;
    if (!email) errors.add('email', 'blank', 'You must specify the [email] parameter.');
    if (applicationId !== undefined && !/^[0-9a-f-]{36}$/i.test(applicationId)) errors.add('applicationId', 'couldNotConvert', '[applicationId] must be a UUID.');
    errors.throwIfAny();
    const tenant = await resolveTenant(ctx, req.auth.tenantId);
    const issued = await resendVerification(ctx, { email: email!, tenant, sendEmail: sendVerifyEmail, ...(applicationId && { applicationId: applicationId.toLowerCase() }), ...(req.ip && { ipAddress: req.ip }) });
    if (!withKey) {
      res.status(200).end();
      return;
    }
    res.json({ verificationId: issued.verificationId, ...(issued.oneTimeCode && { verificationOneTimeCode: issued.oneTimeCode }) });
  });

  router.post('/api/user/forgot-password', async (req, res) => {
    const withKey = apiKeyFor(req, '/api/user/forgot-password');
    const errors = new FieldErrors();
    const read = new Reader(bodyOf(req) as never, '', errors);
    const loginId = read.string('loginId') ?? read.string('email') ?? read.string('username');
    const applicationId = read.uuid('applicationId');
    const state = read.object('state');
    const changePasswordId = withKey ? read.string('changePasswordId') : undefined;
    const sendEmail = withKey ? (read.boolean('sendForgotPasswordEmail') ?? true) : true;
    if (!loginId) errors.add('loginId', 'blank', 'You must specify the [loginId].');
    errors.throwIfAny();
    const tenant = await resolveTenant(ctx, req.auth.tenantId);
    const result = await forgotPassword(ctx, {
      loginId: loginId!,
      tenant,
      sendEmail,
      ...(applicationId && { applicationId }),
      ...(state && { state }),
      ...(changePasswordId && { changePasswordId }),
      ...(req.ip && { ipAddress: req.ip }),
    });
    if (withKey) res.json({ changePasswordId: result.changePasswordId });
    else res.status(200).end();
  });

  const change = async (req: Request, pathId: string | undefined) => {
    const withKey = apiKeyFor(req, '/api/user/change-password');
    const errors = new FieldErrors();
    const read = new Reader(bodyOf(req) as never, '', errors);
    const changePasswordId = read.string('changePasswordId') ?? pathId;
    const loginId = read.string('loginId');
    const password = read.string('password');
    const currentPassword = read.string('currentPassword');
    const refreshToken = cookie(req, 'refresh_token') ?? read.string('refreshToken');
    if (!password) errors.add('password', 'blank', 'You must specify the [password].');
    let mode: ChangePasswordMode | undefined;
    if (changePasswordId) mode = { kind: 'changePasswordId', changePasswordId, apiKey: withKey };
    else if (!withKey && req.auth.bearer) {
      const claims = await ctx.signingKeys.verify(req.auth.bearer);
      if (!claims || typeof claims.sub !== 'string') throw HttpError.unauthorized();
      mode = { kind: 'jwt', userId: claims.sub };
    } else if (withKey && loginId) mode = { kind: 'apiKey', loginId, tenant: await resolveTenant(ctx, req.auth.tenantId) };
    else if (withKey) errors.add('loginId', 'blank', 'You must specify the [changePasswordId] or the [loginId].');
    else errors.add('changePasswordId', 'blank', 'You must specify the [changePasswordId].');
    errors.throwIfAny();
    return changePassword(ctx, {
      mode: mode!,
      password: password!,
      ...(currentPassword !== undefined && { currentPassword }),
      ...(refreshToken && { refreshToken }),
      ...scope(req),
      info: requestInfo(req),
    });
  };
  const answer = (result: { oneTimePassword?: string }, res: import('express').Response) => {
    if (result.oneTimePassword) res.json({ oneTimePassword: result.oneTimePassword });
    else res.status(200).end();
  };
  router.post('/api/user/change-password', async (req, res) => {
    answer(await change(req, undefined), res);
  });
  router.post('/api/user/change-password/:changePasswordId', async (req, res) => {
    answer(await change(req, String(req.params.changePasswordId)), res);
  });

  // FusionAuth's "check change password" calls: 200 when a change may proceed, 404 when the id is
  // unknown, used or expired (or the user unknown). Idstream issues no trust tokens, so it never
  // answers 400 [TrustTokenRequired] here (README, API decisions).
  router.get('/api/user/change-password/:changePasswordId', async (req, res) => {
    const view = await findUser(ctx, { changePasswordId: String(req.params.changePasswordId) }, req.auth.tenantId);
    if (!view) throw new NotFoundError('changePasswordId');
    res.status(200).end();
  });
  router.get('/api/user/change-password', async (req, res) => {
    const errors = new FieldErrors();
    const loginId = queryString(req, 'loginId') ?? queryString(req, 'username');
    let userId: string | undefined;
    if (loginId !== undefined) {
      if (!apiKeyFor(req, '/api/user/change-password')) throw HttpError.unauthorized();
      userId = (await findUser(ctx, { loginId }, (await resolveTenant(ctx, req.auth.tenantId)).id))?.id;
    } else if (req.auth.bearer) {
      const claims = await ctx.signingKeys.verify(req.auth.bearer);
      if (!claims || typeof claims.sub !== 'string') throw HttpError.unauthorized();
      userId = (await findUser(ctx, { id: claims.sub }, req.auth.tenantId))?.id;
    } else {
      errors.add('loginId', 'blank', 'You must specify the [loginId] (with an API key) or send a JWT.');
    }
    errors.throwIfAny();
    if (!userId) throw new NotFoundError('user');
    res.status(200).end();
  });
  return router;
}
