import type { RefreshTokenRevoked } from '../refresh-tokens/events.js';
import type { PublicEventMappers } from './types.js';

/**
 * Refresh tokens: `jwt.refresh-token.revoke`. Idstream revokes token by token (one stream per token),
 * so a revocation of several tokens is several events, each naming its token in `refreshTokenId`.
 */
export const refreshTokenPublicEvents: PublicEventMappers = {
  RefreshTokenRevoked(event, currentUser) {
    const { tokenId, userId, tenantId } = (event as unknown as RefreshTokenRevoked).data;
    return [
      {
        type: 'jwt.refresh-token.revoke',
        id: event.id,
        createInstant: event.recordedAt,
        tenantId,
        userId,
        refreshTokenId: tokenId,
        ...(currentUser && { user: currentUser }),
      },
    ];
  },
};
