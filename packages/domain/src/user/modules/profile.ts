import { NotFoundError, ValidationError } from '../../errors.js';
import type { UserCreated, UserDeactivated, UserErasureStarted, UserImported, UserReactivated, UserUpdated } from '../events.js';
import type { UserModule } from '../module.js';
import type { CreateUser, DeactivateUser, ImportUser, ReactivateUser, StartUserErasure, UpdateUser } from '../commands.js';
import type { UserState } from '../state.js';
import type { UserRecord } from '../types.js';

/** A user that exists (active or deactivated); anything else is a 404. */
export function existing(state: UserState): UserRecord {
  if (state.status !== 'active' || !state.user) throw new NotFoundError('user');
  return state.user;
}

/** Kept by the server, not changed by a request (the login projection sets lastLoginInstant on the view only). */
const serverInstants = new Set(['lastUpdateInstant', 'lastLoginInstant', 'passwordLastUpdateInstant']);

/** Fields that differ between two versions of a user (top level), for history and webhooks. */
export function changedFields(before: UserRecord, after: UserRecord): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => !serverInstants.has(key) && JSON.stringify(before[key]) !== JSON.stringify(after[key])).sort();
}

/** The user's life cycle: create, import, replace, deactivate, reactivate, start of erasure. */
export const profileModule: UserModule = {
  decide: {
    CreateUser(raw, state) {
      const command = raw as unknown as CreateUser;
      if (state.status === 'active') {
        throw ValidationError.field('userId', 'duplicate', `A User with Id [${command.user.id}] already exists.`);
      }
      const event: UserCreated = {
        type: 'UserCreated',
        data: {
          user: command.user,
          ...(command.password && { password: command.password }),
          ...(command.applicationId && { applicationId: command.applicationId }),
          ...(command.info && { info: command.info }),
        },
      };
      return [event];
    },
    ImportUser(raw, state) {
      const command = raw as unknown as ImportUser;
      if (state.status === 'active') throw ValidationError.field('user.id', 'duplicate', `A User with Id [${command.user.id}] already exists.`);
      const event: UserImported = { type: 'UserImported', data: { user: command.user, importId: command.importId, ...(command.password && { password: command.password }) } };
      return [event];
    },
    UpdateUser(raw, state) {
      const command = raw as unknown as UpdateUser;
      const previous = existing(state);
      // A replace never sets these: they come from the user as it is now, not from the read the
      // request's user was built on. Otherwise a PUT racing a deactivation, a registration add or an
      // email verification (all acknowledged) would write back the older values and undo them.
      const emailKept = command.user.email === previous.email;
      const user: UserRecord = {
        ...command.user,
        active: previous.active,
        registrations: previous.registrations ?? [],
        ...(emailKept && { verified: previous.verified }),
        ...(emailKept && previous.verifiedInstant !== undefined && { verifiedInstant: previous.verifiedInstant }),
      };
      const changed = changedFields(previous, user);
      if (changed.length === 0 && !command.password) return [];
      const event: UserUpdated = {
        type: 'UserUpdated',
        data: {
          user,
          previous,
          changedFields: command.password ? [...changed, 'password'] : changed,
          ...(command.password && { password: command.password }),
          ...(command.applicationId && { applicationId: command.applicationId }),
          ...(command.info && { info: command.info }),
        },
      };
      return [event];
    },
    DeactivateUser(raw, state) {
      const command = raw as unknown as DeactivateUser;
      const user = existing(state);
      // Deactivating an inactive user changes nothing (and sends no second user.deactivate).
      if (!user.active) return [];
      const event: UserDeactivated = { type: 'UserDeactivated', data: { userId: user.id, tenantId: user.tenantId, instant: command.instant, ...(command.info && { info: command.info }) } };
      return [event];
    },
    ReactivateUser(raw, state) {
      const command = raw as unknown as ReactivateUser;
      const user = existing(state);
      if (user.active) return [];
      const event: UserReactivated = { type: 'UserReactivated', data: { userId: user.id, tenantId: user.tenantId, instant: command.instant, ...(command.info && { info: command.info }) } };
      return [event];
    },
    StartUserErasure(raw, state) {
      const command = raw as unknown as StartUserErasure;
      const user = existing(state);
      const event: UserErasureStarted = { type: 'UserErasureStarted', data: { userId: user.id, tenantId: user.tenantId, instant: command.instant } };
      return [event];
    },
  },
  evolve: {
    UserCreated(_state, raw) {
      const event = raw as UserCreated;
      return { status: 'active', user: event.data.user, ...(event.data.password && { password: event.data.password }) };
    },
    UserImported(_state, raw) {
      const event = raw as UserImported;
      return { status: 'active', user: event.data.user, ...(event.data.password && { password: event.data.password }) };
    },
    UserUpdated(state, raw) {
      const event = raw as UserUpdated;
      return { ...state, user: event.data.user, ...(event.data.password && { password: event.data.password }) };
    },
    UserDeactivated(state, raw) {
      const event = raw as UserDeactivated;
      return { ...state, user: { ...state.user!, active: false, lastUpdateInstant: event.data.instant } };
    },
    UserReactivated(state, raw) {
      const event = raw as UserReactivated;
      return { ...state, user: { ...state.user!, active: true, lastUpdateInstant: event.data.instant } };
    },
    UserErasureStarted() {
      return { status: 'deleted' };
    },
  },
};
