/**
 * Two-factor methods and recovery codes on the user stream. Secrets arrive sealed (TOTP secret) or
 * digested (recovery codes) on the command: the module never sees a plaintext.
 */
import { NotFoundError, ValidationError } from '../../errors.js';
import { includesDigest } from '../../constant-time.js';
import type { DomainEvent } from '../../decider.js';
import type { TwoFactorMethod } from '../../two-factor/events.js';
import type { UserModule } from '../module.js';
import type { UserState } from '../state.js';

export type TwoFactorMethodAdded = DomainEvent<
  'TwoFactorMethodAdded',
  { userId: string; tenantId: string; method: TwoFactorMethod; sealedSecret?: string; recoveryCodeHashes?: string[]; instant: number }
>;
export type TwoFactorMethodRemoved = DomainEvent<'TwoFactorMethodRemoved', { userId: string; tenantId: string; methodId: string; instant: number }>;
export type TwoFactorRecoveryCodesGenerated = DomainEvent<'TwoFactorRecoveryCodesGenerated', { userId: string; tenantId: string; hashes: string[]; instant: number }>;
export type TwoFactorRecoveryCodeUsed = DomainEvent<'TwoFactorRecoveryCodeUsed', { userId: string; tenantId: string; hash: string; instant: number }>;

export type TwoFactorUserEvent = TwoFactorMethodAdded | TwoFactorMethodRemoved | TwoFactorRecoveryCodesGenerated | TwoFactorRecoveryCodeUsed;
export const twoFactorUserEventTypes: ReadonlySet<string> = new Set<TwoFactorUserEvent['type']>([
  'TwoFactorMethodAdded',
  'TwoFactorMethodRemoved',
  'TwoFactorRecoveryCodesGenerated',
  'TwoFactorRecoveryCodeUsed',
]);

export interface EnableTwoFactor { type: 'EnableTwoFactor'; method: TwoFactorMethod; sealedSecret?: string; recoveryCodeHashes: string[]; instant: number }
export interface DisableTwoFactor { type: 'DisableTwoFactor'; methodId: string; instant: number }
export interface GenerateRecoveryCodes { type: 'GenerateRecoveryCodes'; hashes: string[]; instant: number }
export interface UseRecoveryCode { type: 'UseRecoveryCode'; hash: string; instant: number }

/** `secrets.twoFactor` of the user state and the user view. */
export interface TwoFactorSecrets {
  /** Sealed TOTP secrets by method id. */
  sealedSecrets: Record<string, string>;
  recoveryCodeHashes: string[];
}

export function twoFactorSecretsOf(holder: { secrets?: Record<string, unknown> } | undefined): TwoFactorSecrets {
  return (holder?.secrets?.twoFactor as TwoFactorSecrets | undefined) ?? { sealedSecrets: {}, recoveryCodeHashes: [] };
}

export function twoFactorMethodsOf(user: object | undefined): TwoFactorMethod[] {
  return (((user as { twoFactor?: { methods?: TwoFactorMethod[] } } | undefined)?.twoFactor)?.methods) ?? [];
}

/** Applies a two-factor event to a `{user, secrets}` holder: shared by the aggregate and the user view. */
export function applyTwoFactorEvent<T extends { user?: Record<string, unknown> & { twoFactor?: unknown }; secrets?: Record<string, unknown> }>(holder: T, event: TwoFactorUserEvent): T {
  if (!holder.user) return holder;
  const methods = twoFactorMethodsOf(holder.user);
  const secrets = twoFactorSecretsOf(holder);
  let nextMethods = methods;
  let nextSecrets = secrets;
  switch (event.type) {
    case 'TwoFactorMethodAdded':
      nextMethods = [...methods, event.data.method];
      nextSecrets = {
        sealedSecrets: { ...secrets.sealedSecrets, ...(event.data.sealedSecret && { [event.data.method.id]: event.data.sealedSecret }) },
        recoveryCodeHashes: event.data.recoveryCodeHashes ?? secrets.recoveryCodeHashes,
      };
      break;
    case 'TwoFactorMethodRemoved': {
      nextMethods = methods.filter((m) => m.id !== event.data.methodId);
      const { [event.data.methodId]: _removed, ...rest } = secrets.sealedSecrets;
      // FusionAuth: the recovery codes go with the last method.
      nextSecrets = { sealedSecrets: rest, recoveryCodeHashes: nextMethods.length === 0 ? [] : secrets.recoveryCodeHashes };
      break;
    }
    case 'TwoFactorRecoveryCodesGenerated':
      nextSecrets = { ...secrets, recoveryCodeHashes: event.data.hashes };
      break;
    case 'TwoFactorRecoveryCodeUsed':
      nextSecrets = { ...secrets, recoveryCodeHashes: secrets.recoveryCodeHashes.filter((h) => h !== event.data.hash) };
      break;
  }
  const { twoFactor: _old, ...userRest } = holder.user;
  const user = nextMethods.length > 0 ? { ...userRest, twoFactor: { methods: nextMethods } } : userRest;
  return { ...holder, user, secrets: { ...holder.secrets, twoFactor: nextSecrets } };
}

