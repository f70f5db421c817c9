/** The worker service (production scale-out): webhooks and emails from the job queue. Run any number. */
import { loadConfig } from '@idstream/config';
import { createLogger, exitOnSignals, openAdapters } from '@idstream/platform';
import { resolveReadModels } from '@idstream/projector';
import { createWorkerService } from './from-config.js';

// This process runs the worker role alone, whatever IDSTREAM_ROLES says: the adapters then expect
// other processes (the API) writing the same embedded files, and look for their appends often.
const config = { ...loadConfig(), roles: ['worker' as const] };
const logger = createLogger(config, 'idstream-worker');
const adapters = await openAdapters(config, logger);
const readModels = await resolveReadModels(adapters.views, adapters.search);
const worker = createWorkerService(config, adapters, readModels, logger);
worker.start();
logger.info('worker running');
logger.flush();
exitOnSignals(logger, async () => {
  await worker.stop();
  await adapters.close();
});
