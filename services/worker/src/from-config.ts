/**
 * The worker service as a process builds it from its configuration and opened adapters: the same for
 * the worker of an embedded API process and for a worker-only process (`main.ts`), so both send
 * webhooks, user emails, passwordless and two-factor emails alike.
 */
import type { IdstreamConfig } from '@idstream/config';
import { SecretBox, SigningKeys, WEBHOOK_PASSWORD_PURPOSE, type Adapters, type Logger } from '@idstream/platform';
import type { ReadModels } from '@idstream/projector';
import { EMAILED_SECRET_PURPOSE } from '@idstream/reactors';
import { createSmtpTransport } from './mail-delivery.js';
import { passwordlessEmailSettings } from './passwordless-email.js';
import { WorkerService } from './worker.js';

export function createWorkerService(config: IdstreamConfig, adapters: Adapters, readModels: ReadModels, logger: Logger): WorkerService {
  const secrets = new SecretBox(adapters.masterKey);
  const signingKeys = new SigningKeys(() => readModels.config.Key, secrets);
  return new WorkerService({
    eventStore: adapters.eventStore,
    jobs: adapters.jobs,
    readModels,
    signer: { sign: (keyId, payload) => signingKeys.sign(keyId, payload, 300) },
    reveal: (sealed) => secrets.open(WEBHOOK_PASSWORD_PURPOSE, sealed),
    logger,
    smtpTransport: createSmtpTransport(config.smtp),
    passwordlessEmail: passwordlessEmailSettings(config, secrets),
    userEmail: { openSealed: (sealed) => secrets.open(EMAILED_SECRET_PURPOSE, sealed), dataDir: config.dataDir, ...(config.smtp && { smtp: config.smtp }) },
  });
}
