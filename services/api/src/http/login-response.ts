/**
 * The Login API's answer for every login kind: status, FusionAuth's body for that status, and the
 * `access_token` (session) and `refresh_token` (persistent) cookies on a completed login.
 */
import type { Request, Response } from 'express';
import type { ConfigDocument } from '@idstream/domain';
import type { LoginOutcome } from '../application/login.js';
import { refreshTokenPolicy } from '../application/tokens.js';
import { ACCESS_TOKEN_COOKIE, cookieOptions, REFRESH_TOKEN_COOKIE } from './cookies.js';

export function sendLoginOutcome(
  req: Request,
  res: Response,
  outcome: LoginOutcome,
  context: { tenant: ConfigDocument; application?: ConfigDocument },
  extra: Record<string, unknown> = {},
): void {
  switch (outcome.status) {
    case 404:
    case 410:
    case 423:
      res.status(outcome.status).end();
      return;
    case 409:
      res.status(409).json({ actions: outcome.actions });
      return;
    case 242:
      res.status(242).json({ twoFactorId: outcome.twoFactorId, methods: outcome.methods });
      return;
    case 203:
      res.status(203).json({ changePasswordId: outcome.changePasswordId, changePasswordReason: outcome.changePasswordReason });
      return;
  }
  const { status, token, ...fields } = outcome;
  if (token) res.cookie(ACCESS_TOKEN_COOKIE, token.token, cookieOptions(req));
  if (fields.refreshToken) {
    const policy = refreshTokenPolicy(context.tenant, context.application);
    res.cookie(REFRESH_TOKEN_COOKIE, fields.refreshToken, cookieOptions(req, policy.timeToLiveInMinutes * 60_000));
  }
  res.status(status).json({ ...fields, ...extra, ...(token && { token: token.token, tokenExpirationInstant: token.tokenExpirationInstant }) });
}
