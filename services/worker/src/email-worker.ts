import type { EventStore } from '@idstream/eventstore';
import type { JobQueue, Worker } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { Transporter } from 'nodemailer';
import type { ReadModels } from '@idstream/projector';
import { EMAIL_QUEUE, type EmailJob } from '@idstream/reactors';
import { createEmailSender } from './email-sender.js';
import { logEmailAttempt, type SmtpSettings } from './mail-delivery.js';

export interface EmailWorkerOptions {
  openSealed(sealed: string): string;
  smtp?: SmtpSettings;
  dataDir: string;
  baseUrl?: string;
}

/** Consumes the `emails` queue (verification, setup and forgot password emails). */
export function startEmailWorker(deps: { eventStore: EventStore; jobs: JobQueue; readModels: ReadModels; logger: Logger; smtpTransport?: Transporter }, options: EmailWorkerOptions): Worker {
  const send = createEmailSender({ eventStore: deps.eventStore, users: () => deps.readModels.users, config: deps.readModels.config, logger: deps.logger, ...options, ...(deps.smtpTransport && { transport: deps.smtpTransport }) });
  return deps.jobs.work<EmailJob>(EMAIL_QUEUE, (job) => send(job), {
    concurrency: 4,
    onAttempt: (outcome) => logEmailAttempt(deps.logger, outcome, 'email attempt'),
  });
}
