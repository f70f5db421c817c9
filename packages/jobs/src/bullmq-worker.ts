import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, Worker as BullWorker } from 'bullmq';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Lanes } from './lanes.js';
import { DeferJobError, type AttemptOutcome, type BackoffPolicy, type JobContext, type JobHandler, type Worker, type WorkerOptions } from './port.js';
import { DEFAULT_BACKOFF, DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS, backoffDelayMs, decideFailure, errorMessage, isTooOld, notify } from './policy.js';

/** What the adapter stores as BullMQ job data. */
export interface StoredJob {
  payload: unknown;
  lane?: string;
  maxAgeMs?: number;
  backoff?: BackoffPolicy;
  /** Epoch ms the age limit counts from: enqueue, or the last manual retry. */
  ageFrom: number;
}

/** Carries the delay computed in the processor to BullMQ's backoff strategy, so both agree. */
class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

const LANE_MAX_WAIT_MS = 2_000;

/**
 * Workers are named `idstream-<uuid>`: BullMQ stores the name on each job a worker takes
 * (`processedBy`) and puts it in the client name of the worker's blocking connection.
 */
const WORKER_NAME_PREFIX = 'idstream-';
/** How often a worker looks for active jobs that nobody runs (their worker gone, or stranded here). */
const GONE_WORKER_CHECK_MS = 1_000;
/**
 * How long a worker must be missing from the client list to count as gone: longer than ioredis takes
 * to reconnect (its backoff tops out at 2 s), so a worker that is only reconnecting keeps its jobs.
 */
const GONE_AFTER_MS = 5_000;
/**
 * How long a job of this worker may stay active while no processor of this worker runs it before it
 * counts as stranded: longer than BullMQ takes to hand a fetched job to the processor, or to record
 * a finished one, unless Redis went away in between.
 */
const STRANDED_AFTER_MS = 5_000;

export interface WorkerTuning {
  laneWaitMs: number;
  maxStalledCount: number;
}

/** One `work()` call: a BullMQ Worker plus the bookkeeping BullMQ does not do (lanes, outcomes). */
export class BullMqWorker implements Worker {
  onClose: () => void = () => {};
  private readonly worker: BullWorker<StoredJob>;
  /** Outcome decided in the processor, reported once BullMQ has recorded the state change. */
  private readonly outcomes = new Map<string, AttemptOutcome>();
  private readonly followUps = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;
  private readonly name = `${WORKER_NAME_PREFIX}${randomUUID()}`;
  private readonly goneCheck: NodeJS.Timeout;
  /** Since when each worker holding a job has been missing from the client list. */
  private missingSince = new Map<string, number>();
  /** Jobs this worker's processor runs (undefined) or ran (when it returned), until BullMQ records them. */
  private readonly inHand = new Map<string, number | undefined>();
  private checkingActiveJobs = false;

  constructor(
    redis: Redis,
    prefix: string,
    name: string,
    private readonly queue: Queue,
    private readonly lanes: Lanes,
    private readonly handler: JobHandler,
    private readonly options: WorkerOptions,
    private readonly tuning: WorkerTuning,
  ) {
    const leaseMs = Math.max(100, options.leaseMs ?? DEFAULT_LEASE_MS);
    this.worker = new BullWorker<StoredJob>(name, (job, token) => this.process(job, token), {
      name: this.name,
      connection: redis,
      prefix,
      concurrency: Math.max(1, options.concurrency ?? 1),
      lockDuration: leaseMs,
      stalledInterval: leaseMs,
      maxStalledCount: tuning.maxStalledCount,
      settings: {
        backoffStrategy: (attemptsMade, _type, err, job) =>
          err instanceof RetryLater
            ? err.delayMs
            : backoffDelayMs((job?.data as StoredJob | undefined)?.backoff ?? DEFAULT_BACKOFF, attemptsMade),
      },
    });
    // Errors here are connection hiccups BullMQ retries itself; without a listener they would crash.
    this.worker.on('error', () => {});
    this.worker.on('completed', (job) => this.track(this.settled(job, true)));
    this.worker.on('failed', (job) => {
      if (job) this.track(this.settled(job, false));
    });
    this.goneCheck = setInterval(() => {
      // A check slower than the interval (Redis busy or away) is not run twice at once.
      if (this.checkingActiveJobs) return;
      this.checkingActiveJobs = true;
      this.track(this.releaseJobsNobodyRuns(redis).finally(() => (this.checkingActiveJobs = false)));
    }, GONE_WORKER_CHECK_MS);
    this.goneCheck.unref();
  }

