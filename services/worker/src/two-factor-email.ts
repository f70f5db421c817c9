/**
 * Sends the code of `POST /api/two-factor/send` for the email method: reads the `TwoFactorCodeSent`
 * event the job names, opens its sealed code and sends it by SMTP when configured, else writes it to
 * the dev mailbox (`<dataDir>/mailbox/*.eml`). A pending login that was completed, expired or
 * abandoned meanwhile gets nothing; an event gone with a hard-deleted user ends the job.
 */
import { foldPendingTwoFactor, pendingTwoFactorOpen, type TwoFactorCodeSent } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { PermanentJobError, type JobQueue, type Worker } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { ReadModels } from '@idstream/projector';
import { TWO_FACTOR_EMAIL_QUEUE, type TwoFactorEmailJob } from '@idstream/reactors';
import type { EmailWorkerOptions } from './email-worker.js';
import { languagesOf, renderEmail, templateOrDefault, type EmailTemplateDocument } from './email-templates.js';
import type { Transporter } from 'nodemailer';
import { logEmailAttempt, senderOf, smtpFailure, writeToDevMailbox } from './mail-delivery.js';

/** FusionAuth's default two-factor email says little: the code, and that it was asked for. */
export const defaultTwoFactorEmailTemplate: EmailTemplateDocument = {
  name: '[Idstream Default] Two Factor Authentication',
  defaultSubject: 'Your verification code',
  defaultTextTemplate: 'Hi ${user.firstName!user.fullName!user.username!user.email},\n\nTo complete your login, enter this code:\n\n${code}\n\nIf you did not try to log in, change your password.\n',
  defaultHtmlTemplate: '<p>Hi ${user.firstName!user.fullName!user.username!user.email},</p><p>To complete your login, enter this code:</p><p><strong>${code}</strong></p><p>If you did not try to log in, change your password.</p>',
};

export interface TwoFactorEmailDeps {
  eventStore: EventStore;
  jobs: JobQueue;
  readModels: ReadModels;
  logger: Logger;
  /** The shared SMTP pool; none: the dev mailbox. */
  smtpTransport?: Transporter;
  now?(): number;
}

export function startTwoFactorEmailWorker(deps: TwoFactorEmailDeps, options: EmailWorkerOptions): Worker {
  const transport = deps.smtpTransport;

  async function send(job: TwoFactorEmailJob): Promise<void> {
    const events = await deps.eventStore.readStream(job.streamName);
    const sent = events.find((e) => e.revision === job.revision && e.type === 'TwoFactorCodeSent') as (TwoFactorCodeSent & { id: string }) | undefined;
    if (!sent) throw new PermanentJobError('the event holding the code no longer exists');
    if (!pendingTwoFactorOpen(foldPendingTwoFactor(events), deps.now?.() ?? Date.now())) {
      deps.logger.info({ userId: job.userId }, 'two-factor email skipped: the login is no longer pending');
      return;
    }
    const to = sent.data.email;
    const user = (await deps.readModels.users.get(job.userId))?.body.user;
    if (!to || !user) throw new PermanentJobError('nothing to send: no user or address');
    const tenant = (await deps.readModels.config.Tenant.get(job.tenantId))?.body;
    // The tenant's `multiFactorConfiguration.email.templateId` is FusionAuth's setting.
    const templateId = (tenant?.multiFactorConfiguration as { email?: { templateId?: string } } | undefined)?.email?.templateId;
    const template = await templateOrDefault(deps.readModels.config.EmailTemplate, templateId, defaultTwoFactorEmailTemplate, deps.logger, { kind: 'two-factor' });
    const message = renderEmail(template, { user, code: options.openSealed(sent.data.sealedCode) }, languagesOf(user));
    const { address, from } = senderOf(message, options.smtp);
    if (transport) {
      try {
        await transport.sendMail({ from, to, subject: message.subject, text: message.text, html: message.html });
      } catch (error) {
        throw smtpFailure(error, to);
      }
      return;
    }
    // The dev mailbox names the sender by address only.
    const file = await writeToDevMailbox(options.dataDir, `two-factor-${sent.id}`, { from: address, to, subject: message.subject, text: message.text });
    deps.logger.info({ file }, 'two-factor email written to the dev mailbox (no SMTP configured)');
  }

  return deps.jobs.work<TwoFactorEmailJob>(TWO_FACTOR_EMAIL_QUEUE, (job) => send(job), {
    concurrency: 4,
    onAttempt: (outcome) => logEmailAttempt(deps.logger, outcome, 'two-factor email attempt'),
  });
}
