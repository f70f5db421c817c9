import { ValidationError } from '../errors.js';
import { assertNever, type Decider } from '../decider.js';
import type { RequestInfo, UserStreamEvent } from './events.js';
import type { StoredPassword, UserRecord } from './types.js';

export type UserCommand = { type: 'CreateUser'; user: UserRecord; password?: StoredPassword; applicationId?: string; info?: RequestInfo };

export interface UserState {
  status: 'absent' | 'active';
  user?: UserRecord;
  password?: StoredPassword;
}

export const userDecider: Decider<UserCommand, UserStreamEvent, UserState> = {
  initialState: () => ({ status: 'absent' }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateUser':
        if (state.status !== 'absent') {
          throw ValidationError.field('userId', 'duplicate', `A User with Id [${command.user.id}] already exists.`);
        }
        return [
          {
            type: 'UserCreated',
            data: {
              user: command.user,
              ...(command.password && { password: command.password }),
              ...(command.applicationId && { applicationId: command.applicationId }),
              ...(command.info && { info: command.info }),
            },
          },
        ];
      default:
        return assertNever(command.type);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'UserCreated':
        return { status: 'active', user: event.data.user, ...(event.data.password && { password: event.data.password }) };
      default:
        return assertNever(event.type);
    }
  },
};

/** The values this user holds unique within the tenant; the command handler reserves them. */
export function uniqueValuesOf(state: UserState): { email?: string; username?: string } {
  if (state.status === 'absent' || !state.user) return {};
  return {
    ...(state.user.email && { email: state.user.email }),
    ...(state.user.username && { username: state.user.username }),
  };
}
