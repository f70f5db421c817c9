/** The user as FusionAuth returns it. Unknown fields sent by a client are kept, not refused. */
export interface Registration {
  id: string;
  applicationId: string;
  roles?: string[];
  username?: string;
  data?: Record<string, unknown>;
  verified?: boolean;
  insertInstant?: number;
  lastLoginInstant?: number;
  [key: string]: unknown;
}

export interface UserRecord {
  id: string;
  tenantId: string;
  email?: string;
  username?: string;
  active: boolean;
  verified: boolean;
  insertInstant: number;
  lastUpdateInstant: number;
  lastLoginInstant?: number;
  passwordChangeRequired: boolean;
  passwordLastUpdateInstant?: number;
  usernameStatus?: 'ACTIVE' | 'PENDING' | 'REJECTED';
  data?: Record<string, unknown>;
  registrations?: Registration[];
  [key: string]: unknown;
}

/** A password as stored: never the plaintext. `hash` is the scheme's encoded digest (PHC for argon2id). */
export interface StoredPassword {
  encryptionScheme: string;
  factor: number;
  salt: string;
  hash: string;
}
