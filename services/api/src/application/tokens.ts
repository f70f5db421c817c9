/**
 * Access tokens in FusionAuth's claim set, signed with the application's key when its JWT
 * configuration is enabled, else the tenant's.
 */
import { randomUUID } from 'node:crypto';
import { randomToken } from '@idstream/crypto';
import { refreshTokenHash, refreshTokenStream, type ConfigDocument, type RefreshTokenExpirationPolicy, type RefreshTokenIssuedData, type RefreshTokenMetaData, type RefreshTokenUsagePolicy, type RequestInfo, type UserRecord } from '@idstream/domain';
import type { AppendRequest, EventMetadata } from '@idstream/eventstore';
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

/** Refresh token settings: the application's when its JWT configuration is enabled, else the tenant's. */
export interface RefreshTokenPolicy {
  timeToLiveInMinutes: number;
  expirationPolicy: RefreshTokenExpirationPolicy;
  usagePolicy: RefreshTokenUsagePolicy;
  maximumTimeToLiveInMinutes?: number;
}

export function refreshTokenPolicy(tenant: ConfigDocument, application?: ConfigDocument): RefreshTokenPolicy {
  const appJwt = (application?.jwtConfiguration ?? {}) as Record<string, unknown>;
  const source = appJwt.enabled === true ? appJwt : ((tenant.jwtConfiguration ?? {}) as Record<string, unknown>);
  const sliding = source.refreshTokenSlidingWindowConfiguration as { maximumTimeToLiveInMinutes?: number } | undefined;
  return {
    timeToLiveInMinutes: Number(source.refreshTokenTimeToLiveInMinutes ?? 43_200),
    expirationPolicy: (source.refreshTokenExpirationPolicy as RefreshTokenExpirationPolicy | undefined) ?? 'Fixed',
    usagePolicy: (source.refreshTokenUsagePolicy as RefreshTokenUsagePolicy | undefined) ?? 'Reusable',
    ...(sliding?.maximumTimeToLiveInMinutes !== undefined && { maximumTimeToLiveInMinutes: Number(sliding.maximumTimeToLiveInMinutes) }),
  };
}

export interface NewRefreshToken {
  token: string;
  tokenId: string;
  /** The append that stores it (on its own stream); the caller writes it with the login record. */
  append(metadata?: EventMetadata): AppendRequest;
}

/** A new refresh token: a 256-bit random value, stored as its SHA-256 digest only. */
export function newRefreshToken(
  ctx: AppContext,
  input: { user: UserRecord; tenant: ConfigDocument; application: ConfigDocument; device?: NonNullable<RefreshTokenMetaData['device']>; info?: RequestInfo },
): NewRefreshToken {
  const now = ctx.now();
  const policy = refreshTokenPolicy(input.tenant, input.application);
  const token = randomToken(48);
  const tokenId = randomUUID();
  const device = { ...input.device, ...(input.info?.ipAddress && { lastAccessedAddress: input.info.ipAddress }), lastAccessedInstant: now };
  const data: RefreshTokenIssuedData = {
    tokenId,
    userId: input.user.id,
    tenantId: input.user.tenantId,
    applicationId: input.application.id,
    tokenHash: refreshTokenHash(token),
    startInstant: now,
    expiresAt: now + policy.timeToLiveInMinutes * 60_000,
    expirationPolicy: policy.expirationPolicy,
    usagePolicy: policy.usagePolicy,
    timeToLiveInMinutes: policy.timeToLiveInMinutes,
    ...(policy.expirationPolicy === 'SlidingWindowWithMaximumLifetime' && policy.maximumTimeToLiveInMinutes !== undefined && {
      maximumExpiresAt: now + policy.maximumTimeToLiveInMinutes * 60_000,
    }),
    metaData: { device },
  };
  return {
    token,
    tokenId,
    append: (metadata) => ({
      streamName: refreshTokenStream(tokenId),
      expectedRevision: 'no_stream',
      events: [{ id: randomUUID(), type: 'RefreshTokenIssued', data, ...(metadata && { metadata }) }],
    }),
  };
}
