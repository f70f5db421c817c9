/**
 * The public event contract: how internal events appear to downstream systems, in FusionAuth's
 * webhook event shape (`{"event": {type, id, createInstant, tenantId, info, user…}}`) so existing
 * FusionAuth receivers work unchanged. One internal event may map to several public ones (e.g.
 * `user.create` and `user.create.complete`); the first keeps the internal id, later ones derive
 * theirs, so redelivery carries the same ids. Each capability adds its mappers in its own module.
 */
import type { UserRecord } from '../user/types.js';
import type { PublicEvent, PublicEventMappers, SourceEvent } from './types.js';
import { userPublicEvents } from './user.js';
import { identityProviderPublicEvents } from './identity-providers.js';
import { refreshTokenPublicEvents } from './refresh-tokens.js';
import { twoFactorPublicEvents } from './two-factor.js';

export * from './types.js';
export * from './schemas.js';

const modules: PublicEventMappers[] = [userPublicEvents, identityProviderPublicEvents, refreshTokenPublicEvents, twoFactorPublicEvents];

const mappers: PublicEventMappers = {};
for (const module of modules) {
  for (const [type, mapper] of Object.entries(module)) {
    if (mappers[type]) throw new Error(`public event mapper for ${type} defined twice`);
    mappers[type] = mapper;
  }
}

/**
 * False when `type` never appears to downstream systems (no mapper). Cheaper than `toPublicEvents`:
 * nothing is built, for a check made on every event.
 */
export function mayBePublic(type: string): boolean {
  return mappers[type] !== undefined;
}

export function toPublicEvents(event: SourceEvent, currentUser?: UserRecord): PublicEvent[] {
  return mappers[event.type]?.(event, currentUser) ?? [];
}
