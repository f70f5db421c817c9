/**
 * Lookup material a user holds besides its public record: digests of outstanding ids and codes, never
 * their plaintext. Kept in `UserState.secrets` and in the user view's `secrets`.
 */
export interface UserSecrets {
  verification?: { idHash: string; codeHash?: string; expiresAt: number };
  changePassword?: { idHash: string; expiresAt: number; reason: 'forgot' | 'setup'; state?: Record<string, unknown> };
  oneTimePassword?: { hash: string; expiresAt: number; refreshTokenAllowed: boolean };
  /** Refresh tokens started before this instant are revoked (a password change revokes them all). */
  refreshTokensValidAfter?: number;
}

export function secretsOf(holder: { secrets?: Record<string, unknown> } | undefined): UserSecrets {
  return (holder?.secrets ?? {}) as UserSecrets;
}
