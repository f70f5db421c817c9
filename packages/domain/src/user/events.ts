import type { Registration, StoredPassword, UserRecord } from './types.js';
import type { DomainEvent } from '../decider.js';

/** Where a request came from; copied into FusionAuth's event `info`. */
export interface RequestInfo {
  ipAddress?: string;
  userAgent?: string;
  deviceName?: string;
  deviceType?: string;
}

export type UserCreated = DomainEvent<
  'UserCreated',
  { user: UserRecord; password?: StoredPassword; applicationId?: string; info?: RequestInfo }
>;

/** One user of an import (`POST /api/user/import`); no per-user webhook (the import emits `user.bulk.create`). */
export type UserImported = DomainEvent<'UserImported', { user: UserRecord; password?: StoredPassword; importId: string }>;

/** A replaced user (PUT, PATCH): the whole new record; `changedFields` names what differs (history, webhooks). */
export type UserUpdated = DomainEvent<
  'UserUpdated',
  { user: UserRecord; previous: UserRecord; password?: StoredPassword; changedFields: string[]; applicationId?: string; info?: RequestInfo }
>;

export type UserDeactivated = DomainEvent<'UserDeactivated', { userId: string; tenantId: string; instant: number; info?: RequestInfo }>;
export type UserReactivated = DomainEvent<'UserReactivated', { userId: string; tenantId: string; instant: number; info?: RequestInfo }>;

/**
 * Marks the start of a hard delete on the user's own stream (it guards the delete with the stream's
 * revision); the stream is deleted right after. Carries ids only.
 */
export type UserErasureStarted = DomainEvent<'UserErasureStarted', { userId: string; tenantId: string; instant: number }>;

/**
 * The tombstone of a hard delete, on the `erasure-<userId>` stream, which outlives the user's deleted
 * streams: it removes the user from the views and search on replay. Ids only, never personal data.
 */
export type UserDeleted = DomainEvent<'UserDeleted', { userId: string; tenantId: string; instant: number }>;

/** A new password (change, reset, admin). Outstanding change-password ids and refresh tokens die with it. */
export type PasswordChanged = DomainEvent<
  'PasswordChanged',
  {
    userId: string;
    tenantId: string;
    password: StoredPassword;
    instant: number;
    /** How the change was authorised. */
    method: 'changePasswordId' | 'jwt' | 'apiKey';
    /** The change-password id was emailed (setup or forgot password): the email is proven (implicit verification). */
    verifiesEmail: boolean;
    info?: RequestInfo;
  }
>;

/** The stored hash was upgraded to the tenant's scheme after a successful login (same password). */
export type PasswordRehashed = DomainEvent<'PasswordRehashed', { userId: string; tenantId: string; password: StoredPassword; instant: number }>;

/**
 * A verification id was issued. The id is stored as a SHA-256 digest for lookup; `sealedId` (and
 * `sealedCode`) hold it encrypted with a server key so the email worker can put it in the email.
 */
export type EmailVerificationStarted = DomainEvent<
  'EmailVerificationStarted',
  {
    userId: string;
    tenantId: string;
    idHash: string;
    codeHash?: string;
    expiresAt: number;
    sendEmail: boolean;
    sealedId?: string;
    sealedCode?: string;
    applicationId?: string;
  }
>;

export type EmailVerified = DomainEvent<'EmailVerified', { userId: string; tenantId: string; instant: number; email?: string }>;

/** A change-password id was issued (forgot password, or the setup-password email of a create). */
export type ChangePasswordStarted = DomainEvent<
  'ChangePasswordStarted',
  {
    userId: string;
    tenantId: string;
    idHash: string;
    expiresAt: number;
    reason: 'forgot' | 'setup';
    sendEmail: boolean;
    sealedId?: string;
    applicationId?: string;
    state?: Record<string, unknown>;
  }
>;

/** A one-time password for the Login API (after a change password); stored as a digest. */
export type OneTimePasswordIssued = DomainEvent<
  'OneTimePasswordIssued',
  { userId: string; tenantId: string; hash: string; expiresAt: number; refreshTokenAllowed: boolean }
>;
export type OneTimePasswordConsumed = DomainEvent<'OneTimePasswordConsumed', { userId: string; tenantId: string; hash: string; instant: number }>;

export type RegistrationCreated = DomainEvent<'RegistrationCreated', { userId: string; tenantId: string; registration: Registration; info?: RequestInfo }>;
export type RegistrationUpdated = DomainEvent<
  'RegistrationUpdated',
  { userId: string; tenantId: string; registration: Registration; previous: Registration; info?: RequestInfo }
>;
export type RegistrationDeleted = DomainEvent<'RegistrationDeleted', { userId: string; tenantId: string; registration: Registration; info?: RequestInfo }>;

/** One per import request, on `import-<id>`: the public `user.bulk.create`. Ids only. */
export type UsersImported = DomainEvent<'UsersImported', { importId: string; tenantId: string; userIds: string[]; instant: number }>;

export type LoginSucceeded = DomainEvent<
  'LoginSucceeded',
  {
    userId: string;
    tenantId: string;
    applicationId?: string;
    instant: number;
    authenticationType: string;
    info?: RequestInfo;
    /** Set when the stored hash was upgraded on this login (re-hash to the tenant's scheme). */
    rehashedPassword?: StoredPassword;
  }
>;

export type LoginFailed = DomainEvent<
  'LoginFailed',
  { userId: string; tenantId: string; applicationId?: string; instant: number; reason: 'password' | 'inactive' | 'expired'; info?: RequestInfo }
>;

/** Events of the `user-<id>` stream, folded by the user decider. */
export type UserStreamEvent =
  | UserCreated
  | UserImported
  | UserUpdated
  | UserDeactivated
  | UserReactivated
  | UserErasureStarted
  | PasswordChanged
  | PasswordRehashed
  | EmailVerificationStarted
  | EmailVerified
  | ChangePasswordStarted
  | OneTimePasswordIssued
  | OneTimePasswordConsumed
  | RegistrationCreated
  | RegistrationUpdated
  | RegistrationDeleted;
/** Events of the `login-<id>` stream: appended without reading, never folded by a decider. */
export type LoginEvent = LoginSucceeded | LoginFailed;
/** Everything that shapes the user view. */
export type UserEvent = UserStreamEvent | LoginEvent | UserDeleted;
export type UserEventType = UserEvent['type'];

export const userEventTypes: ReadonlySet<string> = new Set<UserEventType>([
  'UserCreated',
  'UserImported',
  'UserUpdated',
  'UserDeactivated',
  'UserReactivated',
  'UserErasureStarted',
  'UserDeleted',
  'PasswordChanged',
  'PasswordRehashed',
  'EmailVerificationStarted',
  'EmailVerified',
  'ChangePasswordStarted',
  'OneTimePasswordIssued',
  'OneTimePasswordConsumed',
  'RegistrationCreated',
  'RegistrationUpdated',
  'RegistrationDeleted',
  'LoginSucceeded',
  'LoginFailed',
]);

const loginEventTypes: ReadonlySet<string> = new Set<LoginEvent['type']>(['LoginSucceeded', 'LoginFailed']);

/** A login outcome: the bulk of a busy identity service's events. */
export function isLoginEvent(event: { type: string }): event is LoginEvent {
  return loginEventTypes.has(event.type);
}

export function isUserEvent(event: { type: string }): event is UserEvent {
  return userEventTypes.has(event.type);
}
