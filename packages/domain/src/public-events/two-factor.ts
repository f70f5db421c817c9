import type { TwoFactorMethodAdded, TwoFactorMethodRemoved } from '../user/modules/two-factor.js';
import type { PublicEventMappers } from './types.js';

/**
 * Two-factor methods: `user.two-factor.method.add` and `.remove`, with FusionAuth's `method` object
 * (id, kind, email or phone; never a secret). A removed method is named by its id only: the
 * removal event does not repeat what the method was.
 */
export const twoFactorPublicEvents: PublicEventMappers = {
  TwoFactorMethodAdded(event, currentUser) {
    const { method, tenantId } = (event as unknown as TwoFactorMethodAdded).data;
    return [{ type: 'user.two-factor.method.add', id: event.id, createInstant: event.recordedAt, tenantId, method, ...(currentUser && { user: currentUser }) }];
  },
  TwoFactorMethodRemoved(event, currentUser) {
    const { methodId, tenantId } = (event as unknown as TwoFactorMethodRemoved).data;
    return [{ type: 'user.two-factor.method.remove', id: event.id, createInstant: event.recordedAt, tenantId, method: { id: methodId }, ...(currentUser && { user: currentUser }) }];
  },
};
