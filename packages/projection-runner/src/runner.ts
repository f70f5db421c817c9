/**
 * Runs one projection: catch-up from its checkpoint, then live, in batches. Events arrive from the
 * store's subscription into a bounded buffer; a drain loop applies up to `batchSize` at a time, so a
 * burst (an import) costs one write per batch instead of one per event.
 */
import type { EventStore, RecordedEvent, Subscription } from '@idstream/eventstore';
import type { ProjectionHandler } from './handler.js';
import { traceBatch } from './tracing.js';
import { PositionWaiters, ProjectionTimeoutError } from './position-waiter.js';

export interface RunnerOptions {
  batchSize?: number;
  /** Buffered events past which the subscription waits for the drain loop. */
  maxBuffered?: number;
  onError?(error: unknown, handler: string): void;
  /** Delay before re-applying a batch that failed (the batch is never skipped). */
  retryDelayMs?: number;
  /** Called after each applied batch (the projector thread reports positions to the API thread). */
  onApplied?(runner: ProjectionRunner): void;
  /**
   * Events whose application may wait: when everything buffered is `deferrable`, the runner holds
   * the batch up to `ms` so that more events join it (one write for many). Any other event, or a
   * full batch, ends the wait at once.
   */
  linger?: { ms: number; deferrable(event: RecordedEvent): boolean };
}

/** How long a passed-over position may wait for a batch to store it as the checkpoint. */
const PASSED_OVER_CHECKPOINT_MS = 1_000;

export class ProjectionRunner {
  private subscription?: Subscription;
  private buffer: RecordedEvent[] = [];
  private draining?: Promise<void>;
  private spaceAvailable?: { promise: Promise<void>; resolve(): void };
  private readonly waiters = new PositionWaiters(() => ({ name: this.handler.name, position: this.appliedPosition }));
  private stopped = false;
  private appliedPosition = 0;
  /** Ends a linger early (set while the drain loop lingers). */
  private endLinger?: () => void;
  /** The last event passed over (ignored while idle) whose position no applied batch has stored yet. */
  private passedOver?: RecordedEvent;
  private passedOverTimer?: NodeJS.Timeout;

  constructor(
    private readonly store: EventStore,
    readonly handler: ProjectionHandler,
    private readonly options: RunnerOptions = {},
  ) {}

  /** The handler's checkpoint name. */
  get name(): string {
    return this.handler.name;
  }

  /** Position of the last event applied (or passed over) by this projection. */
  get position(): number {
    return this.appliedPosition;
  }

  async start(): Promise<void> {
    const checkpoint = await this.handler.getCheckpoint();
    this.appliedPosition = checkpoint ?? 0;
    this.subscription = this.store.subscribeToAll({
      ...(checkpoint !== undefined && { after: checkpoint }),
      onEvent: (event) => this.enqueue(event),
      onError: (error) => this.options.onError?.(error, this.handler.name),
    });
  }

