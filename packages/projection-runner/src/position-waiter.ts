/**
 * Read-your-writes: a write answers only once the projections that serve reads by id have reached
 * the write's position. In one process the runner signals directly; an API node without a local
 * projector polls the checkpoint the projector stores.
 */
import type { ProjectionRunner } from './runner.js';

export class ProjectionTimeoutError extends Error {
  override readonly name = 'ProjectionTimeoutError';
  /** `stopped`: the projection was stopped below `wanted`, so it will not get there in this process. */
  constructor(readonly projection: string, readonly wanted: number, readonly reached: number, readonly stopped = false) {
    super(stopped ? `Projection ${projection} stopped at ${reached}, before position ${wanted}` : `Projection ${projection} did not reach position ${wanted} in time (at ${reached})`);
  }
}

export interface PositionWaiter {
  waitFor(position: number, timeoutMs?: number): Promise<void>;
}

/**
 * The requests waiting for one projection to reach a position, released as it advances: the runner
 * holds one, and so does the API thread's handle of a runner in the projector thread.
 */
export class PositionWaiters {
  private waiters: { position: number; resolve(): void; fail(error: Error): void }[] = [];
  private stopped = false;

  /** `reached` tells the projection's name and applied position now. */
  constructor(private readonly reached: () => { name: string; position: number }) {}

  /** Resolves once `position` has been applied, or rejects after `timeoutMs`. */
  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    const now = this.reached();
    if (now.position >= position) return Promise.resolve();
    if (this.stopped) return Promise.reject(new ProjectionTimeoutError(now.name, position, now.position, true));
    return new Promise((resolve, reject) => {
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        fail: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const now = this.reached();
        reject(new ProjectionTimeoutError(now.name, position, now.position));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * The projection stopped: whatever waits for a position it did not reach fails now, and so does
   * every later wait, instead of running out its timeout. A projection that waits on a stopped one
   * (webhook routing waits on the config views) would otherwise hold a shutdown for a minute.
   */
  stop(): void {
    this.stopped = true;
    const now = this.reached();
    for (const waiter of this.waiters) waiter.fail(new ProjectionTimeoutError(now.name, waiter.position, now.position, true));
    this.waiters = [];
  }

  /** Resolves every waiter at or below `position`. */
  release(position: number): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.position <= position);
    this.waiters = this.waiters.filter((w) => w.position > position);
    for (const waiter of ready) waiter.resolve();
  }
}

export function localWaiter(runner: ProjectionRunner): PositionWaiter {
  return { waitFor: (position, timeoutMs) => runner.waitFor(position, timeoutMs) };
}

export function pollingWaiter(name: string, readCheckpoint: () => Promise<number | undefined>, intervalMs = 5): PositionWaiter {
  return {
    async waitFor(position, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let delay = 1;
      for (;;) {
        const reached = (await readCheckpoint()) ?? 0;
        if (reached >= position) return;
        if (Date.now() > deadline) throw new ProjectionTimeoutError(name, position, reached);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, intervalMs * 4);
      }
    },
  };
}
