/**
 * `pnpm start`: one process, every role (api, projector, worker), embedded storage unless the
 * production URLs are set. Stops gracefully on SIGINT/SIGTERM: HTTP drains, in-flight jobs finish,
 * checkpoints are saved.
 */
import { ConfigError, loadConfig } from '@idstream/config';
import { createLogger, exitOnSignals } from '@idstream/platform';
import { startIdstream } from './server.js';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(78);
}
const logger = createLogger(config);
try {
  const service = await startIdstream(config, { logger });
  exitOnSignals(logger, service.stop);
} catch (error) {
  logger.fatal({ err: error }, 'Idstream failed to start');
  process.exit(1);
}
