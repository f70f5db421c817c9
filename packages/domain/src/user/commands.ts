import type { ChangePasswordStarted, EmailVerificationStarted, RequestInfo } from './events.js';
import type { Registration, StoredPassword, UserRecord } from './types.js';

export interface CreateUser {
  type: 'CreateUser';
  user: UserRecord;
  password?: StoredPassword;
  applicationId?: string;
  info?: RequestInfo;
}

export interface ImportUser {
  type: 'ImportUser';
  user: UserRecord;
  password?: StoredPassword;
  importId: string;
}

/** Replaces the user; `password` only when a new one was given (PUT keeps the old one otherwise). */
export interface UpdateUser {
  type: 'UpdateUser';
  user: UserRecord;
  password?: StoredPassword;
  applicationId?: string;
  info?: RequestInfo;
}

export interface DeactivateUser { type: 'DeactivateUser'; instant: number; info?: RequestInfo }
export interface ReactivateUser { type: 'ReactivateUser'; instant: number; info?: RequestInfo }
export interface StartUserErasure { type: 'StartUserErasure'; instant: number }

export interface ChangePassword {
  type: 'ChangePassword';
  password: StoredPassword;
  instant: number;
  method: 'changePasswordId' | 'jwt' | 'apiKey';
  /** Digest of the change-password id presented (method `changePasswordId`): must be the outstanding one. */
  changePasswordIdHash?: string;
  /** Issue a one-time password for the Login API (digest and lifetime). */
  oneTimePassword?: { hash: string; expiresAt: number; refreshTokenAllowed: boolean };
  /** The tenant verifies an email implicitly when an emailed change-password id is used. */
  implicitEmailVerification: boolean;
  info?: RequestInfo;
}

export interface RehashPassword { type: 'RehashPassword'; password: StoredPassword; instant: number }

/** A start command carries what its event records, less the user and tenant the decider adds. */
type StartedEventData<E extends { data: object }> = Omit<E['data'], 'userId' | 'tenantId'>;

export interface StartChangePassword extends StartedEventData<ChangePasswordStarted> {
  type: 'StartChangePassword';
}

export interface StartEmailVerification extends StartedEventData<EmailVerificationStarted> {
  type: 'StartEmailVerification';
}

/** Verifies the email: by the verification id (digest, and code digest when the tenant asks for one), or by an admin. */
export interface VerifyEmail {
  type: 'VerifyEmail';
  instant: number;
  idHash?: string;
  codeHash?: string;
}

export interface ConsumeOneTimePassword { type: 'ConsumeOneTimePassword'; hash: string; instant: number }

export interface CreateRegistration { type: 'CreateRegistration'; registration: Registration; info?: RequestInfo }
export interface UpdateRegistration { type: 'UpdateRegistration'; registration: Registration; info?: RequestInfo }
export interface DeleteRegistration { type: 'DeleteRegistration'; applicationId: string; info?: RequestInfo }

/** Any command of any user module; modules narrow by `type`. */
export type UserCommand = { type: string } & Record<string, unknown>;
