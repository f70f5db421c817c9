import type { StoredPassword, UserRecord } from './types.js';

/**
 * The user aggregate's state, shared by every user module. `secrets` holds lookup material that is
 * not part of the public user (hashes of verification or change-password ids, recovery codes…),
 * keyed by each module.
 */
export interface UserState {
  status: 'absent' | 'active' | 'deleted';
  user?: UserRecord;
  password?: StoredPassword;
  secrets?: Record<string, unknown>;
}

export const initialUserState = (): UserState => ({ status: 'absent' });