  /**
   * Active jobs that no processor runs go back to waiting long before their lease (30 s) ends and
   * BullMQ's stalled-job check (every 30 s) finds them. Two ways a job gets there:
   * - **Its worker died** (crash, `kill -9`). A worker's Redis connections close when its process
   *   dies, so a job taken by a worker of ours that has been missing from Redis' client list for
   *   GONE_AFTER_MS is released. Where the client list cannot be read (some managed Redis), this
   *   worker does not find itself in it, and nothing is judged.
   * - **It is stranded in this live worker.** When Redis goes away while a fetch is in flight, Redis
   *   may have moved the job to active (taken by this worker, locked) and the reply is lost: BullMQ
   *   never hands it to the processor. Likewise a finished job whose outcome could not be recorded.
   *   Or a lane wait whose move to delayed failed. A job of this worker that its processor does not
   *   hold for STRANDED_AFTER_MS is released. Without this, a Redis restart in the middle of a webhook
   *   burst (`test/e2e/webhooks-redis-restart.test.ts`) left such jobs, and the lanes behind them, to
   *   the stalled-job check ~25 s after the rest in 4 of 14 runs.
   *
   * The active jobs come first: the client list is read only when another worker holds one, and then
   * once per check interval for all the queues of this connection (`CLIENT LIST` costs Redis time in
   * proportion to its clients).
   */
  private async releaseJobsNobodyRuns(redis: Redis): Promise<void> {
    if (this.closing || !(await this.worker.isRunning())) return;
    const active = await this.queue.getActive();
    const now = Date.now();
    const activeIds = new Set(active.map((job) => job.id as string));
    for (const [id, returnedAt] of this.inHand) {
      if (returnedAt !== undefined && now - returnedAt > STRANDED_AFTER_MS && !activeIds.has(id)) this.inHand.delete(id);
    }
    for (const job of active) {
      if (job.processedBy !== this.name) continue;
      const id = job.id as string;
      const since = this.inHand.has(id) ? this.inHand.get(id) : (job.processedOn ?? now);
      // Undefined: the processor runs it now.
      if (since === undefined || now - since < STRANDED_AFTER_MS) continue;
      await this.release(job, redis);
    }
    const held = active.filter((job) => job.processedBy?.startsWith(WORKER_NAME_PREFIX) && job.processedBy !== this.name);
    if (held.length === 0) {
      this.missingSince.clear();
      return;
    }
    const live = await liveWorkerNames(redis);
    if (!live.has(this.name)) return;
    const missingSince = new Map<string, number>();
    for (const job of held) {
      const holder = job.processedBy!;
      if (live.has(holder)) continue;
      const since = this.missingSince.get(holder) ?? missingSince.get(holder) ?? now;
      missingSince.set(holder, since);
      if (now - since >= GONE_AFTER_MS) await this.release(job, redis);
    }
    this.missingSince = missingSince;
  }

  /** Back to waiting, counted as a stall (as BullMQ's own check would), while its lock stands. */
  private async release(job: Job<StoredJob>, redis: Redis): Promise<void> {
    // A job that keeps killing its worker is left to BullMQ's stalled-job check, which fails it past
    // maxStalledCount once the lock expires.
    if (job.stalledCounter >= this.tuning.maxStalledCount) return;
    const jobKey = this.queue.toKey(job.id as string);
    const token = await redis.get(`${jobKey}:lock`);
    // Without a lock the stalled-job check already has it.
    if (!token) return;
    const released = await job.moveToWait(token).then(() => true, () => false);
    if (released) await redis.hincrby(jobKey, 'stc', 1);
  }

  private async process(job: Job<StoredJob>, token: string | undefined): Promise<void> {
    const id = job.id as string;
    this.inHand.set(id, undefined);
    try {
      await this.run(job, token);
    } catch (error) {
      // A lane wait or a deferral: the job is delayed, no longer active.
      if (error instanceof DelayedError) this.inHand.delete(id);
      else this.inHand.set(id, Date.now());
      throw error;
    }
    this.inHand.set(id, Date.now());
  }

