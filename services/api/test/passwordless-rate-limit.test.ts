import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter } from '../src/application/passwordless-rate-limit.js';

describe('sliding window limiter', () => {
  it('allows `limit` hits per window, then refuses with the seconds until the oldest hit leaves', () => {
    const limiter = new SlidingWindowLimiter();
    const keys = [{ key: 'user:a', limit: 2 }];
    expect(limiter.take(keys, 60_000, 0).allowed).toBe(true);
    expect(limiter.take(keys, 60_000, 10_000).allowed).toBe(true);
    expect(limiter.take(keys, 60_000, 20_000)).toEqual({ allowed: false, retryAfterSeconds: 40 });
    expect(limiter.take(keys, 60_000, 60_001).allowed).toBe(true);
  });

  it('counts a hit against every key or none: a refused request does not use up the other key', () => {
    const limiter = new SlidingWindowLimiter();
    expect(limiter.take([{ key: 'ip:x', limit: 1 }], 60_000, 0).allowed).toBe(true);
    expect(limiter.take([{ key: 'user:b', limit: 1 }, { key: 'ip:x', limit: 1 }], 60_000, 1).allowed).toBe(false);
    expect(limiter.take([{ key: 'user:b', limit: 1 }], 60_000, 2).allowed).toBe(true);
  });
});
