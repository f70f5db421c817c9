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

/** The email a `PasswordlessCodeSent` asked for was accepted by the mail server (or the dev mailbox). */
export type PasswordlessEmailDelivered = DomainEvent<
  'PasswordlessEmailDelivered',
  { userId: string; tenantId: string; applicationId: string; instant: number; issuedRevision: number; attempt: number }
>;

/**
 * The email could not be delivered and will not be tried again: the mail server refused it for good
 * or kept failing (`delivery`), or the user has no email address (`noEmailAddress`). `error` never
 * holds the recipient's address.
 */
export type PasswordlessEmailFailed = DomainEvent<
  'PasswordlessEmailFailed',
  { userId: string; tenantId: string; applicationId: string; instant: number; issuedRevision: number; attempt: number; reason: 'delivery' | 'noEmailAddress'; error?: string }
>;

export type PasswordlessEvent = PasswordlessCodeIssued | PasswordlessCodeSent | PasswordlessCodeConsumed | PasswordlessEmailDelivered | PasswordlessEmailFailed;

export const passwordlessEventTypes: ReadonlySet<string> = new Set<PasswordlessEvent['type']>([
  'PasswordlessCodeIssued',
  'PasswordlessCodeSent',
  'PasswordlessCodeConsumed',
  'PasswordlessEmailDelivered',
  'PasswordlessEmailFailed',
]);

/** SecretBox purpose of `sealedCode`: only the email worker opens it. */
export const PASSWORDLESS_CODE_PURPOSE = 'passwordless-code';
