/**
 * Sending passwordless emails is limited per user and per client IP address by the tenant's
 * `rateLimitConfiguration.sendPasswordless` ({enabled, limit, timePeriodInSeconds}). The per-IP limit
 * is `ipAddressLimit` when the tenant sets it (an Idstream extension) else ten times the per-user one.
 * Windows are kept in this API node's memory.
 */
import type { ConfigDocument } from '@idstream/domain';

interface RateLimitSettings {
  enabled?: boolean;
  limit?: number;
  timePeriodInSeconds?: number;
  ipAddressLimit?: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  /** Seconds until the oldest counted request leaves the window. */
  retryAfterSeconds?: number;
}

export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  private sweptAt = 0;

  /** Counts a hit for every key, or for none when any key is over its limit. */
  take(keys: { key: string; limit: number }[], windowMs: number, now: number): RateLimitVerdict {
    this.sweep(windowMs, now);
    let retryAfterMs = 0;
    for (const { key, limit } of keys) {
      const recent = (this.hits.get(key) ?? []).filter((t) => t > now - windowMs);
      this.hits.set(key, recent);
      if (recent.length >= limit) retryAfterMs = Math.max(retryAfterMs, recent[0]! + windowMs - now);
    }
    if (retryAfterMs > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
    for (const { key } of keys) this.hits.get(key)!.push(now);
    return { allowed: true };
  }

  /** Drops idle keys now and then, so memory follows active clients only. */
  private sweep(windowMs: number, now: number): void {
    if (now - this.sweptAt < windowMs) return;
    this.sweptAt = now;
    for (const [key, times] of this.hits) if (!times.some((t) => t > now - windowMs)) this.hits.delete(key);
  }
}

const limiter = new SlidingWindowLimiter();

export function takeSendAllowance(tenant: ConfigDocument, userId: string, ipAddress: string | undefined, now: number): RateLimitVerdict {
  const config = ((tenant.rateLimitConfiguration ?? {}) as { sendPasswordless?: RateLimitSettings }).sendPasswordless;
  if (!config?.enabled) return { allowed: true };
  const limit = positive(config.limit) ?? 5;
  const windowMs = (positive(config.timePeriodInSeconds) ?? 60) * 1000;
  const ipLimit = positive(config.ipAddressLimit) ?? limit * 10;
  return limiter.take(
    [{ key: `user:${userId}`, limit }, ...(ipAddress ? [{ key: `ip:${tenant.id}:${ipAddress}`, limit: ipLimit }] : [])],
    windowMs,
    now,
  );
}

function positive(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;
}