function activeUser(state: UserState) {
  if (state.status !== 'active' || !state.user) throw new NotFoundError('user');
  return state.user;
}

export const twoFactorModule: UserModule = {
  decide: {
    EnableTwoFactor(raw, state) {
      const command = raw as unknown as EnableTwoFactor;
      const user = activeUser(state);
      const methods = twoFactorMethodsOf(user);
      if (methods.some((m) => m.method === command.method.method && m.method === 'authenticator')) {
        throw ValidationError.field('method', 'duplicate', 'This user already has an authenticator two-factor method.');
      }
      if (command.method.email && methods.some((m) => m.method === 'email' && m.email === command.method.email)) {
        throw ValidationError.field('email', 'duplicate', 'This email is already a two-factor method of this user.');
      }
      // Recovery codes come with the first method only.
      const withCodes = methods.length === 0 ? { recoveryCodeHashes: command.recoveryCodeHashes } : {};
      const event: TwoFactorMethodAdded = {
        type: 'TwoFactorMethodAdded',
        data: { userId: user.id, tenantId: user.tenantId, method: command.method, instant: command.instant, ...(command.sealedSecret && { sealedSecret: command.sealedSecret }), ...withCodes },
      };
      return [event];
    },
    DisableTwoFactor(raw, state) {
      const command = raw as unknown as DisableTwoFactor;
      const user = activeUser(state);
      if (!twoFactorMethodsOf(user).some((m) => m.id === command.methodId)) {
        throw ValidationError.field('methodId', 'invalid', `The two-factor method [${command.methodId}] does not exist for this user.`);
      }
      const event: TwoFactorMethodRemoved = { type: 'TwoFactorMethodRemoved', data: { userId: user.id, tenantId: user.tenantId, methodId: command.methodId, instant: command.instant } };
      return [event];
    },
    GenerateRecoveryCodes(raw, state) {
      const command = raw as unknown as GenerateRecoveryCodes;
      const user = activeUser(state);
      if (twoFactorMethodsOf(user).length === 0) throw ValidationError.general('[TwoFactorNotEnabled]', 'Two-factor authentication is not enabled for this user.');
      const event: TwoFactorRecoveryCodesGenerated = { type: 'TwoFactorRecoveryCodesGenerated', data: { userId: user.id, tenantId: user.tenantId, hashes: command.hashes, instant: command.instant } };
      return [event];
    },
    UseRecoveryCode(raw, state) {
      const command = raw as unknown as UseRecoveryCode;
      const user = activeUser(state);
      // A code already used (e.g. by a concurrent request that won the append) is refused here.
      if (!includesDigest(twoFactorSecretsOf(state).recoveryCodeHashes, command.hash)) throw new RecoveryCodeInvalidError('recovery code');
      const event: TwoFactorRecoveryCodeUsed = { type: 'TwoFactorRecoveryCodeUsed', data: { userId: user.id, tenantId: user.tenantId, hash: command.hash, instant: command.instant } };
      return [event];
    },
  },
  evolve: Object.fromEntries(
    [...twoFactorUserEventTypes].map((type) => [type, (state: UserState, event: DomainEvent) => applyTwoFactorEvent(state, event as TwoFactorUserEvent)]),
  ),
};

export class RecoveryCodeInvalidError extends Error {
  override readonly name = 'RecoveryCodeInvalidError';
}
