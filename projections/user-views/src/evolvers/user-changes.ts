/**
 * The Users capability's part of the user view: changes, deactivation, erasure, passwords, verification
 * and registrations. The view mirrors the aggregate's state through the same domain evolvers, so the
 * two can never disagree; lookup keys follow the outstanding ids (by digest).
 */
import { secretsOf, userDecider, type UserState } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import { toView, type UserView } from '../user-view-types.js';
import type { UserViewEvolvers } from './types.js';

export const verificationIdKey = (hash: string): string => `verificationId:${hash}`;
export const changePasswordIdKey = (hash: string): string => `changePasswordId:${hash}`;
export const oneTimePasswordKey = (hash: string): string => `oneTimePassword:${hash}`;

function stateOf(view: UserView): UserState {
  return { status: 'active', user: view.body.user, ...(view.body.password && { password: view.body.password }), ...(view.body.secrets && { secrets: view.body.secrets }) };
}

function viewOf(state: UserState, position: number): UserView | null {
  if (state.status !== 'active' || !state.user) return null;
  const secrets = secretsOf(state);
  const keys = [
    ...(secrets.verification ? [verificationIdKey(secrets.verification.idHash)] : []),
    ...(secrets.changePassword ? [changePasswordIdKey(secrets.changePassword.idHash)] : []),
    ...(secrets.oneTimePassword ? [oneTimePasswordKey(secrets.oneTimePassword.hash)] : []),
  ];
  return toView(state.user, state.password, position, state.secrets ? { secrets: state.secrets } : {}, keys);
}

/** Applies the user decider's evolution to the view (a view that does not exist stays absent). */
function throughDomain(view: UserView | null, event: RecordedEvent): UserView | null {
  if (!view) return null;
  return viewOf(userDecider.evolve(stateOf(view), { type: event.type, data: event.data }), event.position);
}

const domainTypes = [
  'UserUpdated',
  'UserDeactivated',
  'UserReactivated',
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
];

export const userChangeEvolvers: UserViewEvolvers = {
  ...Object.fromEntries(domainTypes.map((type) => [type, throughDomain])),
  UserImported(_view, event) {
    const { user, password } = event.data as { user: UserView['body']['user']; password?: UserView['body']['password'] };
    return toView(user, password, event.position);
  },
  // Both erase the view: the marker on the user's stream and the tombstone that outlives it.
  UserErasureStarted: () => null,
  UserDeleted: () => null,
};
