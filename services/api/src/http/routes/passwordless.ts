/**
 * FusionAuth's Passwordless API (`/api/passwordless/start|send|login`) and the magic-link page the
 * emails point to (`GET` shows a button and consumes nothing; `POST` completes the login).
 */
import { Router, type Request, type Response } from 'express';
import { FieldErrors, MAGIC_LINK_PATH } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import {
  codeStatus,
  passwordlessLogin,
  RateLimitedError,
  sendPasswordlessCode,
  startAndSendPasswordless,
  startPasswordless,
} from '../../application/passwordless.js';
import { LINK_NONCE_COOKIE, newLinkNonce, pageToken, pageTokenMatches, redirectTarget, redirectWithResult, type LinkLoginResult } from '../../application/passwordless-link.js';
import { requireApiKey } from '../auth.js';
import { ACCESS_TOKEN_COOKIE, cookieOptions, readCookie } from '../cookies.js';
import { sendLoginOutcome } from '../login-response.js';
import { readLoginCommon } from './login.js';
import { HttpError } from '../errors.js';
import { isObject, Reader, type JsonObject } from '../input.js';
import { confirmPage, problemPage, signedInPage } from '../passwordless-page.js';
import { requestInfo, requestMetadata } from '../request-info.js';

function bodyOf(req: Request): JsonObject {
  if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
  return req.body;
}

function sendRateLimited(res: Response, error: RateLimitedError): void {
  res.set('Retry-After', String(error.retryAfterSeconds));
  res.status(429).json({ generalErrors: [{ code: '[RateLimited]', message: 'Too many passwordless emails were requested. Try again later.' }] });
}

