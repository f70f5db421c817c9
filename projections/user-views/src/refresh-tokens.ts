/**
 * Refresh tokens by user: one document per user (id = userId) holding that user's tokens, found by the
 * digest of a token (`refreshToken:<sha256>`) or by token id (`refreshTokenId:<id>`). It is applied in
 * the same batch and checkpoint as the user views, so a login's token is usable as soon as it answers.
 */
import { evolveRefreshToken, refreshTokenEventTypes, type RefreshTokenEvent, type RefreshTokenState } from '@idstream/domain';
import type { DocumentProjection } from '@idstream/projection-runner';

export interface RefreshTokensBody {
  userId: string;
  tokens: Record<string, RefreshTokenState>;
}

export const REFRESH_TOKENS_COLLECTION = 'refresh_tokens';
export const refreshTokenKey = (tokenHash: string): string => `refreshToken:${tokenHash}`;
export const refreshTokenIdKey = (tokenId: string): string => `refreshTokenId:${tokenId}`;

export const refreshTokensProjection: DocumentProjection<RefreshTokensBody> = {
  documentId(event) {
    if (!refreshTokenEventTypes.has(event.type)) return undefined;
    return (event.data as { userId?: string }).userId;
  },
  evolve(document, event) {
    const data = event.data as RefreshTokenEvent['data'];
    const tokens = { ...document?.body.tokens };
    const next = evolveRefreshToken(tokens[data.tokenId], { type: event.type, data } as RefreshTokenEvent);
    // Revoked tokens leave the document: nothing can use or list them any more.
    if (next && !next.revoked) tokens[data.tokenId] = next;
    else delete tokens[data.tokenId];
    const live = Object.values(tokens);
    return {
      id: data.userId,
      tenantId: data.tenantId,
      position: event.position,
      deleted: false,
      keys: live.flatMap((t) => [refreshTokenKey(t.tokenHash), refreshTokenIdKey(t.tokenId)]),
      body: { userId: data.userId, tokens },
    };
  },
};
