/**
 * The composition root: builds adapters from validated configuration, then runs the roles this
 * process has (api, projector, worker — all three in embedded mode).
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { IdstreamConfig } from '@idstream/config';
import { verifyDummy } from '@idstream/crypto';
import { createLogger, openAdapters, SecretBox, SigningKeys, WEBHOOK_PASSWORD_PURPOSE, type Adapters, type Logger } from '@idstream/platform';
import { pollingWaiter } from '@idstream/projection-runner';
import { CONFIG_VIEWS_CHECKPOINT, Projector, resolveReadModels, userSearchCheckpoint, userViewsCheckpoint, type ReadModels } from '@idstream/projector';
import { WorkerService } from '@idstream/worker';
import { passwordlessEmailSettings } from '@idstream/worker';
import { EMAILED_SECRET_PURPOSE } from '@idstream/reactors';
import type { AppContext } from './application/context.js';
import { ensureDefaults, ensureSomeApiKey } from './application/bootstrap.js';
import { runKickstart, storeIsFresh } from './application/kickstart.js';
import { createApp } from './http/app.js';
import { flushTracing, initTracing } from '@idstream/platform';
import { ProjectionRunner } from '@idstream/projection-runner';
import { dependencyChecks } from './application/health.js';

export interface RunningIdstream {
  /** Base URL of the HTTP API (when this process has the api role). */
  url?: string;
  port?: number;
  context: AppContext;
  adapters: Adapters;
  readModels: ReadModels;
  projector?: Projector;
  worker?: WorkerService;
  stop(): Promise<void>;
}

export async function startIdstream(config: IdstreamConfig, options: { logger?: Logger } = {}): Promise<RunningIdstream> {
  const logger = options.logger ?? createLogger(config);
  if (initTracing({ ...(config.otlpEndpoint && { otlpEndpoint: config.otlpEndpoint }), serviceName: config.serviceName })) logger.info({ endpoint: config.otlpEndpoint }, 'tracing to OTLP');
  const adapters = await openAdapters(config, logger);
  const readModels = await resolveReadModels(adapters.views, adapters.search);
  const secrets = new SecretBox(adapters.masterKey);
  const signingKeys = new SigningKeys(() => readModels.config.Key, secrets);

  // 1. Projections first: reads and read-your-writes depend on them.
  const projector = config.roles.includes('projector')
    ? new Projector({ eventStore: adapters.eventStore, views: adapters.views, search: adapters.search, jobs: adapters.jobs, readModels, logger })
    : undefined;
  await projector?.start();
  const waiters = projector?.waiters ?? {
    users: pollingWaiter('user-views', () => adapters.views.getCheckpoint(userViewsCheckpoint(readModels.usersCollectionName))),
    config: pollingWaiter('config-views', () => adapters.views.getCheckpoint(CONFIG_VIEWS_CHECKPOINT)),
    search: pollingWaiter('user-search', () => readModels.search.getCheckpoint(userSearchCheckpoint(readModels.searchVersion))),
  };
  const context: AppContext = { config, logger, eventStore: adapters.eventStore, readModels, waiters, signingKeys, secrets, now: () => Date.now(), ...(projector && { rebuildSearch: () => projector.rebuildUserSearch() }), jobs: adapters.jobs };

  // 2. Wait until the views reflect the log, so the first requests see everything already written.
  const head = await adapters.eventStore.headPosition();
  await Promise.all([waiters.config.waitFor(head, 300_000), waiters.users.waitFor(head, 300_000)]);

  // 3. Workers.
  const worker = config.roles.includes('worker')
    ? new WorkerService({
        eventStore: adapters.eventStore,
        jobs: adapters.jobs,
        readModels,
        signer: { sign: (keyId, payload) => signingKeys.sign(keyId, payload, 300) },
        reveal: (sealed) => secrets.open(WEBHOOK_PASSWORD_PURPOSE, sealed),
        logger,
        passwordlessEmail: passwordlessEmailSettings(config, secrets),
        userEmail: { openSealed: (sealed) => secrets.open(EMAILED_SECRET_PURPOSE, sealed), dataDir: config.dataDir, ...(config.smtp && { smtp: config.smtp }) },
      })
    : undefined;
  worker?.start();

  // 4. HTTP.
  let server: Server | undefined;
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
      projections: () => (projector ? Object.values(projector).filter((r): r is ProjectionRunner => r instanceof ProjectionRunner).map((r) => ({ name: r.handler.name, position: r.position })) : []),
      observable: adapters.observable,
    });
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
      await worker?.stop();
      await projector?.stop();
      await adapters.close();
      await flushTracing();
    })());

  return { ...(url && { url }), ...(port !== undefined && { port }), context, adapters, readModels, ...(projector && { projector }), ...(worker && { worker }), stop };
}
