import type { StoredPassword, UserRecord } from './types.js';
import type { DomainEvent } from '../decider.js';

/** Where a request came from; copied into FusionAuth's event `info`. */
export interface RequestInfo {
  ipAddress?: string;
  userAgent?: string;
  deviceName?: string;
  deviceType?: string;
}

export type UserCreated = DomainEvent<
  'UserCreated',
  { user: UserRecord; password?: StoredPassword; applicationId?: string; info?: RequestInfo }
>;

export type LoginSucceeded = DomainEvent<
  'LoginSucceeded',
  {
    userId: string;
    tenantId: string;
    applicationId?: string;
    instant: number;
    authenticationType: string;
    info?: RequestInfo;
    /** Set when the stored hash was upgraded on this login (re-hash to the tenant's scheme). */
    rehashedPassword?: StoredPassword;
  }
>;

export type LoginFailed = DomainEvent<
  'LoginFailed',
  { userId: string; tenantId: string; applicationId?: string; instant: number; reason: 'password' | 'inactive' | 'expired'; info?: RequestInfo }
>;

/** Events of the `user-<id>` stream, folded by the user decider. */
export type UserStreamEvent = UserCreated;
/** Events of the `login-<id>` stream: appended without reading, never folded by a decider. */
export type LoginEvent = LoginSucceeded | LoginFailed;
/** Everything that shapes the user view. */
export type UserEvent = UserStreamEvent | LoginEvent;
export type UserEventType = UserEvent['type'];

export const userEventTypes: ReadonlySet<string> = new Set<UserEventType>(['UserCreated', 'LoginSucceeded', 'LoginFailed']);

export function isUserEvent(event: { type: string }): event is UserEvent {
  return userEventTypes.has(event.type);
}
