/**
 * The user view: one document per user holding the public user and its stored password, looked up by
 * id, email, username or loginId. It serves every strongly consistent read and the login path.
 */
import { isUserEvent, normaliseUnique, subjectUserId, type StoredPassword, type UserEvent, type UserRecord } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { DocumentProjection } from '@idstream/projection-runner';
import type { ViewDocument } from '@idstream/views';

export interface UserViewBody {
  user: UserRecord;
  password?: StoredPassword;
}

export type UserView = ViewDocument<UserViewBody>;

export const USER_VIEWS_ALIAS = 'users';

export const emailKey = (tenantId: string, email: string): string => `email:${tenantId}:${normaliseUnique(email)}`;
export const usernameKey = (tenantId: string, username: string): string => `username:${tenantId}:${normaliseUnique(username)}`;

export const userViewProjection: DocumentProjection<UserViewBody> = {
  documentId(event) {
    return isUserEvent(event) ? subjectUserId(event.streamName) : undefined;
  },

  evolve(document, recorded) {
    const event = recorded as unknown as UserEvent & RecordedEvent;
    switch (event.type) {
      case 'UserCreated': {
        const { user, password } = event.data;
        return toView(user, password, recorded.position);
      }
      case 'LoginSucceeded': {
        if (!document) return null;
        const user = { ...document.body.user, lastLoginInstant: event.data.instant };
        return toView(user, event.data.rehashedPassword ?? document.body.password, recorded.position);
      }
      case 'LoginFailed':
        return document;
    }
  },
};

function toView(user: UserRecord, password: StoredPassword | undefined, position: number): UserView {
  const keys = [
    ...(user.email ? [emailKey(user.tenantId, user.email)] : []),
    ...(user.username ? [usernameKey(user.tenantId, user.username)] : []),
  ];
  return { id: user.id, tenantId: user.tenantId, position, deleted: false, keys, body: { user, ...(password && { password }) } };
}
