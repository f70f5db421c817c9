import { publicLink, type IdentityProviderLinked, type IdentityProviderUnlinked } from '../identity-providers/links.js';
import type { PublicEventMappers } from './types.js';

export const identityProviderPublicEvents: PublicEventMappers = {
  IdentityProviderLinked(event, currentUser) {
    const { link, tenantId } = (event as unknown as IdentityProviderLinked).data;
    return [
      {
        type: 'user.identity-provider.link',
        id: event.id,
        createInstant: event.recordedAt,
        tenantId,
        identityProviderLink: publicLink(link),
        ...(currentUser && { user: currentUser }),
      },
    ];
  },
  IdentityProviderUnlinked(event, currentUser) {
    const { link, tenantId } = (event as unknown as IdentityProviderUnlinked).data;
    return [
      {
        type: 'user.identity-provider.unlink',
        id: event.id,
        createInstant: event.recordedAt,
        tenantId,
        identityProviderLink: publicLink(link),
        ...(currentUser && { user: currentUser }),
      },
    ];
  },
};
