import { coreEvolvers } from './core.js';
import { userChangeEvolvers } from './user-changes.js';
import { twoFactorEvolvers } from './two-factor.js';
import { loginSecurityEvolvers } from './login-security.js';
import type { UserViewEvolvers } from './types.js';

/** Every capability's evolvers; a later module may not redefine an event type (checked below). */
const modules: UserViewEvolvers[] = [coreEvolvers, userChangeEvolvers, twoFactorEvolvers, loginSecurityEvolvers];

export const userViewEvolvers: UserViewEvolvers = {};
for (const module of modules) {
  for (const [type, evolver] of Object.entries(module)) {
    if (userViewEvolvers[type]) throw new Error(`user view evolver for ${type} defined twice`);
    userViewEvolvers[type] = evolver;
  }
}
