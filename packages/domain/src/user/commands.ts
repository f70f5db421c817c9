import type { RequestInfo } from './events.js';
import type { StoredPassword, UserRecord } from './types.js';

export interface CreateUser {
  type: 'CreateUser';
  user: UserRecord;
  password?: StoredPassword;
  applicationId?: string;
  info?: RequestInfo;
}

/** Any command of any user module; modules narrow by `type`. */
export type UserCommand = { type: string } & Record<string, unknown>;
