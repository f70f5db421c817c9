/**
 * The user view: one document per user holding the public user and its stored password, looked up by
 * id, email, username or loginId. It serves every strongly consistent read and the login path.
 * Events of `user-<id>` and `login-<id>` streams shape it, through the evolvers of each capability.
 */
import { subjectUserId } from '@idstream/domain';
import type { DocumentProjection } from '@idstream/projection-runner';
import { userViewEvolvers } from './evolvers/index.js';
import type { UserViewBody } from './user-view-types.js';

export const userViewProjection: DocumentProjection<UserViewBody> = {
  documentId(event) {
    if (!userViewEvolvers[event.type]) return undefined;
    const userId = (event.data as { userId?: unknown } | null)?.userId;
    return subjectUserId(event.streamName) ?? (typeof userId === 'string' ? userId : undefined);
  },
  evolve(document, event) {
    const evolver = userViewEvolvers[event.type];
    if (!evolver) return document;
    const next = evolver(document, event);
    return next && { ...next, position: event.position };
  },
};
