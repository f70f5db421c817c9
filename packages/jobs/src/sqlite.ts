import { EventEmitter } from 'node:events';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { JobHandler, JobQueue, JobSpec, QueueCounts, Worker, WorkerOptions } from './port.js';
import { DEFAULT_MAX_ATTEMPTS, validateSpec } from './policy.js';
import { SCHEMA, migrate, prepare } from './sqlite-statements.js';
import { SqliteWorker } from './sqlite-worker.js';

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

/** Wakes workers of this process when a job is enqueued through any handle on the same file. */
const wakeups = new EventEmitter();
wakeups.setMaxListeners(0);
let memoryDbCounter = 0;

/**
 * Opens a durable job queue on SQLite (WAL). Several handles and processes may share the file:
 * claims are single-use, leases expire, and a job of a worker that died is delivered again: at once
 * when the dead worker ran on this machine in this pid namespace (see lease-owner.ts), otherwise
 * when its lease expires.
 */
export function openSqliteJobQueue(options: SqliteJobQueueOptions): JobQueue {
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // Erasure (hard delete): deleted rows are overwritten with zeros, not just unlinked from the b-tree,
  // so an erased user's data cannot be read back from free pages of the file.
  db.pragma('secure_delete = ON');
  db.exec(SCHEMA);
  migrate(db);
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
