/**
 * Two-factor on the user view: `user.twoFactor.methods` (public) and `secrets.twoFactor` (sealed TOTP
 * secrets, recovery code digests), through the same function the user aggregate folds with.
 */
import { applyTwoFactorEvent, twoFactorUserEventTypes, type TwoFactorUserEvent } from '@idstream/domain';
import type { UserView } from '../user-view-types.js';
import type { UserViewEvolver, UserViewEvolvers } from './types.js';

const applyToView: UserViewEvolver = (view, event) => {
  if (!view) return null;
  const next = applyTwoFactorEvent({ user: view.body.user, secrets: view.body.secrets ?? {} }, { type: event.type, data: event.data } as TwoFactorUserEvent);
  return { ...view, body: { ...view.body, user: next.user as UserView['body']['user'], secrets: next.secrets } };
};

export const twoFactorEvolvers: UserViewEvolvers = Object.fromEntries([...twoFactorUserEventTypes].map((type) => [type, applyToView]));
