import { Queue } from 'bullmq';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { BullMqWorker } from './bullmq-worker.js';
import type { StoredJob } from './bullmq-worker.js';
import { Lanes } from './lanes.js';
import type { JobHandler, JobQueue, JobSpec, Worker, WorkerOptions } from './port.js';
import { DEFAULT_MAX_ATTEMPTS, validateSpec } from './policy.js';

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
  /**
   * Called once when Redis becomes unreachable (not on each of ioredis's reconnect attempts), and
   * `onConnectionRestored` once it answers again. Jobs wait meanwhile; nothing is lost.
   */
  onConnectionLost?(error: Error): void;
  onConnectionRestored?(): void;
  /** How many times a job may be recovered after its worker died before it is dead. Default 3. */
  maxStalledCount?: number;
}

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
  // Without an 'error' listener ioredis prints every failed reconnect to stderr ("Unhandled error
  // event", dozens during an outage); one report per outage says the same.
  let lost = false;
  redis.on('error', (error: Error) => {
    if (lost) return;
    lost = true;
    options.onConnectionLost?.(error);
  });
  redis.on('ready', () => {
    if (!lost) return;
    lost = false;
    options.onConnectionRestored?.();
  });
  const prefix = options.prefix ?? 'bull';
  const queues = new Map<string, { queue: Queue; lanes: Lanes }>();
  const workers = new Set<BullMqWorker>();
  const keep = options.keepFinishedForMs === undefined ? false : { age: Math.ceil(options.keepFinishedForMs / 1000) };
  let closed = false;

  const open = (name: string) => {
    let entry = queues.get(name);
    if (!entry) {
      const queue = new Queue(name, { connection: redis, prefix });
      // While Redis is away every command fails over to ioredis's reconnect; without a listener
      // BullMQ prints each of those errors (a restart of Redis produced pages of them).
      queue.on('error', () => {});
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

