import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { resolve as resolvePath } from 'node:path';
import { catchUpSubscription } from './subscription.js';
import {
  WrongExpectedRevisionError,
  type AppendRequest,
  type AppendResult,
  type EventData,
  type EventStore,
  type ExpectedRevision,
  type MultiAppendResult,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from './port.js';

export interface SqliteEventStoreOptions {
  /** File path of the database, or `':memory:'` (private to this instance). */
  path: string;
  /** Milliseconds a writer waits for another connection's write lock before failing; default 5000. */
  busyTimeoutMs?: number;
  /** Fallback poll interval for appends made by other connections/processes; default 25 ms. */
  pollIntervalMs?: number;
}

interface EventRow {
  position: number;
  stream_name: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  recorded_at: number;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_name TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    id          TEXT    NOT NULL UNIQUE,
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    metadata    TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (stream_name, revision)
  );
`;

const DEFAULT_PAGE = 500;

/**
 * One notifier per database file and thread, so an append through any instance wakes the
 * subscriptions of every other instance on the same file at once instead of at the next poll. A
 * `BroadcastChannel` named after the file carries the wake-up to the other threads of the process
 * (embedded mode runs the projector in a worker thread): without it their subscriptions would see
 * the API's appends only at the next poll (25 ms).
 */
const notifiers = new Map<string, { emitter: EventEmitter; channel: BroadcastChannel; users: number }>();

function acquireNotifier(path: string): EventEmitter {
  if (path === ':memory:') return new EventEmitter().setMaxListeners(0);
  let entry = notifiers.get(path);
  if (!entry) {
    const emitter = new EventEmitter().setMaxListeners(0);
    const channel = new BroadcastChannel(`idstream-eventstore:${resolvePath(path)}`);
    // A message comes from another thread only (a channel never receives its own posts).
    channel.onmessage = () => emitter.emit('append', 'remote');
    // The channel must not keep a thread alive that has nothing else to do.
    (channel as unknown as { unref(): void }).unref();
    entry = { emitter, channel, users: 0 };
    // Local appends are announced to the other threads here, once per append.
    emitter.on('append', (origin?: string) => {
      if (origin !== 'remote') channel.postMessage(0);
    });
    notifiers.set(path, entry);
  }
  entry.users += 1;
  return entry.emitter;
}

function releaseNotifier(path: string): void {
  const entry = notifiers.get(path);
  if (entry && --entry.users === 0) {
    notifiers.delete(path);
    entry.channel.close();
  }
}

function toRecorded(row: EventRow): RecordedEvent {
  return {
    id: row.id,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    // Most events carry no metadata: a fresh object without a parse (every runner's read decodes each event).
    metadata: (row.metadata === '{}' ? {} : JSON.parse(row.metadata)) as RecordedEvent['metadata'],
    streamName: row.stream_name,
    revision: row.revision,
    position: row.position,
    recordedAt: row.recorded_at,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function checkExpected(streamName: string, expected: ExpectedRevision, actual: number): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && actual === -1) ||
    (expected === 'stream_exists' && actual >= 0) ||
    expected === actual;
  if (!ok) throw new WrongExpectedRevisionError(streamName, expected, actual);
}

/**
 * Event store on one SQLite file: the embedded default.
 *
 * Durability: WAL with `synchronous=NORMAL`. A committed transaction survives a crash of the
 * process (it is in the WAL, which the OS holds); only an OS crash or power loss can drop the
 * last transactions before the next WAL sync. That is the usual trade for an embedded store and
 * gives the write throughput the import target needs; deployments that must survive power loss
 * with every acknowledged write run KurrentDB.
 *
 * Ordering: every write runs in `BEGIN IMMEDIATE`, so at most one write transaction exists at a
 * time across all connections and processes, and AUTOINCREMENT hands out positions inside it.
 * A later transaction therefore gets higher positions *and* commits later, so a reader can never
 * see position p+1 while p is still invisible: reading `after: last` never skips an event.
 */
export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly notifier: EventEmitter;
  private readonly pollIntervalMs: number;
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  private readonly stmt: {
    lastRevision: Database.Statement<[string], { revision: number | null }>;
    insert: Database.Statement<[string, number, string, string, string, string, number]>;
    readStream: Database.Statement<[string, number, number], EventRow>;
    readAll: Database.Statement<[number, number], EventRow>;
    deleteStream: Database.Statement<[string]>;
    head: Database.Statement<[], { head: number | null }>;
  };

  constructor(private readonly options: SqliteEventStoreOptions) {
    this.db = new Database(options.path);
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Erasure (hard delete): deleted rows are overwritten with zeros, not just unlinked from the b-tree,
    // so an erased user's data cannot be read back from free pages of the file.
    this.db.pragma('secure_delete = ON');
    // An 80 MB WAL between checkpoints instead of 4 MB (as the views and search): a large import
    // appends ~10 MB per batch, and checkpointing every 4 MB made appends ~30% slower (measured,
    // 5,000-user batches). The WAL checkpoint thread copies it once a second; an import grew it to
    // 42–49 MB in that second (measured), and past the limit the committing request copies it.
    this.db.pragma('wal_autocheckpoint = 20000');
    // 64 MiB page cache instead of SQLite's 2 MiB: stream names and event ids are random keys, so
    // every append touches a random leaf of both unique indexes; with a million users those indexes
    // are ~100 MB and a 2 MiB cache re-reads (and re-parses) nearly every page it inserts into.
    this.db.pragma(`cache_size = ${-1024 * 64}`);
    this.db.exec(SCHEMA);
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.notifier = acquireNotifier(options.path);
    this.stmt = {
      lastRevision: this.db.prepare('SELECT MAX(revision) AS revision FROM events WHERE stream_name = ?'),
      insert: this.db.prepare(
        `INSERT INTO events (stream_name, revision, id, type, data, metadata, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      readStream: this.db.prepare(
        'SELECT * FROM events WHERE stream_name = ? AND revision >= ? ORDER BY revision LIMIT ?',
      ),
      readAll: this.db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      deleteStream: this.db.prepare('DELETE FROM events WHERE stream_name = ?'),
      head: this.db.prepare('SELECT MAX(position) AS head FROM events'),
    };
  }

  async append(streamName: string, events: EventData[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    const result = await this.appendMultiple([{ streamName, events, expectedRevision }]);
    return { position: result.position, nextExpectedRevision: result.streams[0]!.nextExpectedRevision };
  }

  async appendMultiple(requests: AppendRequest[]): Promise<MultiAppendResult> {
    this.assertOpen();
    const write = this.db.transaction((reqs: AppendRequest[]): MultiAppendResult => {
      const now = Date.now();
      let position = 0;
      const streams: MultiAppendResult['streams'] = [];
      for (const req of reqs) {
        // `no_stream` (every new user and reservation) skips the revision lookup: a stream exists
        // exactly when it has a revision 0 (deleteStream removes all of a stream's events), so the
        // insert at revision 0 is the check, and the UNIQUE (stream_name, revision) index answers it
        // in the same B-tree descent that places the row.
        let revision = req.expectedRevision === 'no_stream' ? -1 : (this.stmt.lastRevision.get(req.streamName)?.revision ?? -1);
        if (req.expectedRevision !== 'no_stream') checkExpected(req.streamName, req.expectedRevision, revision);
        for (const event of req.events) {
          revision += 1;
          position = this.insertEvent(req, revision, event, now);
        }
        streams.push({ streamName: req.streamName, nextExpectedRevision: revision });
      }
      return { position, streams };
    });
    // IMMEDIATE takes the write lock before the revision check, so two connections cannot both
    // pass the check on the same snapshot (a DEFERRED transaction would read first, then fail
    // to upgrade with SQLITE_BUSY instead of a clean conflict).
    const result = write.immediate(requests);
    if (result.position === 0) result.position = await this.headPosition();
    this.notifier.emit('append');
    return result;
  }

  /** Inserts one event; a `no_stream` request whose first insert meets an existing revision 0 is a conflict. */
  private insertEvent(req: AppendRequest, revision: number, event: EventData, now: number): number {
    try {
      const info = this.stmt.insert.run(req.streamName, revision, event.id, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata ?? {}), now);
      return Number(info.lastInsertRowid);
    } catch (error) {
      if (req.expectedRevision === 'no_stream' && revision === 0 && isUniqueViolation(error)) {
        const actual = this.stmt.lastRevision.get(req.streamName)?.revision ?? -1;
        // Not the stream (a duplicate event id): the original error stands.
        if (actual >= 0) throw new WrongExpectedRevisionError(req.streamName, 'no_stream', actual);
      }
      throw error;
    }
  }

  async readStream(streamName: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const rows = this.stmt.readStream.all(streamName, options.fromRevision ?? 0, options.maxCount ?? -1);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    return this.stmt.readAll.all(options.after ?? 0, options.maxCount ?? -1).map(toRecorded);
  }

  subscribeToAll(options: SubscribeOptions): Subscription {
    this.assertOpen();
    const subscription = catchUpSubscription({
      options,
      readPage: (after) => this.readAll({ after, maxCount: DEFAULT_PAGE }),
      pollIntervalMs: this.pollIntervalMs,
      onAppend: (listener) => {
        this.notifier.on('append', listener);
        return () => this.notifier.off('append', listener);
      },
      onClosed: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async deleteStream(streamName: string): Promise<void> {
    this.assertOpen();
    this.db.transaction(() => this.stmt.deleteStream.run(streamName)).immediate();
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.stmt.head.get()?.head ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    releaseNotifier(this.options.path);
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('SqliteEventStore is closed');
  }
}

/** Opens (creating if needed) the event store in the SQLite file at `path`. */
export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  return new SqliteEventStore(options);
}

/**
 * Erasure support for any of the embedded SQLite files (events, views, search, jobs): moves the WAL
 * into the database and truncates the WAL to zero bytes, so page images written before a hard delete
 * (which still hold the erased rows) are no longer in any file. With `secure_delete` on, the database
 * pages themselves hold zeros where the rows were. Uses its own short-lived connection.
 *
 * A TRUNCATE checkpoint waits (busy timeout) for readers and writers, but SQLite answers busy at
 * once, without calling the busy handler, while another connection runs a checkpoint: the WAL
 * checkpointer thread's PASSIVE round, or a projection thread's autocheckpoint. So a busy answer is
 * retried until `deadlineMs`; resolves false only if the WAL could still not be truncated then.
 * The call is synchronous on the caller's event loop (the API thread, after a hard delete), so each
 * attempt's own busy wait stays short (20 ms) and the waiting happens between attempts instead.
 */
export async function truncateSqliteWal(path: string, options: { busyTimeoutMs?: number; deadlineMs?: number; retryDelayMs?: number } = {}): Promise<boolean> {
  const deadline = Date.now() + (options.deadlineMs ?? 10_000);
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 20))}`);
    for (;;) {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      if (result?.busy === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 5));
    }
  } finally {
    db.close();
  }
}
