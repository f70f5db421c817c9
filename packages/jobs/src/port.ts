/**
 * The job queue port: at-least-once background work (emails, webhooks).
 *
 * Jobs are identified by the caller: enqueueing an id that the queue already holds (waiting,
 * active, delayed, completed or dead) does nothing, so a reactor that replays events cannot send
 * twice. A job whose worker dies mid-run is delivered again after its lease expires.
 *
 * Retention: finished jobs are what makes duplicates collapse, so adapters keep completed and dead
 * jobs by default. Where an adapter offers a retention period, that period is the dedup window.
 */

export interface BackoffPolicy {
  /** Delay before the first retry. */
  initialDelayMs: number;
  /** Cap for the exponentially growing delay. */
  maxDelayMs: number;
  /** Fraction 0..1 of random jitter applied to each delay. */
  jitter?: number;
}

export interface JobSpec<Payload = unknown> {
  id: string;
  queue: string;
  payload: Payload;
  /**
   * Jobs sharing a lane run one at a time in enqueue order: a later job waits until every earlier
   * one of its lane has completed or is dead. (Webhooks: one lane per endpoint and user.)
   */
  lane?: string;
  /** Total tries, including the first. Default 5. */
  maxAttempts?: number;
  /**
   * Give up (dead) once this long has passed since enqueue, whatever the attempt count; a failed try
   * whose next try would come later than that is dead at once.
   */
  maxAgeMs?: number;
  backoff?: BackoffPolicy;
  /** Do not run before this long after enqueue. */
  delayMs?: number;
}

export interface JobContext {
  id: string;
  queue: string;
  lane?: string;
  /**
   * 1 for the first try. On SQLite a try cut short by a dead worker counts (so `maxAttempts` also
   * stops a job that keeps crashing its worker); on BullMQ it does not (its stalled count does).
   */
  attempt: number;
  enqueuedAt: number;
}

/** Thrown by a handler when retrying cannot help (e.g. HTTP 400 from a webhook): the job is dead. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/**
 * Thrown by a handler that chose not to run the job now (e.g. its webhook endpoint's circuit is open):
 * the job goes back to the queue, due again after `delayMs`, and the try is not counted as an attempt
 * nor reported to `onAttempt`. A laned job keeps its place at the head of its lane. The age limit
 * still applies: a job deferred past its `maxAgeMs` is dead when it next comes up.
 */
export class DeferJobError extends Error {
  override readonly name = 'DeferJobError';
  constructor(readonly delayMs: number, message = `deferred for ${delayMs} ms`) {
    super(message);
  }
}

export type JobHandler<Payload = unknown> = (payload: Payload, context: JobContext) => Promise<void>;

export interface WorkerOptions {
  /** Jobs run at once by this worker. Default 1. */
  concurrency?: number;
  /**
   * How long a claimed job may go without a heartbeat before another worker may take it over.
   * The worker renews the lease while the handler runs, so this bounds redelivery time after a
   * crash, not the handler's run time. Default 30 s.
   */
  leaseMs?: number;
  /**
   * Called after each attempt with its outcome, once the queue has recorded it (the delivery log is
   * built from this). A job that dies without running (age limit reached while waiting, or its
   * worker lost on the last attempt) is reported as `dead` with `durationMs` 0. Errors thrown here
   * are ignored: the job's state is already settled.
   */
  onAttempt?(outcome: AttemptOutcome): void | Promise<void>;
}

export interface AttemptOutcome {
  context: JobContext;
  status: 'completed' | 'retrying' | 'dead';
  error?: string;
  durationMs: number;
  /** Epoch ms when the attempt began (when it was judged, for a job that dies without running). */
  startedAt: number;
  /** When status is `retrying`: epoch ms of the next try. */
  nextAttemptAt?: number;
}

export interface Worker {
  close(): Promise<void>;
}

/** Lane-blocked jobs count as waiting (SQLite) or delayed/waiting (BullMQ), not as active. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  dead: number;
}

export interface JobQueue {
  readonly kind: 'sqlite' | 'bullmq';
  /** Enqueues jobs; ids already known to the queue are ignored. */
  enqueue(jobs: JobSpec[]): Promise<void>;
  work<Payload>(queue: string, handler: JobHandler<Payload>, options?: WorkerOptions): Worker;
  counts(queue: string): Promise<QueueCounts>;
  /**
   * Puts a dead or completed job back to waiting (redelivery) with its attempts and age clock reset.
   * A laned job rejoins its lane at the tail. A job still pending is left as it is. Returns false if
   * the id is unknown.
   */
  retry(queue: string, id: string): Promise<boolean>;
  close(): Promise<void>;
}
