/**
 * Hard delete reaches the login records. A record's id sorts by instant, not by user, so this
 * handler keeps an index from user to record ids and, when the `UserDeleted` tombstone appears on
 * `erasure-<id>`, writes a tombstone over every record of that user. The tombstone carries the
 * `UserDeleted` position, greater than any record's, so the records projection (a separate runner,
 * possibly behind) can never write them back. The user stays marked as erased: a login recorded after
 * the erasure (one that raced the delete) is tombstoned as soon as it is seen, for good.
 *
 * The index is chunked (see `ChunkedIdsBatch`): the user's document holds the latest record ids. One
 * document with every id made each login rewrite and re-parse all the user's earlier ids — quadratic
 * for a service account that logs in all day (a login's CPU doubled after a few thousand logins of
 * one user).
 */
import type { LoginSucceeded, UserDeleted } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { ProjectionHandler } from '@idstream/projection-runner';
import { ChunkedIdsBatch, IDS_PER_CHUNK, type ChunkedIdsBody, type ViewCollection, type ViewDatabase, type ViewDocument } from '@idstream/views';
import { loginRecordsProjection, type LoginRecordBody } from './login-records.js';

export const LOGIN_RECORDS_BY_USER_COLLECTION = 'login_records_by_user';
export const LOGIN_RECORD_ERASURE_CHECKPOINT = 'login-record-erasure';

/** `recordIds`: the field indexes written before chunking hold their whole list in. */
export type LoginRecordsByUserBody = ChunkedIdsBody<'recordIds'>;

export const RECORDS_PER_CHUNK = IDS_PER_CHUNK;

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

  ignores(event: RecordedEvent): boolean {
    return event.type !== 'LoginSucceeded' && event.type !== 'UserDeleted';
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const index = new ChunkedIdsBatch(this.index, 'recordIds', RECORDS_PER_CHUNK);
    const tombstones = new Map<string, ViewDocument<LoginRecordBody>>();
    const tombstone = (id: string, tenantId: string, position: number) => tombstones.set(id, { id, tenantId, position, deleted: true, keys: [], body: {} as LoginRecordBody });

    for (const event of events) {
      if (event.type === 'LoginSucceeded') {
        const recordId = loginRecordsProjection.documentId(event);
        const { userId, tenantId } = (event as unknown as LoginSucceeded).data;
        if (!recordId) continue;
        const user = await index.owner(userId, tenantId);
        if (user.body.erased) tombstone(recordId, tenantId, FOREVER);
        else index.append(user, recordId, event.position);
      } else if (event.type === 'UserDeleted') {
        const { userId, tenantId } = (event as unknown as UserDeleted).data;
        const user = await index.owner(userId, tenantId);
        for (const recordId of await index.erase(user, event.position)) tombstone(recordId, tenantId, event.position);
      }
    }
    if (tombstones.size > 0) await this.records.write([...tombstones.values()]);
    const checkpoint = { name: this.name, position: last.position };
    const changed = index.documents();
    // A batch that leaves the index as it was (most of them: no login, no delete) only moves the
    // checkpoint, which the database may write behind: a transaction per batch here was 1% of the
    // API process's CPU.
    if (changed.length === 0) await this.db.setCheckpoint(checkpoint);
    else await this.index.write(changed, checkpoint);
  }
}
