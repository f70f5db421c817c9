/** Hard delete reaches passwordless codes: their streams hold the user id and the caller's `state`. */
import { isPasswordlessStream } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import type { ViewDatabase } from '@idstream/views';
import { StreamErasureReactor, type UserStreamsBody } from './stream-erasure.js';

export const PASSWORDLESS_CODES_COLLECTION = 'passwordless_codes_by_user';
export type PasswordlessCodesBody = UserStreamsBody;

export class PasswordlessErasureReactor extends StreamErasureReactor {
  constructor(db: ViewDatabase, eventStore: Pick<EventStore, 'deleteStream'>) {
    super('passwordless-erasure', PASSWORDLESS_CODES_COLLECTION, isPasswordlessStream, db, eventStore);
  }
}
