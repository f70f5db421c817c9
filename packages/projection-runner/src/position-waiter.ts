/**
 * Read-your-writes: a write answers only once the projections that serve reads by id have reached
 * the write's position. In one process the runner signals directly; an API node without a local
 * projector polls the checkpoint the projector stores.
 */
import type { ProjectionRunner } from './runner.js';
import { ProjectionTimeoutError } from './runner.js';

export interface PositionWaiter {
  waitFor(position: number, timeoutMs?: number): Promise<void>;
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
