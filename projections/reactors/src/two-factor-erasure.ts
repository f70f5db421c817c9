/**
 * Hard delete reaches two-factor logins. Pending logins (`twofactor-<digest>`, holding the request's
 * IP address, device and `state`) and trusted computers (`twofactortrust-<digest>`) are named by a
 * digest of a secret, not by the user, so this reactor keeps an index from user to those streams and,
 * when the `UserDeleted` tombstone appears on `erasure-<id>`, deletes them all. The user stays marked
 * as erased: a stream written after the erasure (a login that raced the delete) goes on sight.
 */
import { parseStreamName, type UserDeleted } from '@idstream/domain';
import type { EventStore, RecordedEvent } from '@idstream/eventstore';
import type { ProjectionHandler } from '@idstream/projection-runner';
import type { ViewCollection, ViewDatabase, ViewDocument } from '@idstream/views';

export const TWO_FACTOR_STREAMS_COLLECTION = 'two_factor_streams_by_user';

export interface TwoFactorStreamsBody {
  streams: string[];
  erased?: boolean;
}

export class TwoFactorErasureReactor implements ProjectionHandler {
  readonly name = 'two-factor-erasure';
  private readonly collection: ViewCollection<TwoFactorStreamsBody>;

  constructor(
    private readonly db: ViewDatabase,
    private readonly eventStore: Pick<EventStore, 'deleteStream'>,
  ) {
    this.collection = db.collection<TwoFactorStreamsBody>(TWO_FACTOR_STREAMS_COLLECTION);
  }

  getCheckpoint(): Promise<number | undefined> {
    return this.db.getCheckpoint(this.name);
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const documents = new Map<string, ViewDocument<TwoFactorStreamsBody>>();
    const changed = new Set<string>();
    const doomed = new Set<string>();
    const load = async (userId: string, tenantId: string) => {
      let document = documents.get(userId);
      if (!document) {
        const stored = await this.collection.get(userId);
        document = stored ? { ...stored, body: { ...stored.body, streams: [...stored.body.streams] } } : { id: userId, tenantId, position: 0, deleted: false, keys: [], body: { streams: [] } };
        documents.set(userId, document);
      }
      return document;
    };

    for (const event of events) {
      const category = parseStreamName(event.streamName);
      const { userId, tenantId } = (event.data ?? {}) as { userId?: string; tenantId?: string };
      if (typeof userId !== 'string' || category?.kind !== 'entity') continue;
      if (category.category === 'twofactor' || category.category === 'twofactortrust') {
        const document = await load(userId, tenantId ?? '');
        if (document.body.erased) {
          doomed.add(event.streamName);
          continue;
        }
        if (document.body.streams.includes(event.streamName)) continue;
        document.body.streams.push(event.streamName);
        document.position = event.position;
        changed.add(userId);
      } else if (category.category === 'erasure' && event.type === 'UserDeleted') {
        const data = event.data as UserDeleted['data'];
        const document = await load(data.userId, data.tenantId);
        for (const stream of document.body.streams) doomed.add(stream);
        document.body = { streams: [], erased: true };
        document.position = event.position;
        changed.add(data.userId);
      }
    }

    // Streams first, then the index and checkpoint: a crash in between replays the batch, and
    // deleting a stream that is already gone is a no-op.
    for (const stream of doomed) await this.eventStore.deleteStream(stream);
    await this.collection.write([...changed].map((id) => documents.get(id)!), { name: this.name, position: last.position });
  }
}
