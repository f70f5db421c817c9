/** The worker service (production scale-out): webhooks and emails from the job queue. Run any number. */
import { loadConfig } from '@idstream/config';
import { createLogger, exitOnSignals, openAdapters } from '@idstream/platform';
import { resolveReadModels } from '@idstream/projector';
import { createWorkerService } from './from-config.js';

const config = loadConfig();
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
