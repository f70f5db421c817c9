import { DelayedError, Queue, UnrecoverableError, Worker as BullWorker } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { Lanes } from './lanes.js';
import type { AttemptOutcome, BackoffPolicy, JobContext, JobHandler, JobQueue, JobSpec, Worker, WorkerOptions } from './port.js';
import {
  DEFAULT_BACKOFF,
  DEFAULT_LEASE_MS,
  DEFAULT_MAX_ATTEMPTS,
  backoffDelayMs,
  decideFailure,
  errorMessage,
  isTooOld,
  notify,
  validateSpec,
} from './policy.js';

export interface BullMqJobQueueOptions {
  /** Redis URL (`redis://host:6379/0`) or ioredis options. */
  connection: string | RedisOptions;
  /** Key prefix for BullMQ's keys (default `bull`); lanes use `<prefix>-lane…`. */
  prefix?: string;
  /**
   * Remove completed and dead jobs this long after they finished. Default: keep them forever.
   * BullMQ only rejects a duplicate `jobId` while the first job exists, so this is the dedup
   * window: set it well above the longest time an enqueuer may replay. BullMQ evicts lazily (when
   * another job of the same queue finishes), so jobs may live somewhat longer.
   */
  keepFinishedForMs?: number;
  /** How long a lane-blocked job waits (times its distance to the lane head) before looking again. */
  laneWaitMs?: number;
  /** How many times a job may be recovered after its worker died before it is dead. Default 3. */
  maxStalledCount?: number;
}

/** What the adapter stores as BullMQ job data. */
interface StoredJob {
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
const LANE_ORPHAN_GRACE_MS = 60_000;

/**
 * Opens a job queue on BullMQ. Retries, backoff and stalled-job recovery are BullMQ's; lanes and the
 * age limit are added here (see `lanes.ts`). All Queues and the adapter's scripts share one
 * connection; each Worker gets its own duplicate, as BullMQ needs a blocking connection per worker.
 */
export function openBullMqJobQueue(options: BullMqJobQueueOptions): JobQueue {
  const redisOptions: RedisOptions = { maxRetriesPerRequest: null };
  const redis =
    typeof options.connection === 'string'
      ? new Redis(options.connection, redisOptions)
      : new Redis({ ...options.connection, ...redisOptions });
  const prefix = options.prefix ?? 'bull';
  const queues = new Map<string, { queue: Queue; lanes: Lanes }>();
  const workers = new Set<BullMqWorker>();
  const keep = options.keepFinishedForMs === undefined ? false : { age: Math.ceil(options.keepFinishedForMs / 1000) };
  let closed = false;

  const open = (name: string) => {
    let entry = queues.get(name);
    if (!entry) {
      const queue = new Queue(name, { connection: redis, prefix });
      const lanes = new Lanes(
        redis,
        prefix,
        name,
        { jobKey: (id) => queue.toKey(id), completedKey: queue.toKey('completed'), failedKey: queue.toKey('failed') },
        LANE_ORPHAN_GRACE_MS,
      );
      entry = { queue, lanes };
      queues.set(name, entry);
    }
    return entry;
  };

  return {
    kind: 'bullmq',
    async enqueue(jobs: JobSpec[]) {
      if (closed) throw new Error('job queue is closed');
      jobs.forEach(validateSpec);
      const byQueue = new Map<string, JobSpec[]>();
      for (const job of jobs) byQueue.set(job.queue, [...(byQueue.get(job.queue) ?? []), job]);
      for (const [name, specs] of byQueue) {
        const { queue, lanes } = open(name);
        // Lane entries first: a job must never be runnable before its place in the lane exists.
        await lanes.register(specs.filter((s) => s.lane !== undefined).map((s) => ({ id: s.id, lane: s.lane as string })));
        const now = Date.now();
        const seen = new Set<string>();
        const unique = specs.filter((s) => !seen.has(s.id) && seen.add(s.id));
        await queue.addBulk(
          unique.map((spec) => {
            const data: StoredJob = {
              payload: spec.payload ?? null,
              ageFrom: now,
              ...(spec.lane !== undefined ? { lane: spec.lane } : {}),
              ...(spec.maxAgeMs !== undefined ? { maxAgeMs: spec.maxAgeMs } : {}),
              ...(spec.backoff ? { backoff: spec.backoff } : {}),
            };
            return {
              name,
              data,
              opts: {
                jobId: spec.id,
                timestamp: now,
                attempts: spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
                backoff: { type: 'idstream' },
                ...(spec.delayMs ? { delay: spec.delayMs } : {}),
                removeOnComplete: keep,
                removeOnFail: keep,
              },
            };
          }),
        );
      }
    },
    work<Payload>(name: string, handler: JobHandler<Payload>, workerOptions: WorkerOptions = {}): Worker {
      if (closed) throw new Error('job queue is closed');
      const { lanes, queue } = open(name);
      const worker = new BullMqWorker(redis, prefix, name, queue, lanes, handler as JobHandler, workerOptions, {
        laneWaitMs: options.laneWaitMs ?? 100,
        maxStalledCount: options.maxStalledCount ?? 3,
      });
      workers.add(worker);
      worker.onClose = () => workers.delete(worker);
      return worker;
    },
    async counts(name) {
      const c = await open(name).queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'completed', 'failed');
      return {
        waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
        active: c.active ?? 0,
        delayed: c.delayed ?? 0,
        completed: c.completed ?? 0,
        dead: c.failed ?? 0,
      };
    },
    async retry(name, id) {
      const { queue, lanes } = open(name);
      const job = (await queue.getJob(id)) as Job<StoredJob> | undefined;
      if (!job) return false;
      const state = await job.getState();
      if (state !== 'completed' && state !== 'failed') return state !== 'unknown';
      await job.updateData({ ...job.data, ageFrom: Date.now() });
      // Rejoins the lane at its tail: its old place may be behind a later job that is running now.
      if (job.data.lane !== undefined) await lanes.register([{ id, lane: job.data.lane }], true);
      await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...workers].map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.queue.close()));
      await redis.quit();
    },
  };
}

