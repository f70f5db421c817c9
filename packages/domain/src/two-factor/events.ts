/**
 * Two-factor logins outside the user stream, each on its own stream so that consuming one is a single
 * conditional append (expected revision):
 * - `twofactor-<digest>`: a pending login after a 242, found by the SHA-256 of its `twoFactorId`;
 * - `twofactortrust-<digest>`: a trusted computer (`twoFactorTrustId`), found the same way.
 * Stream names hold digests only, never the ids a client presents.
 */
import { createHash } from 'node:crypto';
import type { DomainEvent } from '../decider.js';
import { entityStream } from '../streams.js';
import type { RequestInfo } from '../user/events.js';

/** A method as FusionAuth shows it on the user and in a 242 (`methods[x]`); never the secret. */
export interface TwoFactorMethod {
  id: string;
  method: 'authenticator' | 'email' | 'sms';
  authenticator?: { algorithm: 'HmacSHA1'; codeLength: number; timeStep: number };
  email?: string;
  mobilePhone?: string;
  lastUsed?: boolean;
}

export interface PendingTwoFactorLogin {
  userId: string;
  tenantId: string;
  applicationId?: string;
  authenticationType: string;
  noJWT: boolean;
  info?: RequestInfo;
  metaData?: Record<string, unknown>;
  state?: Record<string, unknown>;
  expiresAt: number;
  instant: number;
}

export type TwoFactorLoginStarted = DomainEvent<'TwoFactorLoginStarted', PendingTwoFactorLogin>;
/** A code sent by email or SMS for this pending login; `sealedCode` is for the delivering worker only. */
export type TwoFactorCodeSent = DomainEvent<'TwoFactorCodeSent', { userId: string; tenantId: string; methodId: string; codeHash: string; sealedCode: string; expiresAt: number; instant: number; email?: string; mobilePhone?: string }>;
export type TwoFactorCodeRejected = DomainEvent<'TwoFactorCodeRejected', { userId: string; instant: number }>;
export type TwoFactorLoginCompleted = DomainEvent<'TwoFactorLoginCompleted', { userId: string; instant: number; methodId?: string }>;
export type TwoFactorTrustGranted = DomainEvent<'TwoFactorTrustGranted', { userId: string; tenantId: string; expiresAt: number; instant: number }>;

export type PendingTwoFactorEvent = TwoFactorLoginStarted | TwoFactorCodeSent | TwoFactorCodeRejected | TwoFactorLoginCompleted;

/** Wrong codes a pending login survives; then it is gone and the user logs in again. */
export const MAX_TWO_FACTOR_ATTEMPTS = 5;

export interface PendingTwoFactorState {
  login?: PendingTwoFactorLogin;
  sentCodes: { methodId: string; codeHash: string; expiresAt: number }[];
  rejected: number;
  completed: boolean;
}

export function foldPendingTwoFactor(events: { type: string; data: unknown }[]): PendingTwoFactorState {
  const state: PendingTwoFactorState = { sentCodes: [], rejected: 0, completed: false };
  for (const raw of events) {
    const event = raw as PendingTwoFactorEvent;
    switch (event.type) {
      case 'TwoFactorLoginStarted':
        state.login = event.data;
        break;
      case 'TwoFactorCodeSent':
        state.sentCodes.push({ methodId: event.data.methodId, codeHash: event.data.codeHash, expiresAt: event.data.expiresAt });
        break;
      case 'TwoFactorCodeRejected':
        state.rejected += 1;
        break;
      case 'TwoFactorLoginCompleted':
        state.completed = true;
        break;
    }
  }
  return state;
}

/** Whether the pending login can still be completed at `now`. */
export function pendingTwoFactorOpen(state: PendingTwoFactorState, now: number): state is PendingTwoFactorState & { login: PendingTwoFactorLogin } {
  return Boolean(state.login && !state.completed && state.login.expiresAt > now && state.rejected < MAX_TWO_FACTOR_ATTEMPTS);
}

/** A UUID-shaped digest: stream ids from secrets without putting the secret in the name. */
export function digestUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const pendingTwoFactorStream = (twoFactorId: string): string => entityStream('twofactor', digestUuid('two-factor-login', twoFactorId));
export const twoFactorTrustStream = (trustId: string): string => entityStream('twofactortrust', digestUuid('two-factor-trust', trustId));
