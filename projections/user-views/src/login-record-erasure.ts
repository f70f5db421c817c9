/**
 * Hard delete reaches the login records. A record's id sorts by instant, not by user, so this
 * handler keeps an index from user to record ids and, when the `UserDeleted` tombstone appears on
 * `erasure-<id>`, writes a tombstone over every record of that user. The tombstone carries the
 * `UserDeleted` position, greater than any record's, so the records projection (a separate runner,
 * possibly behind) can never write them back. The user stays marked as erased: a login recorded after
 * the erasure (one that raced the delete) is tombstoned as soon as it is seen, for good.
 *
 * The index is chunked: the user's document holds the latest record ids (at most RECORDS_PER_CHUNK)
 * and the count of sealed chunks `<userId>:<n>` holding the older ones. One document with every id
 * made each login rewrite and re-parse all the user's earlier ids — quadratic for a service account
 * that logs in all day (a login's CPU doubled after a few thousand logins of one user).
 */
import type { LoginSucceeded, UserDeleted } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { ProjectionHandler } from '@idstream/projection-runner';
import type { ViewCollection, ViewDatabase, ViewDocument } from '@idstream/views';
import { loginRecordsProjection, type LoginRecordBody } from './login-records.js';

export const LOGIN_RECORDS_BY_USER_COLLECTION = 'login_records_by_user';
export const LOGIN_RECORD_ERASURE_CHECKPOINT = 'login-record-erasure';

export interface LoginRecordsByUserBody {
  /** The latest record ids (the whole list in indexes written before chunking). */
  recordIds: string[];
  /** How many sealed chunks (`<userId>:0` …) hold older record ids. */
  sealedChunks?: number;
  erased?: boolean;
}

/** Record ids kept in the user's document before they are sealed into a chunk of their own. */
export const RECORDS_PER_CHUNK = 64;
const chunkId = (userId: string, n: number) => `${userId}:${n}`;

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
    const sealed: ViewDocument<LoginRecordsByUserBody>[] = [];
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
        else {
          if (document.body.recordIds.length >= RECORDS_PER_CHUNK) {
            const n = document.body.sealedChunks ?? 0;
            sealed.push({ id: chunkId(userId, n), tenantId, position: event.position, deleted: false, keys: [], body: { recordIds: document.body.recordIds } });
            document.body.recordIds = [];
            document.body.sealedChunks = n + 1;
          }
          document.body.recordIds.push(recordId);
        }
        document.position = event.position;
      } else if (event.type === 'UserDeleted') {
        const { userId, tenantId } = (event as unknown as UserDeleted).data;
        const document = await load(userId, tenantId);
        const chunkIds = Array.from({ length: document.body.sealedChunks ?? 0 }, (_, n) => chunkId(userId, n));
        const chunks = [...(await this.index.getMany(chunkIds)), ...sealed.filter((c) => chunkIds.includes(c.id))];
        for (const recordId of [...chunks.flatMap((c) => c.body.recordIds), ...document.body.recordIds]) tombstone(recordId, tenantId, event.position);
        // Only the mark stays: no record id (nor anything else) of an erased user is kept.
        for (const id of chunkIds) sealed.push({ id, tenantId, position: event.position, deleted: true, keys: [], body: { recordIds: [] } });
        document.body = { recordIds: [], erased: true };
        document.position = event.position;
      }
    }
    if (tombstones.size > 0) await this.records.write([...tombstones.values()]);
    const checkpoint = { name: this.name, position: last.position };
    // A batch without logins or deletes (most of them) only moves the checkpoint, which the
    // database may write behind: a transaction per batch here was 1% of the API process's CPU.
    if (users.size === 0) await this.db.setCheckpoint(checkpoint);
    // A chunk sealed and erased in one batch appears twice: the write keeps the later (erased) one.
    else await this.index.write([...sealed, ...users.values()], checkpoint);
  }
}
