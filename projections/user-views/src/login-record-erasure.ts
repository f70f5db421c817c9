/**
 * Hard delete reaches the login records. A record's id sorts by instant, not by user, so this
 * handler keeps an index from user to record ids and, when the `UserDeleted` tombstone appears on
 * `erasure-<id>`, writes a tombstone over every record of that user. The tombstone carries the
 * `UserDeleted` position, greater than any record's, so the records projection (a separate runner,
 * possibly behind) can never write them back. The user stays marked as erased: a login recorded after
 * the erasure (one that raced the delete) is tombstoned as soon as it is seen, for good.
 */
import type { LoginSucceeded, UserDeleted } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { ProjectionHandler } from '@idstream/projection-runner';
import type { ViewCollection, ViewDatabase, ViewDocument } from '@idstream/views';
import { loginRecordsProjection, type LoginRecordBody } from './login-records.js';

export const LOGIN_RECORDS_BY_USER_COLLECTION = 'login_records_by_user';
export const LOGIN_RECORD_ERASURE_CHECKPOINT = 'login-record-erasure';

export interface LoginRecordsByUserBody {
  recordIds: string[];
  erased?: boolean;
}

/** A position no event reaches: a record tombstoned after its user's erasure stays deleted. */
const FOREVER = Number.MAX_SAFE_INTEGER;

export class LoginRecordErasure implements ProjectionHandler {
  readonly name = LOGIN_RECORD_ERASURE_CHECKPOINT;
  private readonly index: ViewCollection<LoginRecordsByUserBody>;

  constructor(
    private readonly db: ViewDatabase,
    private readonly records: ViewCollection<LoginRecordBody>,
  ) {
    this.index = db.collection<LoginRecordsByUserBody>(LOGIN_RECORDS_BY_USER_COLLECTION);
  }

  getCheckpoint(): Promise<number | undefined> {
    return this.db.getCheckpoint(this.name);
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const users = new Map<string, ViewDocument<LoginRecordsByUserBody>>();
    const tombstones = new Map<string, ViewDocument<LoginRecordBody>>();
    const load = async (userId: string, tenantId: string) => {
      let document = users.get(userId);
      if (!document) {
        const stored = await this.index.getIncludingDeleted(userId);
        document = stored && !stored.deleted ? { ...stored, body: { ...stored.body, recordIds: [...stored.body.recordIds] } } : { id: userId, tenantId, position: 0, deleted: false, keys: [], body: { recordIds: [] } };
        users.set(userId, document);
      }
      return document;
    };
    const tombstone = (id: string, tenantId: string, position: number) => tombstones.set(id, { id, tenantId, position, deleted: true, keys: [], body: {} as LoginRecordBody });

    for (const event of events) {
      if (event.type === 'LoginSucceeded') {
        const recordId = loginRecordsProjection.documentId(event);
        const { userId, tenantId } = (event as unknown as LoginSucceeded).data;
        if (!recordId) continue;
        const document = await load(userId, tenantId);
        if (document.body.erased) tombstone(recordId, tenantId, FOREVER);
        else document.body.recordIds.push(recordId);
        document.position = event.position;
      } else if (event.type === 'UserDeleted') {
        const { userId, tenantId } = (event as unknown as UserDeleted).data;
        const document = await load(userId, tenantId);
        for (const recordId of document.body.recordIds) tombstone(recordId, tenantId, event.position);
        // Only the mark stays: no record id (nor anything else) of an erased user is kept.
        document.body = { recordIds: [], erased: true };
        document.position = event.position;
      }
    }
    if (tombstones.size > 0) await this.records.write([...tombstones.values()]);
    const checkpoint = { name: this.name, position: last.position };
    // A batch without logins or deletes (most of them) only moves the checkpoint, which the
    // database may write behind: a transaction per batch here was 1% of the API process's CPU.
    if (users.size === 0) await this.db.setCheckpoint(checkpoint);
    else await this.index.write([...users.values()], checkpoint);
  }
}