  private async run(job: Job<StoredJob>, token: string | undefined): Promise<void> {
    const data = job.data;
    if (data.lane !== undefined) {
      const { mayRun, ahead } = await this.lanes.turn(data.lane, job.id as string);
      if (!mayRun) {
        await job.moveToDelayed(Date.now() + Math.min(LANE_MAX_WAIT_MS, this.tuning.laneWaitMs * Math.max(1, ahead)), token);
        // The head may have finished between the check and the move; then nobody promotes us.
        if ((await this.lanes.turn(data.lane, job.id as string)).mayRun) await job.promote().catch(() => {});
        throw new DelayedError();
      }
    }
    const context: JobContext = {
      id: job.id as string,
      queue: job.queueName,
      ...(data.lane !== undefined ? { lane: data.lane } : {}),
      attempt: job.attemptsMade + 1,
      enqueuedAt: job.timestamp,
    };
    const started = Date.now();
    if (isTooOld(data.ageFrom, data.maxAgeMs, started)) {
      const error = `max age ${data.maxAgeMs} ms exceeded`;
      this.outcomes.set(context.id, { context, status: 'dead', error, durationMs: 0, startedAt: started });
      throw new UnrecoverableError(error);
    }
    try {
      await this.handler(data.payload, context);
      this.outcomes.set(context.id, { context, status: 'completed', durationMs: Date.now() - started, startedAt: started });
    } catch (error) {
      const now = Date.now();
      if (error instanceof DeferJobError) {
        // BullMQ counts neither a DelayedError nor the move as an attempt (attemptsMade stays).
        await job.moveToDelayed(now + Math.max(0, error.delayMs), token);
        throw new DelayedError();
      }
      const decision = decideFailure({
        error,
        attempt: context.attempt,
        maxAttempts: job.opts.attempts ?? DEFAULT_MAX_ATTEMPTS,
        ageFrom: data.ageFrom,
        maxAgeMs: data.maxAgeMs,
        backoff: data.backoff ?? DEFAULT_BACKOFF,
        now,
      });
      const durationMs = now - started;
      if (decision.status === 'dead') {
        this.outcomes.set(context.id, { context, status: 'dead', error: decision.reason, durationMs, startedAt: started });
        throw new UnrecoverableError(decision.reason);
      }
      const message = errorMessage(error);
      this.outcomes.set(context.id, { context, status: 'retrying', error: message, durationMs, startedAt: started, nextAttemptAt: now + decision.delayMs });
      throw new RetryLater(message, decision.delayMs);
    }
  }

  /** Runs after BullMQ recorded the outcome: advances the lane, then reports the attempt. */
  private async settled(job: Job<StoredJob>, completed: boolean): Promise<void> {
    const id = job.id as string;
    this.inHand.delete(id);
    const outcome = this.outcomes.get(id);
    this.outcomes.delete(id);
    const final = completed || outcome?.status === 'dead' || (outcome === undefined && (await job.isFailed()));
    if (final && job.data.lane !== undefined) {
      const next = await this.lanes.finish(job.data.lane, id);
      if (next !== undefined) await (await this.queue.getJob(next))?.promote().catch(() => {});
    }
    if (outcome) await notify(this.options.onAttempt, outcome);
  }

  private track(work: Promise<void>): void {
    // A lost follow-up only delays the lane (the next reader heals it), so it must not crash the worker.
    const p = work.catch(() => {}).finally(() => this.followUps.delete(p));
    this.followUps.add(p);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.goneCheck);
      await this.worker.close();
      await Promise.allSettled([...this.followUps]);
      this.onClose();
    })();
    return this.closing;
  }
}

/** The last client list read per connection: the workers of every queue on it share one read per interval. */
const clientLists = new WeakMap<Redis, { readAt: number; names: Promise<Set<string>> }>();

/**
 * Names of the workers whose connections Redis lists: BullMQ names a worker's blocking connection
 * `<prefix>:<queue>:w:<worker name>`. An unreadable list is empty, so no worker finds itself in it.
 */
function liveWorkerNames(redis: Redis): Promise<Set<string>> {
  const cached = clientLists.get(redis);
  if (cached && Date.now() - cached.readAt < GONE_WORKER_CHECK_MS) return cached.names;
  const names = (redis.client('LIST') as Promise<string>).then(
    (list) => new Set(list.split('\n').flatMap((line) => /(?:^| )name=\S*:w:(\S+)/.exec(line)?.[1] ?? [])),
    () => new Set<string>(),
  );
  clientLists.set(redis, { readAt: Date.now(), names });
  return names;
}
