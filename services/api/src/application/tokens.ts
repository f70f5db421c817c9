/**
 * Access tokens in FusionAuth's claim set, signed with the application's key when its JWT
 * configuration is enabled, else the tenant's.
 */
import { randomUUID } from 'node:crypto';
import type { ConfigDocument, UserRecord } from '@idstream/domain';
import type { AppContext } from './context.js';

interface JwtConfiguration {
  enabled?: boolean;
  timeToLiveInSeconds?: number;
  accessTokenKeyId?: string;
}

export interface IssuedToken {
  token: string;
  tokenExpirationInstant: number;
}

export async function issueAccessToken(
  ctx: AppContext,
  input: { user: UserRecord; tenant: ConfigDocument; application?: ConfigDocument; authenticationType: string; authTime: number },
): Promise<IssuedToken> {
  const tenantJwt = (input.tenant.jwtConfiguration ?? {}) as JwtConfiguration;
  const appJwt = (input.application?.jwtConfiguration ?? {}) as JwtConfiguration;
  const useApp = appJwt.enabled === true;
  const ttl = (useApp ? appJwt.timeToLiveInSeconds : undefined) ?? tenantJwt.timeToLiveInSeconds ?? 3600;
  const keyId = (useApp ? appJwt.accessTokenKeyId : undefined) ?? tenantJwt.accessTokenKeyId ?? (await ctx.signingKeys.defaultKeyId());
  if (!keyId) throw new Error('no signing key is configured');
  const nowSeconds = Math.floor(ctx.now() / 1000);
  const registration = input.application ? input.user.registrations?.find((r) => r.applicationId === input.application!.id) : undefined;
  const claims: Record<string, unknown> = {
    ...(input.application && { aud: input.application.id, applicationId: input.application.id }),
    sub: input.user.id,
    iss: (input.tenant.issuer as string | undefined) ?? ctx.config.issuer,
    iat: nowSeconds,
    jti: randomUUID(),
    authenticationType: input.authenticationType,
    ...(input.user.email && { email: input.user.email, email_verified: input.user.verified }),
    ...(input.user.username && { preferred_username: input.user.username }),
    roles: registration?.roles ?? [],
    tid: input.tenant.id,
    auth_time: Math.floor(input.authTime / 1000),
  };
  const token = await ctx.signingKeys.sign(keyId, claims, ttl);
  return { token, tokenExpirationInstant: (nowSeconds + ttl) * 1000 };
}
