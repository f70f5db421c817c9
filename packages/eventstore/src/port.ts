/**
 * The event store port. Every adapter (SQLite, KurrentDB) passes the same contract suite
 * (`test/contract.ts`), so the write side never knows which one it runs on.
 *
 * Positions are global, strictly increasing numbers over the whole log ("$all"); a consumer that
 * saw position P resumes with `after: P`. Revisions count events inside one stream, from 0.
 */

/** Arbitrary JSON-safe metadata; never plaintext secrets. */
export interface EventMetadata {
  correlationId?: string;
  causationId?: string;
  tenantId?: string;
  requestId?: string;
  ipAddress?: string;
  userAgent?: string;
  /** Version of the event's data schema; absent means 1. */
  schemaVersion?: number;
  [key: string]: unknown;
}

export interface EventData<Type extends string = string, Data = unknown> {
  /** UUID; becomes the public event id (webhooks, subscriptions, job ids derive from it). */
  id: string;
  type: Type;
  data: Data;
  metadata?: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  streamName: string;
  /** 0-based index of the event in its stream. */
  revision: number;
  /** Global position in the log; strictly increasing in read order. */
  position: number;
  /** Epoch milliseconds when the store recorded the event. */
  recordedAt: number;
}

/**
 * `no_stream`: the stream must not exist (or was deleted); `stream_exists`: it must have at least one
 * event; `any`: no check; a number: the revision of the stream's last event must equal it.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface AppendRequest {
  streamName: string;
  events: EventData[];
  expectedRevision: ExpectedRevision;
}

export interface AppendResult {
  /** Revision of the last event written to the stream (pass it as the next expectedRevision). */
  nextExpectedRevision: number;
  /** Global position of the last event written. */
  position: number;
}

export interface MultiAppendResult {
  /** Global position of the last event written by the whole append. */
  position: number;
  /** Per stream, in request order. */
  streams: { streamName: string; nextExpectedRevision: number }[];
}

export interface ReadStreamOptions {
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Only events with position strictly greater than this; absent reads from the beginning. */
  after?: number;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Deliver events with position strictly greater than this; absent delivers from the beginning. */
  after?: number;
  /**
   * Called once per event, in position order, never concurrently: the next event waits until the
   * returned promise settles. A rejection stops the subscription and is passed to `onError`.
   */
  onEvent(event: RecordedEvent): void | Promise<void>;
  onError?(error: unknown): void;
}

export interface Subscription {
  /** Stops delivery; resolves once no `onEvent` call is running. */
  close(): Promise<void>;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'kurrentdb';
  /** Appends atomically to one stream; throws {@link WrongExpectedRevisionError} on a conflict. */
  append(streamName: string, events: EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /**
   * Appends to several streams in one all-or-nothing write: if any expected revision does not hold,
   * nothing is written and {@link WrongExpectedRevisionError} names the offending stream.
   */
  appendMultiple(requests: AppendRequest[]): Promise<MultiAppendResult>;
  /** Events of one stream in revision order; `[]` when the stream does not exist or was deleted. */
  readStream(streamName: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of all streams in position order (deleted streams excluded). */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up then live, with no gap and no duplicate across the switch. */
  subscribeToAll(options: SubscribeOptions): Subscription;
  /**
   * Deletes a stream so that neither `readStream` nor `readAll`/subscriptions return its events any
   * more (hard delete of personal data). Appending with `no_stream` afterwards starts it anew; the
   * new events' revisions are adapter-specific (SQLite restarts at 0, KurrentDB keeps counting), so
   * chain `nextExpectedRevision` rather than assuming 0. Deleting a missing stream is a no-op.
   */
  deleteStream(streamName: string): Promise<void>;
  /** Position of the last event in the log, or 0 when the log is empty. */
  headPosition(): Promise<number>;
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly streamName: string,
    readonly expected: ExpectedRevision,
    /** Revision of the stream's last event, or -1 if it does not exist. */
    readonly actual: number,
  ) {
    super(`Stream ${streamName}: expected revision ${String(expected)}, actual ${actual}`);
  }
}
