import { NotFoundError } from '../../errors.js';
import { digestsEqual } from '../../constant-time.js';
import type { ChangePasswordStarted, EmailVerified, OneTimePasswordConsumed, OneTimePasswordIssued, PasswordChanged, PasswordRehashed } from '../events.js';
import type { DomainEvent } from '../../decider.js';
import type { UserModule } from '../module.js';
import type { ChangePassword, ConsumeOneTimePassword, RehashPassword, StartChangePassword } from '../commands.js';
import type { UserState } from '../state.js';
import { existing } from './profile.js';
import { secretsOf, type UserSecrets } from './secrets.js';

const withSecrets = (state: UserState, change: Partial<UserSecrets>): UserState => ({ ...state, secrets: { ...secretsOf(state), ...change } });
const without = (state: UserState, key: keyof UserSecrets): UserState => {
  const secrets = { ...secretsOf(state) };
  delete secrets[key];
  return { ...state, secrets };
};

/**
 * Passwords: forgot/setup change-password ids, changes (by id, JWT or API key), re-hash on login, and
 * the one-time password a change hands to the Login API. Ids and codes arrive as digests.
 */
export const passwordsModule: UserModule = {
  decide: {
    StartChangePassword(raw, state) {
      const command = raw as unknown as StartChangePassword;
      const user = existing(state);
      const { type: _type, ...data } = command;
      const event: ChangePasswordStarted = { type: 'ChangePasswordStarted', data: { userId: user.id, tenantId: user.tenantId, ...data } };
      return [event];
    },
    ChangePassword(raw, state) {
      const command = raw as unknown as ChangePassword;
      const user = existing(state);
      const outstanding = secretsOf(state).changePassword;
      let verifiesEmail = false;
      if (command.method === 'changePasswordId') {
        // The id must be the outstanding one and unexpired: a used or replaced id is a 404 (restart the workflow).
        if (!outstanding || !digestsEqual(outstanding.idHash, command.changePasswordIdHash ?? '') || outstanding.expiresAt <= command.instant) throw new NotFoundError('changePasswordId');
        verifiesEmail = command.implicitEmailVerification && !user.verified;
      }
      const events: DomainEvent[] = [];
      const changed: PasswordChanged = {
        type: 'PasswordChanged',
        data: { userId: user.id, tenantId: user.tenantId, password: command.password, instant: command.instant, method: command.method, verifiesEmail, ...(command.info && { info: command.info }) },
      };
      events.push(changed);
      if (verifiesEmail) {
        const verified: EmailVerified = { type: 'EmailVerified', data: { userId: user.id, tenantId: user.tenantId, instant: command.instant } };
        events.push(verified);
      }
      if (command.oneTimePassword) {
        const issued: OneTimePasswordIssued = { type: 'OneTimePasswordIssued', data: { userId: user.id, tenantId: user.tenantId, ...command.oneTimePassword } };
        events.push(issued);
      }
      return events;
    },
    RehashPassword(raw, state) {
      const command = raw as unknown as RehashPassword;
      const user = existing(state);
      const event: PasswordRehashed = { type: 'PasswordRehashed', data: { userId: user.id, tenantId: user.tenantId, password: command.password, instant: command.instant } };
      return [event];
    },
    ConsumeOneTimePassword(raw, state) {
      const command = raw as unknown as ConsumeOneTimePassword;
      const user = existing(state);
      const otp = secretsOf(state).oneTimePassword;
      if (!otp || !digestsEqual(otp.hash, command.hash) || otp.expiresAt <= command.instant) throw new NotFoundError('oneTimePassword');
      const event: OneTimePasswordConsumed = { type: 'OneTimePasswordConsumed', data: { userId: user.id, tenantId: user.tenantId, hash: command.hash, instant: command.instant } };
      return [event];
    },
  },
  evolve: {
    ChangePasswordStarted(state, raw) {
      const { idHash, expiresAt, reason, state: flowState } = (raw as ChangePasswordStarted).data;
      return withSecrets(state, { changePassword: { idHash, expiresAt, reason, ...(flowState && { state: flowState }) } });
    },
    PasswordChanged(state, raw) {
      const { password, instant } = (raw as PasswordChanged).data;
      const next = without(state, 'changePassword');
      return {
        ...withSecrets(next, { refreshTokensValidAfter: instant }),
        password,
        user: { ...state.user!, passwordChangeRequired: false, passwordLastUpdateInstant: instant, lastUpdateInstant: instant },
      };
    },
    PasswordRehashed(state, raw) {
      return { ...state, password: (raw as PasswordRehashed).data.password };
    },
    OneTimePasswordIssued(state, raw) {
      const { hash, expiresAt, refreshTokenAllowed } = (raw as OneTimePasswordIssued).data;
      return withSecrets(state, { oneTimePassword: { hash, expiresAt, refreshTokenAllowed } });
    },
    OneTimePasswordConsumed(state) {
      return without(state, 'oneTimePassword');
    },
  },
};
