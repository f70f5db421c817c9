import { Router } from 'express';
import { FieldErrors, type ConfigDocument } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { passwordLogin } from '../../application/login.js';
import { resolveTenant } from '../../application/tenancy.js';
import { keyAllows } from '../../application/api-keys.js';
import { HttpError } from '../errors.js';
import { isObject, Reader } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';

export function loginRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api/login', async (req, res) => {
    if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const loginId = read.string('loginId');
    const password = read.string('password');
    const applicationId = read.uuid('applicationId');
    const ipAddress = read.string('ipAddress');
    const noJWT = read.boolean('noJWT') ?? false;
    const device = new Reader(read.object('metaData') ?? {}, 'metaData', errors).object('device');
    if (!loginId) errors.add('loginId', 'blank', 'You must specify the [loginId] property.');
    if (!password) errors.add('password', 'blank', 'You must specify the [password] property.');

    let application: ConfigDocument | undefined;
    if (applicationId) {
      application = (await ctx.readModels.config.Application.get(applicationId))?.body;
      if (!application) errors.add('applicationId', 'invalid', `No Application with Id [${applicationId}] exists.`);
    }
    // The API key requirement comes first: an unauthenticated caller learns nothing from validation.
    const tenant = await resolveTenant(ctx, (application?.tenantId as string | undefined) ?? req.auth.tenantId);
    if (application && req.auth.tenantId && application.tenantId !== req.auth.tenantId) throw HttpError.unauthorized();
    const requireAuthentication = application
      ? (application.loginConfiguration as { requireAuthentication?: boolean } | undefined)?.requireAuthentication !== false
      : (tenant.loginConfiguration as { requireAuthentication?: boolean } | undefined)?.requireAuthentication !== false;
    if (requireAuthentication && (!req.auth.apiKey || !keyAllows(req.auth.apiKey, '/api/login', 'POST'))) throw HttpError.unauthorized();
    errors.throwIfAny();

    const info = { ...requestInfo(req, ipAddress), ...(device && typeof device.name === 'string' && { deviceName: device.name }), ...(device && typeof device.type === 'string' && { deviceType: device.type }) };
    const outcome = await passwordLogin(ctx, {
      loginId: loginId!,
      password: password!,
      tenant,
      ...(application && { application }),
      noJWT,
      info,
      metadata: requestMetadata(req, tenant.id),
      withEncryptionScheme: Boolean(req.auth.apiKey),
    });
    if (outcome.status !== 200 && outcome.status !== 202) {
      res.status(outcome.status).end();
      return;
    }
    if (outcome.token) {
      res.cookie('access_token', outcome.token.token, { httpOnly: true, secure: req.secure, sameSite: 'lax', path: '/' });
    }
    res.status(outcome.status).json({
      user: outcome.user,
      ...(outcome.token && { token: outcome.token.token, tokenExpirationInstant: outcome.token.tokenExpirationInstant }),
    });
  });
  return router;
}
