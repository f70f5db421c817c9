/**
 * The projector service (production scale-out): applies every projection and reactor. Run one; the
 * API nodes wait on the checkpoints it stores.
 */
import { loadConfig } from '@idstream/config';
import { createLogger, exitOnSignals, openAdapters } from '@idstream/platform';
import { Projector } from './projector.js';
import { resolveReadModels } from './read-models.js';

// This process runs the projector role alone, whatever IDSTREAM_ROLES says: the adapters then expect
// other processes (the API) writing the same embedded files, and look for their appends often.
const config = { ...loadConfig(), roles: ['projector' as const] };
const logger = createLogger(config, 'idstream-projector');
const adapters = await openAdapters(config, logger);
const readModels = await resolveReadModels(adapters.views, adapters.search);
const projector = new Projector({ ...adapters, readModels, logger });
await projector.start();
logger.info('projector running');
logger.flush();
exitOnSignals(logger, async () => {
  await projector.stop();
  await adapters.close();
});
