import { normaliseUnique, type StoredPassword, type UserRecord } from '@idstream/domain';
import type { ViewDocument } from '@idstream/views';

export interface UserViewBody {
  user: UserRecord;
  password?: StoredPassword;
  /** Lookup-only values that are not part of the public user (verification ids, change-password ids…). */
  secrets?: Record<string, unknown>;
}

export type UserView = ViewDocument<UserViewBody>;

export const USER_VIEWS_ALIAS = 'users';

export const emailKey = (tenantId: string, email: string): string => `email:${tenantId}:${normaliseUnique(email)}`;
export const usernameKey = (tenantId: string, username: string): string => `username:${tenantId}:${normaliseUnique(username)}`;

/** The keys a user is found by: email and username, plus any extra lookup keys a capability adds. */
export function toView(user: UserRecord, password: StoredPassword | undefined, position: number, extra: Omit<UserViewBody, 'user' | 'password'> = {}, extraKeys: string[] = []): UserView {
  const keys = [
    ...(user.email ? [emailKey(user.tenantId, user.email)] : []),
    ...(user.username ? [usernameKey(user.tenantId, user.username)] : []),
    ...extraKeys,
  ];
  return { id: user.id, tenantId: user.tenantId, position, deleted: false, keys, body: { ...extra, user, ...(password && { password }) } };
}
