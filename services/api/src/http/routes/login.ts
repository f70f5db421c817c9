/**
 * The Login API: `POST /api/login` (password, application token or one-time password), `PUT /api/login`
 * (update login instant, by API key or JWT) and `POST /api/logout`.
 */
import { Router, type Request } from 'express';
import { FieldErrors, type ConfigDocument, type RefreshTokenMetaData, type RequestInfo } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { completeLogin, passwordLogin, recordLogin } from '../../application/login.js';
import { revokeRefreshTokens, findRefreshToken } from '../../application/refresh-tokens.js';
import { resolveTenant } from '../../application/tenancy.js';
import { keyAllows } from '../../application/api-keys.js';
import { consumeOneTimePassword } from '../../application/user-passwords.js';
import { oneTimePasswordState } from '../../application/one-time-password-state.js';
import { findUser } from '../../application/users.js';
import { HttpError } from '../errors.js';
import { isObject, isUuid, Reader, type JsonObject } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';
import { ACCESS_TOKEN_COOKIE, cookieOptions, readCookie, REFRESH_TOKEN_COOKIE, TRUST_COOKIE } from '../cookies.js';
import { sendLoginOutcome } from '../login-response.js';

/** Fields every login request shares (`applicationId`, `ipAddress`, `noJWT`, `metaData.device`, trust). */
export interface LoginCommon {
  application?: ConfigDocument;
  noJWT: boolean;
  info: RequestInfo;
  device?: NonNullable<RefreshTokenMetaData['device']>;
  twoFactorTrustId?: string;
}

export async function readLoginCommon(ctx: AppContext, req: Request, body: JsonObject, errors: FieldErrors): Promise<LoginCommon> {
  const read = new Reader(body, '', errors);
  const applicationId = read.uuid('applicationId');
  const ipAddress = read.string('ipAddress');
  const noJWT = read.boolean('noJWT') ?? false;
  const bodyTrustId = read.string('twoFactorTrustId');
  const metaData = read.object('metaData');
  const deviceSource = metaData ? new Reader(metaData, 'metaData', errors).object('device') : undefined;
  let device: LoginCommon['device'];
  if (deviceSource) {
    const deviceReader = new Reader(deviceSource, 'metaData.device', errors);
    const fields = { description: deviceReader.string('description'), lastAccessedAddress: deviceReader.string('lastAccessedAddress'), name: deviceReader.string('name'), type: deviceReader.string('type') };
    device = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as LoginCommon['device'];
  }
  let application: ConfigDocument | undefined;
  if (applicationId) {
    application = (await ctx.readModels.config.Application.get(applicationId))?.body;
    // An application of another tenant is reported as missing to a tenant-scoped caller.
    if (!application || (req.auth.tenantId && application.tenantId !== req.auth.tenantId)) {
      application = undefined;
      errors.add('applicationId', 'invalid', `No Application with Id [${applicationId}] exists.`);
    }
  }
  const info: RequestInfo = {
    ...requestInfo(req, ipAddress),
    ...(device?.name && { deviceName: device.name }),
    ...(device?.type && { deviceType: device.type }),
  };
  // FusionAuth: the `fusionauth.trust` cookie wins over the body's `twoFactorTrustId`.
  const twoFactorTrustId = readCookie(req, TRUST_COOKIE) ?? bodyTrustId;
  return { ...(application && { application }), noJWT, info, ...(device && { device }), ...(twoFactorTrustId && { twoFactorTrustId }) };
}

/** FusionAuth's `requireAuthentication`: the application's switch when one is named, else the tenant's. */
function requireLoginAuthentication(req: Request, tenant: ConfigDocument, application: ConfigDocument | undefined): void {
  const settings = (application ?? tenant).loginConfiguration as { requireAuthentication?: boolean } | undefined;
  if (settings?.requireAuthentication === false) return;
  if (!req.auth.apiKey || !keyAllows(req.auth.apiKey, '/api/login', req.method)) throw HttpError.unauthorized();
}

