/**
 * Two-factor APIs: methods on a user (`POST|DELETE /api/user/two-factor/{userId}`), recovery codes,
 * a fresh secret, sending a code for a pending login, and completing the login (`POST /api/two-factor/login`).
 */
import { Router, type Request } from 'express';
import { FieldErrors, type ConfigDocument } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { completeLogin } from '../../application/login.js';
import {
  checkTwoFactorCode,
  disableTwoFactor,
  enableTwoFactor,
  generateSecret,
  grantTrust,
  InvalidTwoFactorCodeError,
  regenerateRecoveryCodes,
  sendTwoFactorCode,
  type EnableTwoFactorInput,
} from '../../application/two-factor.js';
import { keyAllows } from '../../application/api-keys.js';
import { HttpError } from '../errors.js';
import { isObject, isUuid, Reader } from '../input.js';
import { requestMetadata } from '../request-info.js';
import { cookieOptions, TRUST_COOKIE } from '../cookies.js';
import { sendLoginOutcome } from '../login-response.js';
import { readLoginCommon } from './login.js';

/** An API key allowed on the endpoint, or a JWT of the user the request is about. */
async function authorizeForUser(ctx: AppContext, req: Request, endpoint: string, userId: string): Promise<void> {
  if (req.auth.apiKey) {
    if (!keyAllows(req.auth.apiKey, endpoint, req.method)) throw HttpError.unauthorized();
    return;
  }
  const claims = req.auth.bearer ? await ctx.signingKeys.verify(req.auth.bearer) : undefined;
  if (!claims || claims.sub !== userId.toLowerCase()) throw HttpError.unauthorized();
}

function userIdParam(req: Request): string {
  const userId = req.params.userId as string;
  if (!isUuid(userId)) throw new HttpError(400, { fieldErrors: { userId: [{ code: '[couldNotConvert]userId', message: '[userId] must be a UUID.' }] } });
  return userId.toLowerCase();
}

const invalidCode = () => new HttpError(421);

