/**
 * Hard delete reaches passwordless codes. A code's stream is named by a digest of the code, not by
 * the user, yet holds the user id and the caller's `state`; so this reactor keeps an index from user
 * to code streams (a view) and, when a `UserDeleted` tombstone appears on `erasure-<id>`, deletes
 * every code stream of that user. The user stays marked as erased in the index: a code stream
 * written after the erasure (an email outcome recorded late, an issue that raced the delete) is
 * deleted as soon as it is seen.
 */
import { isPasswordlessStream, parseStreamName, type UserDeleted } from '@idstream/domain';
import type { EventStore, RecordedEvent } from '@idstream/eventstore';
import type { ProjectionHandler } from '@idstream/projection-runner';
import type { ViewCollection, ViewDatabase, ViewDocument } from '@idstream/views';

export const PASSWORDLESS_CODES_COLLECTION = 'passwordless_codes_by_user';

export interface PasswordlessCodesBody {
  /** Code streams that hold this user's id, oldest first. */
  streams: string[];
  /** The user was hard-deleted: its code streams are gone and any new one is deleted on sight. */
  erased?: boolean;
}

export class PasswordlessErasureReactor implements ProjectionHandler {
  readonly name = 'passwordless-erasure';
  private readonly collection: ViewCollection<PasswordlessCodesBody>;

  constructor(
    private readonly db: ViewDatabase,
    private readonly eventStore: Pick<EventStore, 'deleteStream'>,
  ) {
    this.collection = db.collection<PasswordlessCodesBody>(PASSWORDLESS_CODES_COLLECTION);
  }

  getCheckpoint(): Promise<number | undefined> {
    return this.db.getCheckpoint(this.name);
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const loaded = new Map<string, ViewDocument<PasswordlessCodesBody>>();
    const changed = new Map<string, ViewDocument<PasswordlessCodesBody>>();
    const doomed = new Set<string>();
    const load = async (userId: string, tenantId: string) => {
      let document = loaded.get(userId);
      if (!document) {
        const stored = await this.collection.get(userId);
        document = stored ? { ...stored, body: { ...stored.body, streams: [...stored.body.streams] } } : { id: userId, tenantId, position: 0, deleted: false, keys: [], body: { streams: [] } };
        loaded.set(userId, document);
      }
      return document;
    };

    for (const event of events) {
      const { userId, tenantId } = (event.data ?? {}) as { userId?: string; tenantId?: string };
      if (typeof userId !== 'string') continue;
      if (isPasswordlessStream(event.streamName)) {
        const document = await load(userId, tenantId ?? '');
        if (document.body.erased) {
          doomed.add(event.streamName);
          continue;
        }
        if (document.body.streams.includes(event.streamName)) continue;
        document.body.streams.push(event.streamName);
        document.position = event.position;
        changed.set(userId, document);
      } else if (event.type === 'UserDeleted' && isErasureStream(event.streamName)) {
        const data = event.data as UserDeleted['data'];
        const document = await load(data.userId, data.tenantId);
        for (const stream of document.body.streams) doomed.add(stream);
        document.body = { streams: [], erased: true };
        document.position = event.position;
        changed.set(data.userId, document);
      }
    }

    // Streams first, then the index and checkpoint: a crash in between replays the batch, and
    // deleting a stream that is already gone is a no-op.
    for (const stream of doomed) await this.eventStore.deleteStream(stream);
    await this.collection.write([...changed.values()], { name: this.name, position: last.position });
  }
}

function isErasureStream(streamName: string): boolean {
  const parsed = parseStreamName(streamName);
  return parsed?.kind === 'entity' && parsed.category === 'erasure';
}
