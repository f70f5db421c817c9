/**
 * The projector thread of an embedded API process: every projection and reactor, and the job
 * worker, on their own event loop and core, so the API thread only serves requests and appends.
 * It opens its own connections to the same files; the API thread learns each runner's position
 * from messages (read-your-writes waits resolve on them) and wakes this thread's event-store
 * subscription through the store's cross-thread notifier.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { IdstreamConfig } from '@idstream/config';
import { createLogger, flushTracing, initTracing, openAdapters } from '@idstream/platform';
import type { ProjectionRunner } from '@idstream/projection-runner';
import { resolveReadModels } from '@idstream/projector';
import type { FromThread, RunnerPosition, ToThread } from './protocol.js';
import { createProjector, createWorker } from './roles.js';

/** The runners read-your-writes waits on: reported at once, the others once per loop turn. */
const URGENT = new Set(['userViews', 'configViews', 'userSearch']);

const port = parentPort!;
const post = (message: FromThread) => port.postMessage(message);
const { config: sent, worker: runsWorker } = workerData as { config: IdstreamConfig; worker: boolean };

port.once('message', (message: ToThread) => {
  // Stopped before it started (the API's start failed): nothing is open.
  if (message.kind !== 'start') return port.close();
  run({ ...sent, masterKey: Buffer.from(message.masterKey) }).catch((error: unknown) => {
    post({ kind: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    // A thread that could not start has nothing left to run; the API thread decides what follows.
    port.close();
  });
});

async function run(config: IdstreamConfig): Promise<void> {
  const logger = createLogger(config, 'idstream-projector');
  initTracing({ ...(config.otlpEndpoint && { otlpEndpoint: config.otlpEndpoint }), serviceName: config.serviceName });
  const adapters = await openAdapters(config, logger);
  // Metrics are served by the API thread: it hears this thread's appends and job outcomes.
  adapters.observable.onAppend((observation) => post({ kind: 'append', observation }));
  adapters.observable.onJob((observation) => post({ kind: 'job', observation, queues: adapters.observable.knownQueues() }));
  const readModels = await resolveReadModels(adapters.views, adapters.search);

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
  const projector = createProjector(adapters, readModels, logger, onApplied);
  const snapshot = () => {
    keys = new Map(Object.entries(projector.runners()).map(([key, runner]) => [runner, key]));
    for (const [runner, key] of keys) pending.set(key, [key, runner.handler.name, runner.position]);
    flush();
  };
  await projector.start();
  snapshot();
  const head = await adapters.eventStore.headPosition();
  await Promise.all([projector.configViews.waitFor(head, 300_000), projector.userViews.waitFor(head, 300_000)]);
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
