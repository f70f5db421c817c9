/** The worker service (production scale-out): delivers webhooks from the job queue. Run any number. */
import { loadConfig } from '@idstream/config';
import { createLogger, exitOnSignals, openAdapters, SecretBox, SigningKeys, WEBHOOK_PASSWORD_PURPOSE } from '@idstream/platform';
import { resolveReadModels } from '@idstream/projector';
import { WorkerService } from './worker.js';
import { passwordlessEmailSettings } from './passwordless-email.js';

const config = loadConfig();
const logger = createLogger(config, 'idstream-worker');
const adapters = await openAdapters(config, logger);
const readModels = await resolveReadModels(adapters.views, adapters.search);
const secrets = new SecretBox(adapters.masterKey);
const signingKeys = new SigningKeys(() => readModels.config.Key, secrets);
const worker = new WorkerService({
  eventStore: adapters.eventStore,
  jobs: adapters.jobs,
  readModels,
  signer: { sign: (keyId, payload) => signingKeys.sign(keyId, payload, 300) },
  reveal: (sealed) => secrets.open(WEBHOOK_PASSWORD_PURPOSE, sealed),
  logger,
  passwordlessEmail: passwordlessEmailSettings(config, secrets),
});
worker.start();
logger.info('worker running');
exitOnSignals(logger, async () => {
  await worker.stop();
  await adapters.close();
});
