import type { Decider, DomainEvent } from '../decider.js';
import type { UserCommand } from './commands.js';
import type { UserModule } from './module.js';
import { profileModule } from './modules/profile.js';
import { passwordsModule } from './modules/passwords.js';
import { verificationModule } from './modules/verification.js';
import { registrationsModule } from './modules/registrations.js';
import { twoFactorModule } from './modules/two-factor.js';
import { initialUserState, type UserState } from './state.js';

export type { UserState } from './state.js';

/** Every user module; each capability adds its own (one line). */
const modules: UserModule[] = [profileModule, passwordsModule, verificationModule, registrationsModule, twoFactorModule];

const deciders: UserModule['decide'] = {};
const evolvers: UserModule['evolve'] = {};
for (const module of modules) {
  for (const [type, decide] of Object.entries(module.decide)) {
    if (deciders[type]) throw new Error(`user command ${type} decided twice`);
    deciders[type] = decide;
  }
  for (const [type, evolve] of Object.entries(module.evolve)) {
    if (evolvers[type]) throw new Error(`user event ${type} evolved twice`);
    evolvers[type] = evolve;
  }
}

export const userDecider: Decider<UserCommand, DomainEvent, UserState> = {
  initialState: initialUserState,
  decide(command, state) {
    const decide = deciders[command.type];
    if (!decide) throw new Error(`unknown user command ${command.type}`);
    return decide(command, state);
  },
  evolve(state, event) {
    const evolve = evolvers[event.type];
    // Events of other streams (login records) never reach this decider; unknown types are ignored
    // so that an older build can still fold a stream written by a newer one.
    return evolve ? evolve(state, event) : state;
  },
};

/** The values this user holds unique within the tenant; the command handler reserves them. */
export function uniqueValuesOf(state: UserState): { email?: string; username?: string } {
  if (state.status !== 'active' || !state.user) return {};
  return {
    ...(state.user.email && { email: state.user.email }),
    ...(state.user.username && { username: state.user.username }),
  };
}
