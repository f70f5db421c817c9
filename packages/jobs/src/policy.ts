import type { BackoffPolicy, JobSpec } from './port.js';
import { PermanentJobError } from './port.js';

/** Defaults shared by every adapter so a job behaves the same whichever queue runs it. */
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 1_000, maxDelayMs: 300_000, jitter: 0.2 };

/**
 * Delay before the try that follows failed try number `attempt` (1-based): capped exponential,
 * with the jitter subtracted so the cap is never exceeded and retries of many jobs that failed
 * together spread out instead of hitting a recovering endpoint at the same instant.
 */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = policy.initialDelayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  return Math.max(0, Math.round(capped * (1 - jitter * random())));
}

export type FailureDecision = { status: 'dead'; reason: string } | { status: 'retrying'; delayMs: number };

export interface FailureInput {
  error: unknown;
  attempt: number;
  maxAttempts: number;
  /** Epoch ms the age limit counts from (enqueue, or the last manual retry). */
  ageFrom: number;
  maxAgeMs?: number | undefined;
  backoff: BackoffPolicy;
  now: number;
}

/** Decides what a failed try leads to; the age limit also kills a job whose next try would come too late. */
export function decideFailure(input: FailureInput): FailureDecision {
  const reason = errorMessage(input.error);
  if (input.error instanceof PermanentJobError) return { status: 'dead', reason };
  if (input.attempt >= input.maxAttempts) return { status: 'dead', reason };
  const delayMs = backoffDelayMs(input.backoff, input.attempt);
  if (input.maxAgeMs !== undefined && input.now + delayMs - input.ageFrom > input.maxAgeMs) {
    return { status: 'dead', reason: `${reason} (max age ${input.maxAgeMs} ms exceeded)` };
  }
  return { status: 'retrying', delayMs };
}

export function isTooOld(ageFrom: number, maxAgeMs: number | undefined | null, now: number): boolean {
  return maxAgeMs !== undefined && maxAgeMs !== null && now - ageFrom > maxAgeMs;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

/** Rejects specs that would otherwise fail later, far from the caller that made them. */
export function validateSpec(spec: JobSpec): void {
  if (typeof spec.id !== 'string' || spec.id.length === 0) throw new TypeError('job id must be a non-empty string');
  if (typeof spec.queue !== 'string' || spec.queue.length === 0) throw new TypeError('job queue must be a non-empty string');
  if (spec.maxAttempts !== undefined && !(Number.isInteger(spec.maxAttempts) && spec.maxAttempts >= 1)) {
    throw new RangeError(`maxAttempts must be an integer >= 1 (job ${spec.id})`);
  }
}

/** Calls the observer without letting its failure change a job whose outcome is already recorded. */
export async function notify<T>(callback: ((value: T) => void | Promise<void>) | undefined, value: T): Promise<void> {
  if (!callback) return;
  try {
    await callback(value);
  } catch {
    // The state change already happened; an observer error must not turn into a retry.
  }
}
