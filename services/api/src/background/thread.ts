/**
 * A projector thread of an embedded API process, on its own event loop and core. With `part: 'all'`
 * it runs every projection and reactor and the job worker, so the API thread only serves requests
 * and appends; with `part: 'search'` (the default layout) it runs the user search projection alone,
 * the costliest to apply, while the rest stays on the API thread beside the views it reads.
 * It opens its own connections to the same files; the API thread learns each runner's position
 * from messages (read-your-writes waits resolve on them) and wakes this thread's event-store
 * subscription through the store's cross-thread notifier. The search part learns how far the user
 * views are from the API thread's messages in turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IdstreamConfig } from '@idstream/config';
import { createLogger, flushTracing, initTracing, openAdapters } from '@idstream/platform';
import { PositionWaiters, type PositionWaiter, type ProjectionRunner } from '@idstream/projection-runner';
import { resolveReadModels, userViewsCheckpoint } from '@idstream/projector';
import type { FromThread, RunnerPosition, ToThread } from './protocol.js';
import { createProjector, createWorker } from './roles.js';

/** The runners read-your-writes waits on: reported at once, the others once per loop turn. */
const URGENT = new Set(['userViews', 'configViews', 'userSearch']);

const port = parentPort!;
const post = (message: FromThread) => port.postMessage(message);
const { config: sent, worker: runsWorker, part } = workerData as { config: IdstreamConfig; worker: boolean; part: 'all' | 'search' };

/** The user views' position on the API thread (part 'search'), from its messages. */
let viewsPosition = 0;
const viewsWaiters = new PositionWaiters(() => ({ name: 'user-views (API thread)', position: viewsPosition }));
const advanceViews = (position: number) => {
  if (position <= viewsPosition) return;
  viewsPosition = position;
  viewsWaiters.release(viewsPosition);
};
/** The user views' checkpoint as stored (with their documents), once the stores are open. */
let storedViewsPosition: (() => Promise<number | undefined>) | undefined;
/** The highest position asked of the API thread (it reports the views' position once they reach it). */
let viewsAsked = 0;
/**
 * Search waits for the views before it indexes a batch. The views' stored checkpoint answers first:
 * a batch of logins lingers 50 ms, so the views are nearly always there already, and then no message
 * goes to the API thread and back. Otherwise (an import) the API thread reports the position once
 * the views reach it.
 */
const viewsReached: PositionWaiter = {
  async waitFor(position, timeoutMs) {
    if (position <= viewsPosition) return;
    const stored = await storedViewsPosition?.().catch(() => undefined);
    if (stored !== undefined) advanceViews(stored);
    if (position <= viewsPosition) return;
    if (position > viewsAsked) {
      viewsAsked = position;
      post({ kind: 'views-needed', position });
    }
    return viewsWaiters.waitFor(position, timeoutMs);
  },
};
const onViewsPosition = (message: ToThread) => {
  if (message.kind === 'views-position') advanceViews(message.position);
};
port.on('message', onViewsPosition);

// The API thread may report the views' position before it sends `start`: wait for `start` itself.
const onStart = (message: ToThread) => {
  // Stopped before it started (the API's start failed): nothing is open.
  if (message.kind === 'stop') return port.close();
  if (message.kind !== 'start') return;
  port.off('message', onStart);
  run({ ...sent, masterKey: Buffer.from(message.masterKey) }).catch((error: unknown) => {
    post({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    // A thread that could not start has nothing left to run; the API thread decides what follows.
    port.close();
  });
};
port.on('message', onStart);

async function run(config: IdstreamConfig): Promise<void> {
  const logger = createLogger(config, 'idstream-projector');
  initTracing({ ...(config.otlpEndpoint && { otlpEndpoint: config.otlpEndpoint }), serviceName: config.serviceName });
  const adapters = await openAdapters(config, logger);
  // Metrics are served by the API thread: it hears this thread's appends and job outcomes.
  adapters.observable.onAppend((observation) => post({ kind: 'append', observation }));
  adapters.observable.onJob((observation) => post({ kind: 'job', observation, queues: adapters.observable.knownQueues() }));
  const readModels = await resolveReadModels(adapters.views, adapters.search);
  storedViewsPosition = () => adapters.views.getCheckpoint(userViewsCheckpoint(readModels.usersCollectionName));

  let keys = new Map<ProjectionRunner, string>();
  const pending = new Map<string, RunnerPosition>();
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (pending.size === 0) return;
    post({ kind: 'positions', positions: [...pending.values()] });
    pending.clear();
  };
  const onApplied = (runner: ProjectionRunner) => {
    const key = keys.get(runner);
    // A rebuild's runner is not live until the switch; the snapshot after it reports it.
    if (key === undefined) return;
    pending.set(key, [key, runner.handler.name, runner.position]);
    if (URGENT.has(key)) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  const projector = createProjector(adapters, readModels, logger, onApplied, part === 'search' ? { part, viewsReached } : {});
  const snapshot = () => {
    keys = new Map(Object.entries(projector.runners()).map(([key, runner]) => [runner, key]));
    for (const [runner, key] of keys) pending.set(key, [key, runner.handler.name, runner.position]);
    flush();
  };
  await projector.start();
  snapshot();
  // The API thread waits for the views it reads; search catches up in the background (as it does
  // on the API thread: a search started before it has caught up may miss the newest users).
  if (part === 'all') {
    const head = await adapters.eventStore.headPosition();
    await Promise.all([projector.configViews.waitFor(head, 300_000), projector.userViews.waitFor(head, 300_000)]);
  }
  const worker = runsWorker ? createWorker(config, adapters, readModels, logger) : undefined;
  worker?.start();
  // The queues the worker serves, for the API thread's queue-depth metrics.
  post({ kind: 'started', queues: adapters.observable.knownQueues() });

  port.on('message', (message: ToThread) => {
    if (message.kind === 'rebuild-search') {
      projector.rebuildUserSearch().then(
        (version) => {
          snapshot();
          post({ kind: 'reply', id: message.id, value: version });
        },
        (error: unknown) => post({ kind: 'reply', id: message.id, error: error instanceof Error ? error.message : String(error) }),
      );
    } else if (message.kind === 'stop') {
      void (async () => {
        await worker?.stop();
        await projector.stop();
        await adapters.close();
        await flushTracing();
        post({ kind: 'stopped' });
        port.close();
      })();
    }
  });
}
