import type { DomainEvent } from '../decider.js';

/**
 * A passwordless code was generated. The code itself is never stored: its digest names the stream
 * (lookup), and the email worker gets it back from `sealedCode`, encrypted with a server key.
 */
export type PasswordlessCodeIssued = DomainEvent<
  'PasswordlessCodeIssued',
  {
    userId: string;
    tenantId: string;
    applicationId: string;
    instant: number;
    expiresAt: number;
    sealedCode: string;
    /** The caller's `state`, returned unchanged when the login completes. */
    state?: Record<string, unknown>;
  }
>;

/** Someone asked for the code to be emailed; the email reactor turns this into a job. */
export type PasswordlessCodeSent = DomainEvent<
  'PasswordlessCodeSent',
  { userId: string; tenantId: string; applicationId: string; instant: number; issuedRevision: number; ipAddress?: string }
>;

/** The code was used to log in; no later use can succeed. */
export type PasswordlessCodeConsumed = DomainEvent<
  'PasswordlessCodeConsumed',
  { userId: string; tenantId: string; applicationId: string; instant: number; ipAddress?: string }
>;

export type PasswordlessEvent = PasswordlessCodeIssued | PasswordlessCodeSent | PasswordlessCodeConsumed;

export const passwordlessEventTypes: ReadonlySet<string> = new Set<PasswordlessEvent['type']>([
  'PasswordlessCodeIssued',
  'PasswordlessCodeSent',
  'PasswordlessCodeConsumed',
]);

/** SecretBox purpose of `sealedCode`: only the email worker opens it. */
export const PASSWORDLESS_CODE_PURPOSE = 'passwordless-code';
