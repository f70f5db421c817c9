/**
 * The composition root: builds adapters from validated configuration, then runs the roles this
 * process has (api, projector, worker — all three in embedded mode).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { IdstreamConfig } from '@idstream/config';
import { verifyDummy } from '@idstream/crypto';
import { createLogger, openAdapters, SecretBox, SigningKeys, type Adapters, type Logger } from '@idstream/platform';
import { pollingWaiter } from '@idstream/projection-runner';
import { CONFIG_VIEWS_CHECKPOINT, resolveReadModels, userSearchCheckpoint, userViewsCheckpoint, type ReadModels } from '@idstream/projector';
import type { WorkerService } from '@idstream/worker';
import { ProjectorThread, withSearchFrom, type ProjectorHandle } from './background/projector-thread.js';
import { createProjector, createWorker } from './background/roles.js';
import type { AppContext } from './application/context.js';
import { ensureDefaults, ensureSomeApiKey } from './application/bootstrap.js';
import { runKickstart, storeIsFresh } from './application/kickstart.js';
import { createApp } from './http/app.js';
import { flushTracing, initTracing } from '@idstream/platform';
import { dependencyChecks } from './application/health.js';

export interface RunningIdstream {
  /** Base URL of the HTTP API (when this process has the api role). */
  url?: string;
  port?: number;
  context: AppContext;
  adapters: Adapters;
  readModels: ReadModels;
  /** The projections, in this thread or (with the api role) in the projector thread. */
  projector?: ProjectorHandle;
  /** The worker thread running projections (the search alone, or all of them), when there is one. */
  thread?: ProjectorThread;
  /** The job worker when it runs in this thread (with the api role it runs in the projector thread). */
  worker?: WorkerService;
  stop(): Promise<void>;
}

export async function startIdstream(config: IdstreamConfig, options: { logger?: Logger } = {}): Promise<RunningIdstream> {
  const logger = options.logger ?? createLogger(config);
  if (initTracing({ ...(config.otlpEndpoint && { otlpEndpoint: config.otlpEndpoint }), serviceName: config.serviceName })) logger.info({ endpoint: config.otlpEndpoint }, 'tracing to OTLP');
  // With `projectorThread`, projections and the job worker run in a worker thread, beside the API's
  // event loop instead of on it (off by default: measured costlier on 2 cores, bench scenarios 2 and
  // 5). With `searchThread` (the default) only the user search projection does. The thread is spawned
  // first, so that loading its modules overlaps the opening of the stores here.
  const runsProjector = config.roles.includes('projector');
  const inThread = config.projectorThread && config.roles.includes('api') && runsProjector;
  const searchApart = !inThread && runsProjector && config.searchThread;
  const thread = inThread || searchApart
    ? ProjectorThread.spawn(config, { logger, worker: inThread && config.roles.includes('worker'), part: inThread ? 'all' : 'search' })
    : undefined;
  const adapters = await openAdapters(config, logger);
  const readModels = await resolveReadModels(adapters.views, adapters.search);
  const secrets = new SecretBox(adapters.masterKey);
  const signingKeys = new SigningKeys(() => readModels.config.Key, secrets);

  // 1. Projections first: reads and read-your-writes depend on them.
  const localProjector = runsProjector && !inThread
    ? createProjector(
        adapters,
        readModels,
        logger,
        // The search thread indexes what the user views applied: it hears each of their positions.
        searchApart ? (runner) => runner === localProjector?.userViews && thread!.reportViewsPosition(runner.position) : undefined,
        searchApart ? { part: 'without-search' } : {},
      )
    : undefined;
  await localProjector?.start();
  if (searchApart) thread!.reportViewsPosition(localProjector!.userViews.position);
  await thread?.start(adapters);
  const projector: ProjectorHandle | undefined = inThread ? thread!.projector : localProjector && searchApart ? withSearchFrom(localProjector, thread!) : localProjector;
  const waiters = projector?.waiters ?? {
    users: pollingWaiter('user-views', () => adapters.views.getCheckpoint(userViewsCheckpoint(readModels.usersCollectionName))),
    config: pollingWaiter('config-views', () => adapters.views.getCheckpoint(CONFIG_VIEWS_CHECKPOINT)),
    search: pollingWaiter('user-search', () => readModels.search.getCheckpoint(userSearchCheckpoint(readModels.searchVersion))),
  };
  const rebuildSearch = thread
    ? async () => {
        const version = await thread.rebuildSearch();
        // The thread switched the alias; this thread's searches follow it.
        readModels.search = await adapters.search.version(version);
        readModels.searchVersion = version;
        return version;
      }
    : localProjector && (() => localProjector.rebuildUserSearch());
  const context: AppContext = { config, logger, eventStore: adapters.eventStore, readModels, waiters, signingKeys, secrets, now: () => Date.now(), ...(rebuildSearch && { rebuildSearch }), jobs: adapters.jobs };

  // 2. Wait until the views reflect the log, so the first requests see everything already written.
  const head = await adapters.eventStore.headPosition();
  await Promise.all([waiters.config.waitFor(head, 300_000), waiters.users.waitFor(head, 300_000)]);

  // 3. Workers (in the projector thread when there is one).
  const worker = config.roles.includes('worker') && !inThread ? createWorker(config, adapters, readModels, logger) : undefined;
  worker?.start();

  // 4. HTTP.
  let server: Server | undefined;
  let closeMetrics: (() => void) | undefined;
  let ready = false;
  let url: string | undefined;
  let port: number | undefined;
  if (config.roles.includes('api')) {
    // Freshness is judged before the defaults exist: the bootstrap key must not stop a Kickstart.
    const fresh = config.kickstartFile ? await storeIsFresh(context) : false;
    await ensureDefaults(context);
    // The first dummy verification builds its hash; do it now, not on a user's first failed login.
    await verifyDummy('warm-up');
    const app = createApp(context, {
      ready: () => ready,
      dependencies: dependencyChecks({ ...adapters, logger }),
      // Every runner the projector holds, so a projection added later is measured without a change here.
      projections: () => (projector ? Object.values(projector.runners()).map((r) => ({ name: r.name, position: r.position })) : []),
      observable: adapters.observable,
    });
    closeMetrics = () => (app.locals.metrics as { close(): void }).close();
    server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(config.port, config.host, () => resolve(listening));
      listening.once('error', reject);
    });
    server.keepAliveTimeout = 65_000;
    port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    if (config.kickstartFile) {
      if (fresh) await runKickstart(context, config.kickstartFile, url);
      else logger.info({ file: config.kickstartFile }, 'kickstart skipped: the store is not empty');
    }
    const keyFile = await ensureSomeApiKey(context);
    if (keyFile) logger.warn({ file: keyFile }, 'no API key was configured: one was generated and written to this file');
    ready = true;
    logger.info({ url, roles: config.roles }, 'idstream ready');
    logger.flush();
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ready = false;
      if (server) {
        const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await closing;
      }
      closeMetrics?.();
      await worker?.stop();
      await localProjector?.stop();
      await thread?.stop();
      await adapters.close();
      await flushTracing();
    })());

  return { ...(url && { url }), ...(port !== undefined && { port }), context, adapters, readModels, ...(projector && { projector }), ...(thread && { thread }), ...(worker && { worker }), stop };
}
