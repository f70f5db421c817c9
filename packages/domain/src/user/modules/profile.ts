import { ValidationError } from '../../errors.js';
import type { UserCreated } from '../events.js';
import type { UserModule } from '../module.js';
import type { CreateUser } from '../commands.js';

/** Creating users (and, as the Users capability grows, changing and deleting them). */
export const profileModule: UserModule = {
  decide: {
    CreateUser(raw, state) {
      const command = raw as unknown as CreateUser;
      if (state.status !== 'absent') {
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
  },
  evolve: {
    UserCreated(_state, raw) {
      const event = raw as UserCreated;
      return { status: 'active', user: event.data.user, ...(event.data.password && { password: event.data.password }) };
    },
  },
};
