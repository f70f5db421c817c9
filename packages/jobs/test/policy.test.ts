import { describe, expect, it } from 'vitest';
import { backoffDelayMs, decideFailure } from '../src/policy.js';
import { PermanentJobError } from '../src/port.js';

describe('backoff policy', () => {
  const policy = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles from the initial delay and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 50].map((a) => backoffDelayMs(policy, a))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('subtracts at most the jitter fraction, never exceeding the cap', () => {
    const jittered = { ...policy, jitter: 0.5 };
    expect(backoffDelayMs(jittered, 10, () => 0)).toBe(1_000);
    expect(backoffDelayMs(jittered, 10, () => 0.999_999)).toBe(500);
    expect(backoffDelayMs(jittered, 1, () => 0.5)).toBe(75);
  });
});

describe('failure decision', () => {
  const base = { attempt: 1, maxAttempts: 3, ageFrom: 0, backoff: { initialDelayMs: 100, maxDelayMs: 100 }, now: 1_000 };

  it('retries a transient failure after the backoff delay', () => {
    expect(decideFailure({ ...base, error: new Error('503') })).toEqual({ status: 'retrying', delayMs: 100 });
  });

  it('is dead on a permanent error, on the last attempt, or when the next try would be too late', () => {
    expect(decideFailure({ ...base, error: new PermanentJobError('400') })).toEqual({ status: 'dead', reason: '400' });
    expect(decideFailure({ ...base, attempt: 3, error: new Error('503') })).toEqual({ status: 'dead', reason: '503' });
    expect(decideFailure({ ...base, maxAgeMs: 1_050, error: new Error('503') }).status).toBe('dead');
    expect(decideFailure({ ...base, maxAgeMs: 1_100, error: new Error('503') }).status).toBe('retrying');
  });
});
