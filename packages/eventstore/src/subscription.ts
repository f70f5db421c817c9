import type { RecordedEvent, SubscribeOptions, Subscription } from './port.js';

export interface CatchUpArgs {
  options: SubscribeOptions;
  /** Next events strictly after `after`, in position order; `[]` when caught up. */
  readPage(after: number): Promise<RecordedEvent[]>;
  /** Registers a wake-up for local appends; returns the unregister function. */
  onAppend(listener: () => void): () => void;
  /** Upper bound on the delay before appends by other connections are seen. */
  pollIntervalMs: number;
  onClosed(): void;
}

/**
 * A subscription as one loop over `readPage(last)`: catch-up and live are the same code path,
 * so the switch between them cannot open a gap or deliver an event twice. When a page comes
 * back empty the loop sleeps until a local append wakes it or the poll interval elapses.
 *
 * Do not `await close()` from inside `onEvent`: close waits for the running `onEvent`.
 */
export function catchUpSubscription(args: CatchUpArgs): Subscription {
  const { options } = args;
  let last = options.after ?? 0;
  let stopped = false;
  // Set by every append notification so one that lands while a page is being read is not lost.
  let dirty = false;
  let wake: (() => void) | undefined;

  const unregister = args.onAppend(() => {
    dirty = true;
    wake?.();
  });

  const sleep = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => wake?.(), args.pollIntervalMs);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });

  const loop = (async () => {
    try {
      while (!stopped) {
        dirty = false;
        const page = await args.readPage(last);
        for (const event of page) {
          if (stopped) return;
          await options.onEvent(event);
          last = event.position;
        }
        if (page.length === 0 && !dirty && !stopped) await sleep();
      }
    } catch (error) {
      stopped = true;
      options.onError?.(error);
    } finally {
      unregister();
      args.onClosed();
    }
  })();

  return {
    async close() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
