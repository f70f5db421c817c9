import type { Database as Db } from 'better-sqlite3';
import { DeferJobError, type AttemptOutcome, type JobContext, type JobHandler, type Worker, type WorkerOptions } from './port.js';
import { DEFAULT_BACKOFF, DEFAULT_LEASE_MS, decideFailure, isTooOld, notify } from './policy.js';
import { currentLeaseOwner, leaseOwnerIsGone } from './lease-owner.js';
import type { ClaimedRow, Statements } from './sqlite-statements.js';

/** How often a worker looks for leases held by processes that died (and at its first pump). */
const DEAD_OWNER_CHECK_MS = 1_000;

/** The poll/claim/run loop of one `work()` call. */
export class SqliteWorker implements Worker {
  onClose: () => void = () => {};
  private readonly running = new Set<Promise<void>>();
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly claimTx: (now: number) => ClaimedRow | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private lastPurge = 0;
  private lastDeadOwnerCheck = 0;

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
      .transaction((now: number) => stmts.claim.get({ queue, now, leaseUntil: now + this.leaseMs, owner: currentLeaseOwner }) as ClaimedRow | undefined)
      .immediate;
  }

  /** Fills free slots with due jobs, then sleeps until the next due time or the poll interval. */
  pump(): void {
    if (this.closing || !this.db.open) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.purgeFinished();
      this.endLeasesOfDeadOwners();
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

  /** A job held by a worker process that died is due now, not when its lease would have run out. */
  private endLeasesOfDeadOwners(): void {
    const now = Date.now();
    if (now - this.lastDeadOwnerCheck < DEAD_OWNER_CHECK_MS) return;
    this.lastDeadOwnerCheck = now;
    const owners = this.stmts.leaseOwners.all({ queue: this.queue, now, owner: currentLeaseOwner ?? '' }) as string[];
    for (const owner of owners) {
      if (leaseOwnerIsGone(owner)) this.stmts.expireLeasesOf.run({ queue: this.queue, now, owner });
    }
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
      await notify(this.options.onAttempt, { context, status: 'dead', error, durationMs: 0, startedAt: started });
      return;
    }
    const heartbeat = setInterval(() => this.renew(row), Math.max(10, Math.floor(this.leaseMs / 3)));
    let outcome: AttemptOutcome;
    try {
      await this.handler(JSON.parse(row.payload), context);
      clearInterval(heartbeat);
      const now = Date.now();
      this.write(() => this.stmts.complete.run(now, row.seq, row.attempts));
      outcome = { context, status: 'completed', durationMs: now - started, startedAt: started };
    } catch (error) {
      clearInterval(heartbeat);
      const now = Date.now();
      if (error instanceof DeferJobError) {
        this.write(() => this.stmts.defer.run(now + Math.max(0, error.delayMs), row.seq, row.attempts));
        return;
      }
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
        outcome = { context, status: 'dead', error: decision.reason, durationMs: now - started, startedAt: started };
      } else {
        const nextAttemptAt = now + decision.delayMs;
        const message = error instanceof Error ? error.message : String(error);
        this.write(() => this.stmts.delay.run(nextAttemptAt, message, row.seq, row.attempts));
        outcome = { context, status: 'retrying', error: message, durationMs: now - started, startedAt: started, nextAttemptAt };
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