interface WorkerTuning {
  laneWaitMs: number;
  maxStalledCount: number;
}

/** One `work()` call: a BullMQ Worker plus the bookkeeping BullMQ does not do (lanes, outcomes). */
class BullMqWorker implements Worker {
  onClose: () => void = () => {};
  private readonly worker: BullWorker<StoredJob>;
  /** Outcome decided in the processor, reported once BullMQ has recorded the state change. */
  private readonly outcomes = new Map<string, AttemptOutcome>();
  private readonly followUps = new Set<Promise<void>>();
  private closing: Promise<void> | undefined;

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
  }

  private async process(job: Job<StoredJob>, token: string | undefined): Promise<void> {
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
      this.outcomes.set(context.id, { context, status: 'dead', error, durationMs: 0 });
      throw new UnrecoverableError(error);
    }
    try {
      await this.handler(data.payload, context);
      this.outcomes.set(context.id, { context, status: 'completed', durationMs: Date.now() - started });
    } catch (error) {
      const now = Date.now();
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
        this.outcomes.set(context.id, { context, status: 'dead', error: decision.reason, durationMs });
        throw new UnrecoverableError(decision.reason);
      }
      const message = errorMessage(error);
      this.outcomes.set(context.id, { context, status: 'retrying', error: message, durationMs, nextAttemptAt: now + decision.delayMs });
      throw new RetryLater(message, decision.delayMs);
    }
  }

  /** Runs after BullMQ recorded the outcome: advances the lane, then reports the attempt. */
  private async settled(job: Job<StoredJob>, completed: boolean): Promise<void> {
    const id = job.id as string;
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
      await this.worker.close();
      await Promise.allSettled([...this.followUps]);
      this.onClose();
    })();
    return this.closing;
  }
}
