import {
  ANY,
  BACKWARDS,
  END,
  KurrentDBClient,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamRecordedEvent,
  type AppendStreamState,
  type EventData as KurrentEventData,
  type JSONType,
  type Position,
} from '@kurrent/kurrentdb-client';
import {
  WrongExpectedRevisionError,
  type AppendRequest,
  type AppendResult,
  type EventData,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type MultiAppendResult,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from './port.js';

export interface KurrentDbEventStoreOptions {
  /** e.g. `kurrentdb://localhost:2113?tls=false` */
  connectionString: string;
  /** How long a subscription trusts a "stream not deleted" answer; default 1000 ms. */
  deletionCacheMs?: number;
}

/**
 * `multiStreamAppend` only carries string-valued properties, so the full metadata object travels
 * JSON-encoded under this key (next to its string fields, which direct KurrentDB consumers can read).
 */
const METADATA_PROPERTY = 'idstream-metadata';
const READ_CHUNK = 1000;

const toState = (expected: ExpectedRevision): AppendStreamState => {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
};

/**
 * Commit positions are byte offsets in the transaction log; they stay below 2^53 (9 PB of log),
 * so `number` is exact. Appends are implicit transactions, where every event's commit position
 * equals its own prepare position, so positions are unique and increase in log order.
 */
const toNumber = (position: bigint): number => Number(position);
/**
 * Stream reads carry the log position on current servers; old ones sent "no position" (2^64-1),
 * mapped to -1 so it can never pass for a real checkpoint.
 */
const streamReadPosition = (position: Position | undefined): number =>
  position && position.commit < 2n ** 63n ? toNumber(position.commit) : -1;
const toPosition = (position: number): Position => ({ commit: BigInt(position), prepare: BigInt(position) });

function toKurrentEvent(event: EventData, stringProperties: boolean): KurrentEventData {
  const metadata = event.metadata ?? {};
  const encoded: Record<string, unknown> = stringProperties
    ? {
        ...Object.fromEntries(Object.entries(metadata).filter(([, v]) => typeof v === 'string')),
        [METADATA_PROPERTY]: JSON.stringify(metadata),
      }
    : metadata;
  return jsonEvent({ id: event.id, type: event.type, data: event.data as JSONType, metadata: encoded });
}

function decodeMetadata(raw: unknown): EventMetadata {
  if (raw === null || typeof raw !== 'object' || raw instanceof Uint8Array || Array.isArray(raw)) return {};
  const record = raw as Record<string, unknown>;
  const packed = record[METADATA_PROPERTY];
  if (typeof packed === 'string') return JSON.parse(packed) as EventMetadata;
  // Records written by multiStreamAppend also carry the server's own `$schema.*` properties.
  return Object.fromEntries(Object.entries(record).filter(([key]) => !key.startsWith('$'))) as EventMetadata;
}

function toRecorded(event: {
  id: string;
  type: string;
  data: unknown;
  metadata: unknown;
  streamId: string;
  revision: bigint;
  created: Date;
}, position: number): RecordedEvent {
  return {
    id: event.id,
    type: event.type,
    data: event.data,
    metadata: decodeMetadata(event.metadata),
    streamName: event.streamId,
    revision: Number(event.revision),
    position,
    recordedAt: event.created.getTime(),
  };
}

function mapConflict(error: unknown, expectedByStream: Map<string, ExpectedRevision>): unknown {
  if (!(error instanceof WrongExpectedVersionError)) return error;
  const actual = error.actualState === NO_STREAM ? -1 : Number(error.actualState);
  return new WrongExpectedRevisionError(error.streamName, expectedByStream.get(error.streamName) ?? 'any', actual);
}

const isSystem = (event: AllStreamRecordedEvent) => event.type.startsWith('$') || event.streamId.startsWith('$');

/**
 * Event store on KurrentDB (production). `appendMultiple` needs KurrentDB >= 25.1.
 *
 * Deletion is a soft delete: KurrentDB keeps the events in `$all` until a scavenge removes them
 * physically, so `readAll` and subscriptions hide every event below the stream's truncate-before
 * (one metadata read per stream and page). Personal data is only gone from disk after the next
 * scavenge, which operations must schedule. Tombstones are not used because they forbid
 * re-creating the stream. A re-created stream continues its revision numbers (KurrentDB keeps
 * counting), so callers chain `nextExpectedRevision` instead of assuming 0.
 */
export class KurrentDbEventStore implements EventStore {
  readonly kind = 'kurrentdb' as const;
  private readonly client: KurrentDBClient;
  private readonly deletionCacheMs: number;

  constructor(options: KurrentDbEventStoreOptions) {
    this.client = KurrentDBClient.connectionString(options.connectionString);
    this.deletionCacheMs = options.deletionCacheMs ?? 1000;
  }

  async append(streamName: string, events: EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    try {
      const result = await this.client.appendToStream(
        streamName,
        events.map((e) => toKurrentEvent(e, false)),
        { streamState: toState(expectedRevision) },
      );
      const position = result.position ? toNumber(result.position.commit) : await this.headPosition();
      return { nextExpectedRevision: Number(result.nextExpectedRevision), position };
    } catch (error) {
      throw mapConflict(error, new Map([[streamName, expectedRevision]]));
    }
  }

  async appendMultiple(requests: AppendRequest[]): Promise<MultiAppendResult> {
    const expected = new Map(requests.map((r) => [r.streamName, r.expectedRevision]));
    try {
      const result = await this.client.multiStreamAppend(
        requests.map((r) => ({
          streamName: r.streamName,
          events: r.events.map((e) => toKurrentEvent(e, true)),
          expectedState: toState(r.expectedRevision),
        })),
      );
      return {
        position: toNumber(result.position),
        streams: result.responses.map((r) => ({ streamName: r.streamName, nextExpectedRevision: Number(r.revision) })),
      };
    } catch (error) {
      throw mapConflict(error, expected);
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      const events = this.client.readStream(streamName, {
        fromRevision: options.fromRevision === undefined ? START : BigInt(options.fromRevision),
        ...(options.maxCount === undefined ? {} : { maxCount: options.maxCount }),
      });
      for await (const resolved of events) {
        if (resolved.event) out.push(toRecorded(resolved.event, streamReadPosition(resolved.event.position)));
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const limit = options.maxCount ?? Number.POSITIVE_INFINITY;
    const out: RecordedEvent[] = [];
    const deleted = this.deletionChecker(0);
    let skipThrough = options.after;
    let from: Position | typeof START = options.after === undefined ? START : toPosition(options.after);
    // No server-side filter: a filtered read may stop at its search window and return a short
    // page, which a caller could not tell from the end of the log.
    for (;;) {
      const chunk = Math.min(limit - out.length + 1, READ_CHUNK);
      let received = 0;
      let lastPosition: bigint | undefined;
      for await (const resolved of this.client.readAll({ fromPosition: from, maxCount: chunk })) {
        received++;
        const event = resolved.event;
        if (!event) continue;
        lastPosition = event.position.commit;
        const position = toNumber(event.position.commit);
        // fromPosition is inclusive; `after` is not.
        if (skipThrough !== undefined && position <= skipThrough) continue;
        if (isSystem(event) || (await deleted(event))) continue;
        out.push(toRecorded(event, position));
        if (out.length >= limit) return out;
      }
      if (received < chunk || lastPosition === undefined) return out;
      from = { commit: lastPosition, prepare: lastPosition };
      skipThrough = toNumber(lastPosition);
    }
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: options.after === undefined ? START : toPosition(options.after),
      filter: excludeSystemEvents(),
    });
    const deleted = this.deletionChecker(this.deletionCacheMs);
    let stopped = false;
    let last = options.after ?? -1;
    const loop = (async () => {
      try {
        for await (const resolved of subscription) {
          if (stopped) break;
          const event = resolved.event;
          if (!event) continue;
          const position = toNumber(event.position.commit);
          if (position <= last) continue;
          if (!isSystem(event) && !(await deleted(event))) await options.onEvent(toRecorded(event, position));
          last = position;
        }
      } catch (error) {
        if (!stopped) options.onError?.(error);
      } finally {
        stopped = true;
        await subscription.unsubscribe().catch(() => undefined);
      }
    })();
    return {
      async close() {
        stopped = true;
        await subscription.unsubscribe().catch(() => undefined);
        await loop;
      },
    };
  }

  async deleteStream(streamName: string): Promise<void> {
    try {
      await this.client.deleteStream(streamName);
    } catch (error) {
      if (!(error instanceof StreamNotFoundError)) throw error;
    }
  }

  async headPosition(): Promise<number> {
    const deleted = this.deletionChecker(0);
    const newestFirst = this.client.readAll({
      fromPosition: END,
      direction: BACKWARDS,
      maxCount: READ_CHUNK,
      filter: excludeSystemEvents(),
    });
    for await (const resolved of newestFirst) {
      const event = resolved.event;
      if (event && !isSystem(event) && !(await deleted(event))) return toNumber(event.position.commit);
    }
    return 0;
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }

  /**
   * Returns a predicate "this $all event belongs to the deleted part of its stream", reading each
   * stream's truncate-before once per `cacheMs` (0: once per checker, i.e. per read call).
   */
  private deletionChecker(cacheMs: number): (event: AllStreamRecordedEvent) => Promise<boolean> {
    const cache = new Map<string, { truncateBefore: Promise<number>; at: number }>();
    return async (event) => {
      let entry = cache.get(event.streamId);
      if (!entry || (cacheMs > 0 && Date.now() - entry.at > cacheMs)) {
        entry = { truncateBefore: this.truncateBefore(event.streamId), at: Date.now() };
        cache.set(event.streamId, entry);
      }
      return Number(event.revision) < (await entry.truncateBefore);
    };
  }

  private async truncateBefore(streamName: string): Promise<number> {
    const { metadata } = await this.client.getStreamMetadata(streamName);
    const tb = metadata?.truncateBefore;
    if (tb === undefined || tb === START) return 0;
    if (tb === END) return Number.POSITIVE_INFINITY;
    return tb;
  }
}

/** Connects to KurrentDB; the connection is lazy, so this does not fail on an unreachable server. */
export function openKurrentDbEventStore(options: KurrentDbEventStoreOptions): KurrentDbEventStore {
  return new KurrentDbEventStore(options);
}
