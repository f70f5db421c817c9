/**
 * Failed-login protection (tenant `failedAuthenticationConfiguration`). A wrong password appends
 * `FailedAuthenticationCounted` next to `LoginFailed` on the user's login stream; the event carries
 * the tenant's settings of that moment, so folding it is deterministic on replay.
 */
import type { DomainEvent } from '../decider.js';

export type FailedAuthenticationCounted = DomainEvent<
  'FailedAuthenticationCounted',
  { userId: string; tenantId: string; instant: number; tooManyAttempts: number; resetCountInSeconds: number; actionDurationMs: number }
>;

export interface FailedAuthenticationState {
  count: number;
  windowStart?: number;
  lockedUntil?: number;
}

export function countFailedAuthentication(state: FailedAuthenticationState | undefined, event: FailedAuthenticationCounted['data']): FailedAuthenticationState {
  const { instant, tooManyAttempts, resetCountInSeconds, actionDurationMs } = event;
  const inWindow = state?.windowStart !== undefined && instant - state.windowStart <= resetCountInSeconds * 1000;
  const count = inWindow ? state!.count + 1 : 1;
  const windowStart = inWindow ? state!.windowStart! : instant;
  if (tooManyAttempts > 0 && count >= tooManyAttempts) return { count: 0, lockedUntil: instant + actionDurationMs };
  return { count, windowStart, ...(state?.lockedUntil !== undefined && { lockedUntil: state.lockedUntil }) };
}

const unitMs: Record<string, number> = { MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000, WEEKS: 604_800_000, MONTHS: 2_592_000_000, YEARS: 31_536_000_000 };

/** The tenant's lock duration in milliseconds (`actionDuration` × `actionDurationUnit`). */
export function actionDurationMs(duration: number, unit: string): number {
  return duration * (unitMs[unit] ?? 60_000);
}
