/**
 * The background roles (projector, worker) built from opened adapters: shared by the projector
 * thread of an embedded API process and by a process that runs them without the API.
 */
import type { IdstreamConfig } from '@idstream/config';
import { SecretBox, SigningKeys, WEBHOOK_PASSWORD_PURPOSE, type Adapters, type Logger } from '@idstream/platform';
import type { ProjectionRunner } from '@idstream/projection-runner';
import { Projector, type ReadModels } from '@idstream/projector';
import { EMAILED_SECRET_PURPOSE } from '@idstream/reactors';
import { passwordlessEmailSettings, WorkerService } from '@idstream/worker';

export function createProjector(adapters: Adapters, readModels: ReadModels, logger: Logger, onApplied?: (runner: ProjectionRunner) => void): Projector {
  return new Projector({ eventStore: adapters.eventStore, views: adapters.views, search: adapters.search, jobs: adapters.jobs, readModels, logger, ...(onApplied && { onApplied }) });
}

export function createWorker(config: IdstreamConfig, adapters: Adapters, readModels: ReadModels, logger: Logger): WorkerService {
  const secrets = new SecretBox(adapters.masterKey);
  const signingKeys = new SigningKeys(() => readModels.config.Key, secrets);
  return new WorkerService({
    eventStore: adapters.eventStore,
    jobs: adapters.jobs,
    readModels,
    signer: { sign: (keyId, payload) => signingKeys.sign(keyId, payload, 300) },
    reveal: (sealed) => secrets.open(WEBHOOK_PASSWORD_PURPOSE, sealed),
    logger,
    passwordlessEmail: passwordlessEmailSettings(config, secrets),
    userEmail: { openSealed: (sealed) => secrets.open(EMAILED_SECRET_PURPOSE, sealed), dataDir: config.dataDir, ...(config.smtp && { smtp: config.smtp }) },
  });
}
