/**
 * Refresh tokens: one aggregate per token on its own `refreshtoken-<tokenId>` stream. The token value
 * never appears in an event, only its SHA-256 digest (`tokenHash`), which is also the lookup key.
 * `tokenId` is FusionAuth's `refreshTokenId`: stable across one-time-use rotation.
 */
import { createHash } from 'node:crypto';
import type { DomainEvent } from '../decider.js';
import { entityStream } from '../streams.js';

/** FusionAuth's `jwtConfiguration.refreshTokenExpirationPolicy`. */
export type RefreshTokenExpirationPolicy = 'Fixed' | 'SlidingWindow' | 'SlidingWindowWithMaximumLifetime';
/** FusionAuth's `jwtConfiguration.refreshTokenUsagePolicy`. */
export type RefreshTokenUsagePolicy = 'Reusable' | 'OneTimeUse';

/** What a refresh token records about the device it was issued to (`metaData.device`). */
export interface RefreshTokenMetaData {
  device?: { description?: string; lastAccessedAddress?: string; lastAccessedInstant?: number; name?: string; type?: string };
  scopes?: string[];
  data?: Record<string, unknown>;
}

export interface RefreshTokenIssuedData {
  tokenId: string;
  userId: string;
  tenantId: string;
  applicationId: string;
  tokenHash: string;
  /** When the token's life began (`startInstant`); kept across rotation. */
  startInstant: number;
  /** Absent: never expires. */
  expiresAt?: number;
  metaData?: RefreshTokenMetaData;
  /** Written by the user import (`POST /api/user/refresh-token/import`). */
  imported?: boolean;
  expirationPolicy?: RefreshTokenExpirationPolicy;
  usagePolicy?: RefreshTokenUsagePolicy;
  /** Sliding windows: the window length; `SlidingWindowWithMaximumLifetime` also caps at `maximumExpiresAt`. */
  timeToLiveInMinutes?: number;
  maximumExpiresAt?: number;
}

export type RefreshTokenIssued = DomainEvent<'RefreshTokenIssued', RefreshTokenIssuedData>;
/** An imported token (user import API); same shape, kept apart so the history says where it came from. */
export type RefreshTokenImported = DomainEvent<'RefreshTokenImported', RefreshTokenIssuedData>;
/** A refresh exchanged the token: new expiry for sliding windows, new digest for one-time-use tokens. */
export type RefreshTokenUsed = DomainEvent<
  'RefreshTokenUsed',
  { tokenId: string; userId: string; tenantId: string; instant: number; expiresAt?: number; tokenHash?: string; previousTokenHash?: string; ipAddress?: string }
>;
export type RefreshTokenRevoked = DomainEvent<'RefreshTokenRevoked', { tokenId: string; userId: string; tenantId: string; instant: number }>;

export type RefreshTokenEvent = RefreshTokenIssued | RefreshTokenImported | RefreshTokenUsed | RefreshTokenRevoked;
export const refreshTokenEventTypes: ReadonlySet<string> = new Set<RefreshTokenEvent['type']>(['RefreshTokenIssued', 'RefreshTokenImported', 'RefreshTokenUsed', 'RefreshTokenRevoked']);

export const refreshTokenStream = (tokenId: string): string => entityStream('refreshtoken', tokenId);

/** Lookup digest of a refresh token value (high entropy: a plain SHA-256 is enough). */
export function refreshTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
