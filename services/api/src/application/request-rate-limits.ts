/**
 * FusionAuth's per-tenant `rateLimitConfiguration` for the requests that send something to a user:
 * `forgotPassword`, `sendEmailVerification` and `sendTwoFactor` ({enabled, limit, timePeriodInSeconds}),
 * counted per user (FusionAuth's rule) and, when the caller's address is known, per client IP at
 * `ipAddressLimit` (an Idstream extension) or ten times the per-user limit. Past a limit the API
 * answers 429 `[RateLimited]` with `Retry-After`. Passwordless sends have their own module
 * (passwordless-rate-limit.ts); windows live in each API node's memory, like theirs.
 */
import type { ConfigDocument } from '@idstream/domain';
import { SlidingWindowLimiter } from './passwordless-rate-limit.js';

export type RateLimitedRequest = 'forgotPassword' | 'sendEmailVerification' | 'sendTwoFactor';

interface RateLimitSettings {
  enabled?: boolean;
  limit?: number;
  timePeriodInSeconds?: number;
  ipAddressLimit?: number;
}

export class RequestRateLimitedError extends Error {
  override readonly name = 'RequestRateLimitedError';
  constructor(readonly request: RateLimitedRequest, readonly retryAfterSeconds: number) {
    super(`${request} rate limit reached`);
  }
}

const limiter = new SlidingWindowLimiter();

/** Counts one request of `type` for the user (and IP); throws when the tenant's limit is reached. */
export function enforceRateLimit(tenant: ConfigDocument, type: RateLimitedRequest, userId: string, ipAddress: string | undefined, now: number): void {
  const settings = ((tenant.rateLimitConfiguration ?? {}) as Partial<Record<RateLimitedRequest, RateLimitSettings>>)[type];
  if (!settings?.enabled) return;
  const limit = positive(settings.limit) ?? 5;
  const windowMs = (positive(settings.timePeriodInSeconds) ?? 60) * 1000;
  const ipLimit = positive(settings.ipAddressLimit) ?? limit * 10;
  const verdict = limiter.take(
    [{ key: `${type}:user:${userId}`, limit }, ...(ipAddress ? [{ key: `${type}:ip:${tenant.id}:${ipAddress}`, limit: ipLimit }] : [])],
    windowMs,
    now,
  );
  if (!verdict.allowed) throw new RequestRateLimitedError(type, verdict.retryAfterSeconds ?? 1);
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
}
