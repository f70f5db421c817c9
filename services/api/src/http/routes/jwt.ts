/**
 * FusionAuth's JWT API: refresh (`POST /api/jwt/refresh`), validate (`GET /api/jwt/validate`), and
 * refresh token management (`GET|DELETE /api/jwt/refresh[/{tokenId}]`).
 */
import { Router, type Request } from 'express';
import { FieldErrors } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import {
  exchangeRefreshToken,
  presentRefreshToken,
  refreshTokenById,
  refreshTokensOfUser,
  revokeRefreshTokens,
  validateAccessToken,
  type RevokeSelector,
} from '../../application/refresh-tokens.js';
import { refreshTokenPolicy } from '../../application/tokens.js';
import { keyAllows } from '../../application/api-keys.js';
import { findUser } from '../../application/users.js';
import { HttpError } from '../errors.js';
import { isObject, isUuid, Reader } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';
import { ACCESS_TOKEN_COOKIE, cookieOptions, readCookie, REFRESH_TOKEN_COOKIE } from '../cookies.js';

const invalidRefreshToken = () =>
  new HttpError(400, { fieldErrors: { refreshToken: [{ code: '[invalid]refreshToken', message: 'The refresh token is not valid, has expired or was revoked.' }] } });

function requireKey(req: Request): void {
  if (!req.auth.apiKey || !keyAllows(req.auth.apiKey, '/api/jwt/refresh', req.method)) throw HttpError.unauthorized();
}

function queryString(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function jwtRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/api/jwt/refresh', async (req, res) => {
    const body = req.body === undefined || (isObject(req.body) && Object.keys(req.body).length === 0) ? {} : req.body;
    if (!isObject(body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const errors = new FieldErrors();
    const read = new Reader(body, '', errors);
    const refreshToken = read.string('refreshToken') ?? readCookie(req, REFRESH_TOKEN_COOKIE);
    read.string('token');
    if (!refreshToken) errors.add('refreshToken', 'blank', 'You must specify the [refreshToken] property or send the refresh_token cookie.');
    errors.throwIfAny();
    const outcome = await exchangeRefreshToken(ctx, { refreshToken: refreshToken!, ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }), info: requestInfo(req), metadata: requestMetadata(req) });
    if (outcome.status !== 200) throw invalidRefreshToken();
    res.cookie(ACCESS_TOKEN_COOKIE, outcome.token.token, cookieOptions(req));
    if (outcome.refreshToken !== refreshToken) {
      const state = await refreshTokenById(ctx, outcome.refreshTokenId);
      const tenant = state && (await ctx.readModels.config.Tenant.get(state.tenantId))?.body;
      const application = state && (await ctx.readModels.config.Application.get(state.applicationId))?.body;
      if (tenant) res.cookie(REFRESH_TOKEN_COOKIE, outcome.refreshToken, cookieOptions(req, refreshTokenPolicy(tenant, application).timeToLiveInMinutes * 60_000));
    }
    res.status(200).json({ token: outcome.token.token, refreshToken: outcome.refreshToken, refreshTokenId: outcome.refreshTokenId });
  });

  router.get('/api/jwt/validate', async (req, res) => {
    const encoded = req.auth.bearer ?? readCookie(req, ACCESS_TOKEN_COOKIE);
    const claims = encoded ? await validateAccessToken(ctx, encoded) : undefined;
    if (!claims || (req.auth.tenantId && claims.tid !== req.auth.tenantId)) throw HttpError.unauthorized();
    res.status(200).json({ jwt: claims });
  });

  router.get('/api/jwt/refresh', async (req, res) => {
    const userIdParam = queryString(req, 'userId');
    let userId: string;
    if (req.auth.apiKey) {
      requireKey(req);
      if (!userIdParam) throw new HttpError(400, { fieldErrors: { userId: [{ code: '[blank]userId', message: 'You must specify the [userId] parameter.' }] } });
      if (!isUuid(userIdParam)) throw new HttpError(400, { fieldErrors: { userId: [{ code: '[couldNotConvert]userId', message: '[userId] must be a UUID.' }] } });
      userId = userIdParam;
    } else {
      // With a JWT: the caller's own tokens.
      const claims = req.auth.bearer ? await validateAccessToken(ctx, req.auth.bearer) : undefined;
      if (!claims || typeof claims.sub !== 'string') throw HttpError.unauthorized();
      userId = claims.sub;
    }
    const user = await findUser(ctx, { id: userId }, req.auth.tenantId);
    if (!user) {
      res.status(404).end();
      return;
    }
    const tokens = await refreshTokensOfUser(ctx, user.id);
    res.status(200).json({ refreshTokens: tokens.map(presentRefreshToken) });
  });

  router.get('/api/jwt/refresh/:tokenId', async (req, res) => {
    requireKey(req);
    const tokenId = req.params.tokenId as string;
    if (!isUuid(tokenId)) throw new HttpError(400, { fieldErrors: { tokenId: [{ code: '[couldNotConvert]tokenId', message: '[tokenId] must be a UUID.' }] } });
    const token = await refreshTokenById(ctx, tokenId);
    if (!token || (req.auth.tenantId && token.tenantId !== req.auth.tenantId)) {
      res.status(404).end();
      return;
    }
    res.status(200).json({ refreshToken: presentRefreshToken(token) });
  });

  const revoke = async (req: Request, res: import('express').Response) => {
    requireKey(req);
    const body = isObject(req.body) ? req.body : {};
    const errors = new FieldErrors();
    const read = new Reader(body, '', errors);
    const selector: RevokeSelector = {};
    const token = queryString(req, 'token') ?? read.string('token');
    const userId = queryString(req, 'userId') ?? read.string('userId');
    const applicationId = queryString(req, 'applicationId') ?? read.string('applicationId');
    const tokenId = (req.params.tokenId as string | undefined) ?? read.string('tokenId');
    if (token) selector.token = token;
    if (userId) {
      if (!isUuid(userId)) errors.add('userId', 'couldNotConvert', '[userId] must be a UUID.');
      else selector.userId = userId.toLowerCase();
    }
    if (applicationId) {
      if (!isUuid(applicationId)) errors.add('applicationId', 'couldNotConvert', '[applicationId] must be a UUID.');
      else selector.applicationId = applicationId.toLowerCase();
    }
    if (tokenId) {
      if (!isUuid(tokenId)) errors.add('tokenId', 'couldNotConvert', '[tokenId] must be a UUID.');
      else selector.tokenId = tokenId.toLowerCase();
    }
    if (!token && !userId && !applicationId && !tokenId) {
      errors.add('token', 'blank', 'You must specify a [token], [tokenId], [userId] or [applicationId].');
    }
    errors.throwIfAny();
    await revokeRefreshTokens(ctx, selector, req.auth.tenantId, requestMetadata(req, req.auth.tenantId));
    res.status(200).end();
  };
  router.delete('/api/jwt/refresh', revoke);
  router.delete('/api/jwt/refresh/:tokenId', revoke);

  return router;
}
