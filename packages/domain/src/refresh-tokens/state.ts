import type { RefreshTokenEvent, RefreshTokenIssuedData } from './events.js';

/** A refresh token as its stream folds it. */
export interface RefreshTokenState extends RefreshTokenIssuedData {
  revoked: boolean;
  lastUsedInstant?: number;
}

export function evolveRefreshToken(state: RefreshTokenState | undefined, event: RefreshTokenEvent): RefreshTokenState | undefined {
  switch (event.type) {
    case 'RefreshTokenIssued':
    case 'RefreshTokenImported':
      return { ...event.data, revoked: false };
    case 'RefreshTokenUsed':
      if (!state) return state;
      return {
        ...state,
        lastUsedInstant: event.data.instant,
        ...(event.data.expiresAt !== undefined && { expiresAt: event.data.expiresAt }),
        ...(event.data.tokenHash && { tokenHash: event.data.tokenHash }),
        ...(event.data.ipAddress && { metaData: { ...state.metaData, device: { ...state.metaData?.device, lastAccessedAddress: event.data.ipAddress, lastAccessedInstant: event.data.instant } } }),
      };
    case 'RefreshTokenRevoked':
      return state && { ...state, revoked: true };
  }
}

/** Whether the token can be exchanged at `now`. */
export function refreshTokenUsable(state: RefreshTokenState | undefined, now: number): state is RefreshTokenState {
  return Boolean(state && !state.revoked && (state.expiresAt === undefined || state.expiresAt > now));
}
