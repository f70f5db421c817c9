import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import type { AttemptOutcome, JobContext, JobHandler, JobQueue, JobSpec, QueueCounts, Worker, WorkerOptions } from './port.js';
import {
  DEFAULT_BACKOFF,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  decideFailure,
  isTooOld,
  notify,
  validateSpec,
} from './policy.js';

export interface SqliteJobQueueOptions {
  /** Database file; may be shared with other stores (the table is `job_queue`). */
  path: string;
  /** Upper bound on how long a worker sleeps before looking for due work another process made. */
  pollIntervalMs?: number;
  /**
   * Delete completed and dead jobs this long after they finished. Default: keep them forever.
   * Duplicate ids only collapse while the first job is kept, so this is also the dedup window:
   * set it well above the longest time an enqueuer may replay (reactor checkpoint lag).
   */
  keepFinishedForMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS job_queue (
  seq          INTEGER PRIMARY KEY,
  queue        TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  lane         TEXT,
  payload      TEXT    NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('waiting','active','delayed','completed','dead')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at       INTEGER NOT NULL,
  lease_until  INTEGER,
  enqueued_at  INTEGER NOT NULL,
  age_from     INTEGER NOT NULL,
  max_age_ms   INTEGER,
  backoff      TEXT,
  last_error   TEXT,
  finished_at  INTEGER,
  UNIQUE (queue, id)
);
CREATE INDEX IF NOT EXISTS job_queue_due ON job_queue (queue, run_at)
  WHERE state IN ('waiting','delayed','active');
CREATE INDEX IF NOT EXISTS job_queue_lane_open ON job_queue (queue, lane, seq)
  WHERE lane IS NOT NULL AND state IN ('waiting','delayed','active');
CREATE INDEX IF NOT EXISTS job_queue_state ON job_queue (queue, state);
CREATE INDEX IF NOT EXISTS job_queue_finished ON job_queue (finished_at) WHERE finished_at IS NOT NULL;
`;

/*
 * One statement picks and takes the job under BEGIN IMMEDIATE, so two connections (or processes)
 * can never both claim it. `attempts` doubles as the fencing token: every later write for this
 * try is conditional on it, so a worker whose lease was taken over cannot overwrite the new try.
 */
const CLAIM = `
UPDATE job_queue SET state = 'active', attempts = attempts + 1, lease_until = @leaseUntil
WHERE seq = (
  SELECT j.seq FROM job_queue j
  WHERE j.queue = @queue AND j.run_at <= @now
    AND j.state IN ('waiting','delayed','active')
    AND (j.state <> 'active' OR j.lease_until <= @now)
    AND (j.lane IS NULL OR NOT EXISTS (
      SELECT 1 FROM job_queue p
      WHERE p.queue = j.queue AND p.lane = j.lane AND p.seq < j.seq
        AND p.lane IS NOT NULL AND p.state IN ('waiting','delayed','active')))
  ORDER BY j.run_at, j.seq
  LIMIT 1)
RETURNING seq, id, queue, lane, payload, attempts, max_attempts, enqueued_at, age_from, max_age_ms, backoff`;

interface ClaimedRow {
  seq: number;
  id: string;
  queue: string;
  lane: string | null;
  payload: string;
  attempts: number;
  max_attempts: number;
  enqueued_at: number;
  age_from: number;
  max_age_ms: number | null;
  backoff: string | null;
}

interface Statements {
  insert: Statement;
  claim: Statement;
  renew: Statement;
  complete: Statement;
  delay: Statement;
  kill: Statement;
  nextDue: Statement;
  counts: Statement;
  find: Statement;
  requeue: Statement;
  purge: Statement;
}

/** Wakes workers of this process when a job is enqueued through any handle on the same file. */
const wakeups = new EventEmitter();
wakeups.setMaxListeners(0);
let memoryDbCounter = 0;

/**
 * Opens a durable job queue on SQLite (WAL). Several handles and processes may share the file:
 * claims are single-use, leases expire, and a job of a worker that died is delivered again.
 */
export function openSqliteJobQueue(options: SqliteJobQueueOptions): JobQueue {
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  const stmts = prepare(db);
  const fileKey = options.path === ':memory:' ? `:memory:${memoryDbCounter++}` : resolve(options.path);
  const workers = new Set<SqliteWorker>();
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  let closed = false;

  const insertBatch = db.transaction((jobs: JobSpec[], now: number) => {
    for (const job of jobs) {
      const delayMs = Math.max(0, job.delayMs ?? 0);
      stmts.insert.run({
        queue: job.queue,
        id: job.id,
        lane: job.lane ?? null,
        payload: JSON.stringify(job.payload ?? null),
        state: delayMs > 0 ? 'delayed' : 'waiting',
        maxAttempts: job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
        runAt: now + delayMs,
        now,
        maxAgeMs: job.maxAgeMs ?? null,
        backoff: job.backoff ? JSON.stringify(job.backoff) : null,
      });
    }
  });

  const queue: JobQueue = {
    kind: 'sqlite',
    async enqueue(jobs) {
      if (closed) throw new Error('job queue is closed');
      jobs.forEach(validateSpec);
      if (jobs.length === 0) return;
      insertBatch(jobs, Date.now());
      for (const name of new Set(jobs.map((j) => j.queue))) wakeups.emit(`${fileKey}\0${name}`);
    },
    work<Payload>(name: string, handler: JobHandler<Payload>, workerOptions: WorkerOptions = {}): Worker {
      if (closed) throw new Error('job queue is closed');
      const worker = new SqliteWorker(db, stmts, name, handler as JobHandler, workerOptions, pollIntervalMs, options.keepFinishedForMs);
      const event = `${fileKey}\0${name}`;
      const wake = () => worker.pump();
      wakeups.on(event, wake);
      workers.add(worker);
      worker.onClose = () => {
        wakeups.off(event, wake);
        workers.delete(worker);
      };
      worker.pump();
      return worker;
    },
    async counts(name) {
      const result: QueueCounts = { waiting: 0, active: 0, delayed: 0, completed: 0, dead: 0 };
      for (const row of stmts.counts.all(name) as { state: keyof QueueCounts; n: number }[]) result[row.state] = row.n;
      return result;
    },
    async retry(name, id) {
      const row = stmts.find.get(name, id) as { state: string } | undefined;
      if (!row) return false;
      if (row.state === 'completed' || row.state === 'dead') {
        stmts.requeue.run({ queue: name, id, now: Date.now() });
        wakeups.emit(`${fileKey}\0${name}`);
      }
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...workers].map((w) => w.close()));
      db.close();
    },
  };
  return queue;
}

function prepare(db: Db): Statements {
  return {
    insert: db.prepare(`INSERT OR IGNORE INTO job_queue
      (queue, id, lane, payload, state, max_attempts, run_at, enqueued_at, age_from, max_age_ms, backoff)
      VALUES (@queue, @id, @lane, @payload, @state, @maxAttempts, @runAt, @now, @now, @maxAgeMs, @backoff)`),
    claim: db.prepare(CLAIM),
    renew: db.prepare(`UPDATE job_queue SET lease_until = ? WHERE seq = ? AND state = 'active' AND attempts = ?`),
    complete: db.prepare(`UPDATE job_queue SET state = 'completed', lease_until = NULL, last_error = NULL, finished_at = ?
      WHERE seq = ? AND state = 'active' AND attempts = ?`),
    delay: db.prepare(`UPDATE job_queue SET state = 'delayed', lease_until = NULL, run_at = ?, last_error = ?
      WHERE seq = ? AND state = 'active' AND attempts = ?`),
    kill: db.prepare(`UPDATE job_queue SET state = 'dead', lease_until = NULL, last_error = ?, finished_at = ?
      WHERE seq = ? AND state = 'active' AND attempts = ?`),
    nextDue: db.prepare(`SELECT min(t) AS t FROM (
      SELECT min(run_at) AS t FROM job_queue WHERE queue = @queue AND state IN ('waiting','delayed') AND run_at > @now
      UNION ALL
      SELECT min(lease_until) FROM job_queue WHERE queue = @queue AND state = 'active' AND lease_until > @now)`),
    counts: db.prepare(`SELECT state, count(*) AS n FROM job_queue WHERE queue = ? GROUP BY state`),
    find: db.prepare(`SELECT state FROM job_queue WHERE queue = ? AND id = ?`),
    // A retried job rejoins its lane at the tail (new seq): jumping back to its old place could
    // put it next to a later job of its lane that is already running.
    requeue: db.prepare(`UPDATE job_queue SET state = 'waiting', attempts = 0, run_at = @now, age_from = @now,
        lease_until = NULL, finished_at = NULL, seq = (SELECT max(seq) + 1 FROM job_queue)
      WHERE queue = @queue AND id = @id AND state IN ('completed','dead')`),
    purge: db.prepare(`DELETE FROM job_queue WHERE finished_at IS NOT NULL AND finished_at < ?`),
  };
}

/** The poll/claim/run loop of one `work()` call. */
class SqliteWorker implements Worker {
  onClose: () => void = () => {};
  private readonly running = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly claimTx: (now: number) => ClaimedRow | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private lastPurge = 0;

  constructor(
    private readonly db: Db,
    private readonly stmts: Statements,
    private readonly queue: string,
    private readonly handler: JobHandler,
    private readonly options: WorkerOptions,
    private readonly pollIntervalMs: number,
    private readonly keepFinishedForMs: number | undefined,
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.leaseMs = Math.max(30, options.leaseMs ?? DEFAULT_LEASE_MS);
    this.claimTx = db
      .transaction((now: number) => stmts.claim.get({ queue, now, leaseUntil: now + this.leaseMs }) as ClaimedRow | undefined)
      .immediate;
  }

  /** Fills free slots with due jobs, then sleeps until the next due time or the poll interval. */
  pump(): void {
    if (this.closing || !this.db.open) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.purgeFinished();
      while (this.running.size < this.concurrency) {
        const row = this.claimTx(Date.now());
        if (!row) break;
        const run = this.run(row).finally(() => {
          this.running.delete(run);
          this.pump();
        });
        this.running.add(run);
      }
      if (this.running.size < this.concurrency) this.sleep();
    } catch {
      // A busy or briefly unavailable database is retried on the next tick, not surfaced.
      this.sleep();
    }
  }

  private sleep(): void {
    const now = Date.now();
    const next = (this.stmts.nextDue.get({ queue: this.queue, now }) as { t: number | null }).t;
    const wait = next === null ? this.pollIntervalMs : Math.min(this.pollIntervalMs, Math.max(1, next - now));
    this.timer = setTimeout(() => this.pump(), wait);
    this.timer.unref();
  }

  private purgeFinished(): void {
    if (this.keepFinishedForMs === undefined) return;
    const now = Date.now();
    if (now - this.lastPurge < 60_000) return;
    this.lastPurge = now;
    this.stmts.purge.run(now - this.keepFinishedForMs);
  }

  private async run(row: ClaimedRow): Promise<void> {
    const context: JobContext = {
      id: row.id,
      queue: row.queue,
      ...(row.lane !== null ? { lane: row.lane } : {}),
      attempt: row.attempts,
      enqueuedAt: row.enqueued_at,
    };
    const started = Date.now();
    if (row.attempts > row.max_attempts || isTooOld(row.age_from, row.max_age_ms, started)) {
      // Reached through an expired lease (the worker died on its last try) or a long wait in a lane.
      const error = row.attempts > row.max_attempts ? 'worker lost during the last attempt' : `max age ${row.max_age_ms} ms exceeded`;
      this.stmts.kill.run(error, started, row.seq, row.attempts);
      await notify(this.options.onAttempt, { context, status: 'dead', error, durationMs: 0 });
      return;
    }
    const heartbeat = setInterval(() => this.renew(row), Math.max(10, Math.floor(this.leaseMs / 3)));
    let outcome: AttemptOutcome;
    try {
      await this.handler(JSON.parse(row.payload), context);
      clearInterval(heartbeat);
      const now = Date.now();
      this.write(() => this.stmts.complete.run(now, row.seq, row.attempts));
      outcome = { context, status: 'completed', durationMs: now - started };
    } catch (error) {
      clearInterval(heartbeat);
      const now = Date.now();
      const decision = decideFailure({
        error,
        attempt: row.attempts,
        maxAttempts: row.max_attempts,
        ageFrom: row.age_from,
        maxAgeMs: row.max_age_ms ?? undefined,
        backoff: row.backoff ? JSON.parse(row.backoff) : DEFAULT_BACKOFF,
        now,
      });
      if (decision.status === 'dead') {
        this.write(() => this.stmts.kill.run(decision.reason, now, row.seq, row.attempts));
        outcome = { context, status: 'dead', error: decision.reason, durationMs: now - started };
      } else {
        const nextAttemptAt = now + decision.delayMs;
        const message = error instanceof Error ? error.message : String(error);
        this.write(() => this.stmts.delay.run(nextAttemptAt, message, row.seq, row.attempts));
        outcome = { context, status: 'retrying', error: message, durationMs: now - started, nextAttemptAt };
      }
    }
    await notify(this.options.onAttempt, outcome);
  }

  private renew(row: ClaimedRow): void {
    this.write(() => this.stmts.renew.run(Date.now() + this.leaseMs, row.seq, row.attempts));
  }

  /** After a lost lease the conditional write matches nothing; a closed handle means the process is going away. */
  private write(fn: () => unknown): void {
    if (!this.db.open) return;
    try {
      fn();
    } catch {
      // The job stays active and is delivered again when its lease expires: at-least-once.
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.timer);
      await Promise.allSettled([...this.running]);
      this.onClose();
    })();
    return this.closing;
  }
}