  /** Resolves once every event up to `position` has been applied, or rejects after `timeoutMs`. */
  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    return this.waiters.waitFor(position, timeoutMs);
  }

  /** Resolves once the projection has caught up with the store's head at the time of the call. */
  async catchUp(timeoutMs = 60_000): Promise<void> {
    await this.waitFor(await this.store.headPosition(), timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.endLinger?.();
    // The subscription may be waiting to hand over an event to a full buffer that no drain will
    // empty any more (a batch that failed as the stop began ends the drain): let it go, then close.
    this.spaceAvailable?.resolve();
    this.spaceAvailable = undefined;
    await this.subscription?.close();
    await this.draining;
    clearTimeout(this.passedOverTimer);
    // A graceful stop leaves the checkpoint where the position is, passed-over events included.
    const passedOver = this.passedOver;
    this.passedOver = undefined;
    if (passedOver) await this.handler.applyBatch([passedOver]).catch((error: unknown) => this.options.onError?.(error, this.handler.name));
    this.waiters.stop();
  }

  private async enqueue(event: RecordedEvent): Promise<void> {
    // Idle and nothing to do for this event: move on without a batch. The eight runners a login does
    // not concern each woke for it: a drain loop, a trace span and a deferred checkpoint write.
    if (this.buffer.length === 0 && !this.draining && !this.stopped && this.handler.ignores?.(event)) return this.passOver(event);
    this.buffer.push(event);
    if (this.endLinger && (!this.options.linger!.deferrable(event) || this.buffer.length >= (this.options.batchSize ?? 1_000))) this.endLinger();
    this.kick();
    if (!this.stopped && this.buffer.length >= (this.options.maxBuffered ?? 5_000)) {
      this.spaceAvailable ??= deferred();
      await this.spaceAvailable.promise;
    }
  }

  private passOver(event: RecordedEvent): void {
    this.appliedPosition = event.position;
    this.passedOver = event;
    this.waiters.release(event.position);
    this.options.onApplied?.(this);
    // The checkpoint follows with the next batch, or after a quiet interval as a batch of this one
    // event (which the handler ignores but for the checkpoint), so a restart does not re-read far back.
    this.passedOverTimer ??= setTimeout(() => {
      this.passedOverTimer = undefined;
      if (!this.passedOver || this.stopped) return;
      if (this.buffer.length === 0 && !this.draining) this.buffer.push(this.passedOver);
      this.passedOver = undefined;
      this.kick();
    }, PASSED_OVER_CHECKPOINT_MS).unref();
  }

  private kick(): void {
    if (this.draining || this.stopped) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // An event may have arrived between the loop's last check and this callback.
      if (this.buffer.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    // Yield once so that events delivered in the same tick join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    const batchSize = this.options.batchSize ?? 1_000;
    const linger = this.options.linger;
    if (linger && !this.stopped && this.buffer.length < batchSize && this.buffer.every((event) => linger.deferrable(event))) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.endLinger?.(), linger.ms);
        this.endLinger = () => {
          clearTimeout(timer);
          this.endLinger = undefined;
          resolve();
        };
      });
      // The event that ended the wait may be the first of an append's events: the rest, delivered in
      // the same tick, join this batch (one append is not split across two batches).
      await new Promise((resolve) => setImmediate(resolve));
    }
    while (this.buffer.length > 0 && !this.stopped) {
      const batch = this.buffer.slice(0, batchSize);
      try {
        await traceBatch(this.handler.name, batch, () => this.handler.applyBatch(batch));
      } catch (error) {
        // Cut short by the stop (a wait on a stopped projection): applied again at the next start,
        // as its checkpoint was not written. Not an error to report, nor to retry now.
        if (this.stopped) return;
        // Waiting on a projection already stopped (shutdown order): retried quietly until this one stops.
        if (!(error instanceof ProjectionTimeoutError && error.stopped)) this.options.onError?.(error, this.handler.name);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 500));
        continue;
      }
      this.buffer = this.buffer.slice(batch.length);
      this.appliedPosition = batch[batch.length - 1]!.position;
      // Events are passed over only while the buffer is empty, so this batch comes after it.
      if (this.passedOver && this.passedOver.position <= this.appliedPosition) this.passedOver = undefined;
      this.waiters.release(this.appliedPosition);
      this.options.onApplied?.(this);
      if (this.spaceAvailable && this.buffer.length < (this.options.maxBuffered ?? 5_000)) {
        this.spaceAvailable.resolve();
        this.spaceAvailable = undefined;
      }
      // Events are handed over one per microtask, and a batch's apply awaits only microtasks: without
      // this yield the loop went on with the few events that arrived during the last apply (an import
      // was applied ~8 events per view transaction). The yield lets every delivery under way land first.
      if (this.buffer.length > 0 && this.buffer.length < batchSize) await new Promise((resolve) => setImmediate(resolve));
    }
  }

}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