export function loginRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api/login', async (req, res) => {
    if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const oneTimePassword = read.string('oneTimePassword') ?? read.string('oneTimePasswordId');
    const loginId = read.string('loginId');
    const password = read.string('password');
    const common = await readLoginCommon(ctx, req, req.body, errors);
    if (!oneTimePassword) {
      if (!loginId) errors.add('loginId', 'blank', 'You must specify the [loginId] property.');
      if (!password) errors.add('password', 'blank', 'You must specify the [password] property.');
    }
    // The API key requirement comes first: an unauthenticated caller learns nothing from validation.
    const tenant = await resolveTenant(ctx, (common.application?.tenantId as string | undefined) ?? req.auth.tenantId);
    requireLoginAuthentication(req, tenant, common.application);
    errors.throwIfAny();
    const request = { ...common, tenant, metadata: requestMetadata(req, tenant.id), withEncryptionScheme: Boolean(req.auth.apiKey) };

    if (oneTimePassword) {
      const consumed = await consumeOneTimePassword(ctx, oneTimePassword, tenant.id);
      if (!consumed) {
        res.status(404).end();
        return;
      }
      const state = await oneTimePasswordState(ctx, consumed.view.id);
      const outcome = await completeLogin(ctx, consumed.view, { ...request, refreshTokenAllowed: consumed.refreshTokenAllowed, ...(state && { state }) }, 'ONE_TIME_PASSWORD');
      sendLoginOutcome(req, res, outcome, request);
      return;
    }
    const outcome = await passwordLogin(ctx, { ...request, loginId: loginId!, password: password! });
    sendLoginOutcome(req, res, outcome, request);
  });

  // Update login instant: by API key (`/{userId}[/{applicationId}]`, or the ids in the body) or by JWT.
  const updateLoginInstant = async (req: Request, res: import('express').Response) => {
    const body = isObject(req.body) ? req.body : {};
    const errors = new FieldErrors();
    const read = new Reader(body, '', errors);
    let userId = (req.params.userId as string | undefined) ?? read.string('userId');
    let applicationId = (req.params.applicationId as string | undefined) ?? read.string('applicationId');
    const ipAddress = (typeof req.query.ipAddress === 'string' ? req.query.ipAddress : undefined) ?? read.string('ipAddress');
    if (req.auth.apiKey) {
      if (!keyAllows(req.auth.apiKey, '/api/login', 'PUT')) throw HttpError.unauthorized();
    } else if (req.auth.bearer && !req.params.userId) {
      const claims = await ctx.signingKeys.verify(req.auth.bearer);
      if (!claims || typeof claims.sub !== 'string') throw HttpError.unauthorized();
      userId = claims.sub;
      applicationId = typeof claims.applicationId === 'string' ? claims.applicationId : undefined;
    } else {
      throw HttpError.unauthorized();
    }
    if (!userId) errors.add('userId', 'blank', 'You must specify the [userId].');
    else if (!isUuid(userId)) errors.add('userId', 'couldNotConvert', '[userId] must be a UUID.');
    if (applicationId !== undefined && !isUuid(applicationId)) errors.add('applicationId', 'couldNotConvert', '[applicationId] must be a UUID.');
    errors.throwIfAny();
    const view = await findUser(ctx, { id: userId! }, req.auth.tenantId);
    if (!view) {
      res.status(404).end();
      return;
    }
    const application = applicationId ? (await ctx.readModels.config.Application.get(applicationId.toLowerCase()))?.body : undefined;
    if (applicationId && (!application || application.tenantId !== view.tenantId)) {
      throw new HttpError(400, { fieldErrors: { applicationId: [{ code: '[invalid]applicationId', message: `No Application with Id [${applicationId}] exists.` }] } });
    }
    const now = ctx.now();
    const position = await recordLogin(ctx, {
      type: 'LoginSucceeded',
      data: { userId: view.id, tenantId: view.tenantId, instant: now, authenticationType: 'PING', info: requestInfo(req, ipAddress), ...(application && { applicationId: application.id }) },
    }, requestMetadata(req, view.tenantId));
    await ctx.waiters.users.waitFor(position);
    const registered = !application || Boolean(view.body.user.registrations?.some((r) => r.applicationId === application.id));
    res.status(registered ? 200 : 202).end();
  };
  router.put('/api/login', updateLoginInstant);
  router.put('/api/login/:userId', updateLoginInstant);
  router.put('/api/login/:userId/:applicationId', updateLoginInstant);

  router.post('/api/logout', async (req, res) => {
    const body = isObject(req.body) ? req.body : {};
    const errors = new FieldErrors();
    const read = new Reader(body, '', errors);
    const queryGlobal = typeof req.query.global === 'string' ? req.query.global === 'true' : undefined;
    const global = queryGlobal ?? read.boolean('global') ?? false;
    const refreshToken = (typeof req.query.refreshToken === 'string' && req.query.refreshToken !== '' ? req.query.refreshToken : undefined) ?? read.string('refreshToken') ?? readCookie(req, REFRESH_TOKEN_COOKIE);
    errors.throwIfAny();
    if (refreshToken) {
      const found = await findRefreshToken(ctx, refreshToken);
      if (found && (!req.auth.tenantId || found.state.tenantId === req.auth.tenantId)) {
        const metadata = requestMetadata(req, found.state.tenantId);
        if (global) await revokeRefreshTokens(ctx, { userId: found.state.userId }, found.state.tenantId, metadata);
        else await revokeRefreshTokens(ctx, { token: refreshToken }, found.state.tenantId, metadata);
      }
    }
    res.clearCookie(ACCESS_TOKEN_COOKIE, cookieOptions(req));
    res.clearCookie(REFRESH_TOKEN_COOKIE, cookieOptions(req));
    res.status(200).end();
  });

  return router;
}
