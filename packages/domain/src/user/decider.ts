import { ValidationError } from '../errors.js';
import { assertNever, type Decider } from '../decider.js';
import type { LoginFailed, LoginSucceeded, RequestInfo, UserEvent } from './events.js';
import type { StoredPassword, UserRecord } from './types.js';

export type UserCommand =
  | { type: 'CreateUser'; user: UserRecord; password?: StoredPassword; applicationId?: string; info?: RequestInfo }
  | { type: 'RecordLogin'; outcome: LoginSucceeded['data'] }
  | { type: 'RecordFailedLogin'; outcome: LoginFailed['data'] };

export interface UserState {
  status: 'absent' | 'active';
  user?: UserRecord;
  password?: StoredPassword;
}

export const userDecider: Decider<UserCommand, UserEvent, UserState> = {
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
      case 'RecordLogin':
        return state.status === 'absent' ? [] : [{ type: 'LoginSucceeded', data: command.outcome }];
      case 'RecordFailedLogin':
        return state.status === 'absent' ? [] : [{ type: 'LoginFailed', data: command.outcome }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'UserCreated':
        return { status: 'active', user: event.data.user, ...(event.data.password && { password: event.data.password }) };
      case 'LoginSucceeded': {
        if (!state.user) return state;
        const user = { ...state.user, lastLoginInstant: event.data.instant };
        const password = event.data.rehashedPassword ?? state.password;
        return { ...state, user, ...(password && { password }) };
      }
      case 'LoginFailed':
        return state;
      default:
        return assertNever(event);
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