export function passwordlessRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api/passwordless/start', requireApiKey('/api/passwordless/start'), async (req, res) => {
    const errors = new FieldErrors();
    const body = bodyOf(req);
    const read = new Reader(body, '', errors);
    const applicationId = read.uuid('applicationId');
    const loginId = read.string('loginId');
    const state = read.object('state');
    if (body.applicationId === undefined || body.applicationId === null) errors.add('applicationId', 'blank', 'You must specify the [applicationId] property.');
    if (!loginId) errors.add('loginId', 'blank', 'You must specify the [loginId] property.');
    errors.throwIfAny();
    const result = await startPasswordless(ctx, {
      applicationId: applicationId!,
      loginId: loginId!,
      ...(state && { state }),
      ...(req.auth.tenantId && { scopedTenantId: req.auth.tenantId }),
      metadata: requestMetadata(req),
    });
    res.json(result);
  });

  router.post('/api/passwordless/send', async (req, res) => {
    const errors = new FieldErrors();
    const body = bodyOf(req);
    const read = new Reader(body, '', errors);
    const code = read.string('code');
    const applicationId = read.uuid('applicationId');
    const loginId = read.string('loginId');
    const state = read.object('state');
    const scoped = req.auth.tenantId ? { scopedTenantId: req.auth.tenantId } : {};
    // Express's req.ip honours IDSTREAM_TRUST_PROXY: a client cannot dodge the per-IP limit by sending X-Forwarded-For.
    const ipAddress = req.ip;
    try {
      if (body.code !== undefined || (body.applicationId === undefined && body.loginId === undefined)) {
        // The current form: email a code made by /start.
        if (!code) errors.add('code', 'blank', 'You must specify the [code] property.');
        errors.throwIfAny();
        await sendPasswordlessCode(ctx, { code: code!, ...scoped, ...(ipAddress && { ipAddress }), metadata: requestMetadata(req) });
      } else {
        // The older form: make a code and email a login link in one call.
        if (body.applicationId === undefined || body.applicationId === null) errors.add('applicationId', 'blank', 'You must specify the [applicationId] property.');
        if (!loginId) errors.add('loginId', 'blank', 'You must specify the [loginId] property.');
        errors.throwIfAny();
        await startAndSendPasswordless(ctx, { applicationId: applicationId!, loginId: loginId!, ...(state && { state }), ...scoped, ...(ipAddress && { ipAddress }), metadata: requestMetadata(req) });
      }
    } catch (error) {
      if (error instanceof RateLimitedError) return sendRateLimited(res, error);
      throw error;
    }
    res.status(200).end();
  });

  router.post('/api/passwordless/login', async (req, res) => {
    const errors = new FieldErrors();
    const body = bodyOf(req);
    // The Login API's shared fields (ipAddress, noJWT, metaData.device, trust cookie/id); the code names the application.
    const common = await readLoginCommon(ctx, req, body, errors);
    const code = new Reader(body, '', errors).string('code');
    if (!code) errors.add('code', 'blank', 'You must specify the [code] property.');
    errors.throwIfAny();
    const { application: _requested, ...request } = common;
    const result = await passwordlessLogin(ctx, {
      ...request,
      code: code!,
      ...(req.auth.tenantId && { scopedTenantId: req.auth.tenantId }),
      metadata: requestMetadata(req),
      withEncryptionScheme: Boolean(req.auth.apiKey),
    });
    const { outcome, tenant, application } = result;
    // Without a tenant the code was never usable: FusionAuth's empty 404.
    if (!tenant) return void res.status(outcome.status).end();
    sendLoginOutcome(req, res, outcome, { tenant, ...(application && { application }) });
  });

  // The magic link. The code travels in the query string, which the request log does not record.
  router.get(MAGIC_LINK_PATH, async (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    const status = await codeStatus(ctx, code);
    if (status.kind !== 'usable') return problemPage(res, status.kind);
    const application = (await ctx.readModels.config.Application.get(status.code.applicationId))?.body;
    if (!application) return problemPage(res, 'unknown');
    const nonce = newLinkNonce();
    res.cookie(LINK_NONCE_COOKIE, nonce, { httpOnly: true, secure: req.secure, sameSite: 'strict', path: MAGIC_LINK_PATH, maxAge: 30 * 60_000 });
    // app.ts reads every body as JSON, so the form posts no fields: its token rides in the action URL.
    const action = `${MAGIC_LINK_PATH}?${new URLSearchParams({ code, token: pageToken(nonce, code) }).toString()}`;
    confirmPage(res, { applicationName: typeof application.name === 'string' ? application.name : 'the application', action });
  });

  router.post(MAGIC_LINK_PATH, async (req, res) => {
    const code = typeof req.query.code === 'string' ? req.query.code : '';
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    const before = await codeStatus(ctx, code);
    if (before.kind !== 'usable') return problemPage(res, before.kind);
    if (!pageTokenMatches(readCookie(req, LINK_NONCE_COOKIE), code, token)) return problemPage(res, 'stale-page');
    const { outcome } = await passwordlessLogin(ctx, { code, noJWT: false, info: requestInfo(req), metadata: requestMetadata(req), withEncryptionScheme: false });
    if (outcome.status === 404) {
      const after = await codeStatus(ctx, code);
      return problemPage(res, after.kind === 'usable' ? 'unknown' : after.kind);
    }
    // Refused accounts (locked, expired, prevented by an action) get a page; every other answer is a login result.
    if (outcome.status === 409 || outcome.status === 410 || outcome.status === 423) return problemPage(res, 'account');
    res.clearCookie(LINK_NONCE_COOKIE, { path: MAGIC_LINK_PATH });
    const result: LinkLoginResult = { status: outcome.status, ...(before.code.state && { state: before.code.state }) };
    if ('user' in outcome) {
      result.userId = outcome.user.id;
      if (outcome.token) {
        res.cookie(ACCESS_TOKEN_COOKIE, outcome.token.token, cookieOptions(req));
        Object.assign(result, { token: outcome.token.token, tokenExpirationInstant: outcome.token.tokenExpirationInstant });
      }
      Object.assign(result, pick(outcome, ['emailVerificationId', 'registrationVerificationId']));
    } else {
      Object.assign(result, pick(outcome, ['twoFactorId', 'changePasswordId', 'changePasswordReason']));
    }
    const application = (await ctx.readModels.config.Application.get(before.code.applicationId))?.body;
    const target = application && redirectTarget(application, before.code.state);
    if (!target) {
      if (!('user' in outcome)) return problemPage(res, 'next-step');
      return signedInPage(res, typeof application?.name === 'string' ? application.name : 'the application');
    }
    res.redirect(303, redirectWithResult(target, result));
  });

  return router;
}

function pick(source: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(source).filter(([key, value]) => keys.includes(key) && value !== undefined));
}