export function twoFactorRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api/user/two-factor/recovery-code/:userId', async (req, res) => {
    const userId = userIdParam(req);
    await authorizeForUser(ctx, req, '/api/user/two-factor/recovery-code', userId);
    const recoveryCodes = await regenerateRecoveryCodes(ctx, userId, req.auth.tenantId);
    res.status(200).json({ recoveryCodes });
  });

  router.post('/api/user/two-factor/:userId', async (req, res) => {
    const userId = userIdParam(req);
    await authorizeForUser(ctx, req, '/api/user/two-factor', userId);
    if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const method = read.string('method');
    const input = { code: read.string('code'), secret: read.string('secret'), secretBase32Encoded: read.string('secretBase32Encoded'), email: read.string('email'), mobilePhone: read.string('mobilePhone') };
    if (!method) errors.add('method', 'blank', 'You must specify the [method] property.');
    else if (!['authenticator', 'email', 'sms'].includes(method)) errors.add('method', 'invalid', 'The [method] must be one of authenticator, email or sms.');
    errors.throwIfAny();
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    try {
      const result = await enableTwoFactor(ctx, userId, req.auth.tenantId, { method, ...defined } as EnableTwoFactorInput);
      res.status(200).json(result);
    } catch (error) {
      if (error instanceof InvalidTwoFactorCodeError) throw invalidCode();
      throw error;
    }
  });

  router.delete('/api/user/two-factor/:userId', async (req, res) => {
    const userId = userIdParam(req);
    await authorizeForUser(ctx, req, '/api/user/two-factor', userId);
    const body = isObject(req.body) ? req.body : {};
    const errors = new FieldErrors();
    const read = new Reader(body, '', errors);
    const methodId = (typeof req.query.methodId === 'string' ? req.query.methodId : undefined) ?? read.string('methodId');
    const code = (typeof req.query.code === 'string' ? req.query.code : undefined) ?? read.string('code');
    if (!methodId) errors.add('methodId', 'blank', 'You must specify the [methodId].');
    if (!code) errors.add('code', 'blank', 'You must specify the [code].');
    errors.throwIfAny();
    try {
      await disableTwoFactor(ctx, userId, req.auth.tenantId, { methodId: methodId!, code: code! });
    } catch (error) {
      if (error instanceof InvalidTwoFactorCodeError) throw invalidCode();
      throw error;
    }
    res.status(200).end();
  });

  router.get('/api/two-factor/secret', async (req, res) => {
    if (!req.auth.apiKey && !(req.auth.bearer && (await ctx.signingKeys.verify(req.auth.bearer)))) throw HttpError.unauthorized();
    res.status(200).json(generateSecret());
  });

  router.post('/api/two-factor/send/:twoFactorId', async (req, res) => {
    const body = isObject(req.body) ? req.body : {};
    const errors = new FieldErrors();
    const methodId = new Reader(body, '', errors).string('methodId');
    errors.throwIfAny();
    await sendTwoFactorCode(ctx, req.params.twoFactorId as string, methodId);
    res.status(200).end();
  });

  router.post('/api/two-factor/login', async (req, res) => {
    if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const twoFactorId = read.string('twoFactorId');
    const code = read.string('code');
    const trustComputer = read.boolean('trustComputer') ?? false;
    const explicitNoJWT = read.boolean('noJWT');
    if (!twoFactorId) errors.add('twoFactorId', 'blank', 'You must specify the [twoFactorId] property.');
    if (!code) errors.add('code', 'blank', 'You must specify the [code] property.');
    const common = await readLoginCommon(ctx, req, req.body, errors);
    errors.throwIfAny();

    const check = await checkTwoFactorCode(ctx, twoFactorId!, code!, requestMetadata(req));
    if (check.kind === 'unknown' || (check.kind === 'valid' && req.auth.tenantId && check.login.tenantId !== req.auth.tenantId)) {
      res.status(404).end();
      return;
    }
    if (check.kind === 'invalid') throw invalidCode();
    const { login, view } = check;
    const tenant = (await ctx.readModels.config.Tenant.get(login.tenantId))?.body;
    if (!tenant) {
      res.status(404).end();
      return;
    }
    // The request's application wins; else the one of the login that asked for the second factor.
    let application: ConfigDocument | undefined = common.application;
    if (application && application.tenantId !== login.tenantId) application = undefined;
    if (!application && login.applicationId) application = (await ctx.readModels.config.Application.get(login.applicationId))?.body;
    const outcome = await completeLogin(
      ctx,
      view,
      {
        tenant,
        ...(application && { application }),
        noJWT: explicitNoJWT ?? login.noJWT,
        info: common.info,
        metadata: requestMetadata(req, tenant.id),
        withEncryptionScheme: Boolean(req.auth.apiKey),
        ...((common.device ?? (login.metaData?.device as typeof common.device)) && { device: common.device ?? (login.metaData?.device as NonNullable<typeof common.device>) }),
        ...(login.state && { state: login.state }),
        twoFactorCompleted: true,
      },
      login.authenticationType,
    );
    const extra: Record<string, unknown> = {};
    if (trustComputer && [200, 202, 203, 212, 213].includes(outcome.status)) {
      const trust = await grantTrust(ctx, view.id, tenant, requestMetadata(req, tenant.id));
      extra.twoFactorTrustId = trust.trustId;
      res.cookie(TRUST_COOKIE, trust.trustId, cookieOptions(req, trust.expiresAt - ctx.now()));
    }
    if (outcome.status === 203) {
      res.status(203).json({ changePasswordId: outcome.changePasswordId, changePasswordReason: outcome.changePasswordReason, ...extra });
      return;
    }
    sendLoginOutcome(req, res, outcome, { tenant, ...(application && { application }) }, extra);
  });

  return router;
}
