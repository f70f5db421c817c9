import { NotFoundError, ValidationError } from '../../errors.js';
import { digestsEqual } from '../../constant-time.js';
import type { EmailVerificationStarted, EmailVerified } from '../events.js';
import type { UserModule } from '../module.js';
import type { StartEmailVerification, VerifyEmail } from '../commands.js';
import { existing } from './profile.js';
import { secretsOf } from './secrets.js';

/** Email verification: issuing verification ids (and codes), and verifying by id, id + code, or admin. */
export const verificationModule: UserModule = {
  decide: {
    StartEmailVerification(raw, state) {
      const command = raw as unknown as StartEmailVerification;
      const user = existing(state);
      if (!user.email) throw ValidationError.field('email', 'blank', 'The user has no email address to verify.');
      const { type: _type, ...data } = command;
      const event: EmailVerificationStarted = { type: 'EmailVerificationStarted', data: { userId: user.id, tenantId: user.tenantId, ...data } };
      return [event];
    },
    VerifyEmail(raw, state) {
      const command = raw as unknown as VerifyEmail;
      const user = existing(state);
      if (command.idHash !== undefined) {
        const outstanding = secretsOf(state).verification;
        if (!outstanding || !digestsEqual(outstanding.idHash, command.idHash) || outstanding.expiresAt <= command.instant) throw new NotFoundError('verificationId');
        if (outstanding.codeHash && !digestsEqual(outstanding.codeHash, command.codeHash ?? '')) {
          throw ValidationError.field('oneTimeCode', 'invalid', 'The [oneTimeCode] is not valid.');
        }
      }
      const event: EmailVerified = { type: 'EmailVerified', data: { userId: user.id, tenantId: user.tenantId, instant: command.instant, ...(user.email && { email: user.email }) } };
      return [event];
    },
  },
  evolve: {
    EmailVerificationStarted(state, raw) {
      const { idHash, codeHash, expiresAt } = (raw as EmailVerificationStarted).data;
      return { ...state, secrets: { ...secretsOf(state), verification: { idHash, expiresAt, ...(codeHash && { codeHash }) } } };
    },
    EmailVerified(state, raw) {
      const { instant } = (raw as EmailVerified).data;
      const secrets = { ...secretsOf(state) };
      delete secrets.verification;
      const user = state.user!;
      // verifiedInstant records the first verification only (FusionAuth: immutable).
      return { ...state, secrets, user: { ...user, verified: true, verifiedInstant: user.verifiedInstant ?? instant } };
    },
  },
};
