/**
 * Sends the code of `POST /api/two-factor/send` for the email method: reads the `TwoFactorCodeSent`
 * event the job names, opens its sealed code and sends it by SMTP when configured, else writes it to
 * the dev mailbox (`<dataDir>/mailbox/*.eml`). A pending login that was completed, expired or
 * abandoned meanwhile gets nothing; an event gone with a hard-deleted user ends the job.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { foldPendingTwoFactor, pendingTwoFactorOpen, type ConfigDocument, type TwoFactorCodeSent } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { PermanentJobError, type JobQueue, type Worker } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { ReadModels } from '@idstream/projector';
import { TWO_FACTOR_EMAIL_QUEUE, type TwoFactorEmailJob } from '@idstream/reactors';
import type { EmailWorkerOptions } from './email-worker.js';
import { renderEmail, type EmailTemplateDocument } from './email-templates.js';

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
  now?(): number;
}

export function startTwoFactorEmailWorker(deps: TwoFactorEmailDeps, options: EmailWorkerOptions): Worker {
  const transport = options.smtp
    ? nodemailer.createTransport({
        host: options.smtp.host,
        port: options.smtp.port,
        secure: options.smtp.secure,
        ...(options.smtp.user && { auth: { user: options.smtp.user, pass: options.smtp.password ?? '' } }),
      })
    : undefined;

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
    const template = await templateFor(tenant, deps);
    const message = renderEmail(template, { user, code: options.openSealed(sent.data.sealedCode) }, Array.isArray(user.preferredLanguages) ? (user.preferredLanguages as string[]) : []);
    const address = message.fromEmail ?? options.smtp?.from ?? 'no-reply@idstream.local';
    const from = message.fromName ? { name: message.fromName, address } : address;
    if (transport) {
      try {
        await transport.sendMail({ from, to, subject: message.subject, text: message.text, html: message.html });
      } catch (error) {
        // A 5xx reply is the server's final word (unknown mailbox, refused sender): retrying cannot help.
        const code = (error as { responseCode?: number }).responseCode;
        const reason = (error instanceof Error ? error.message : String(error)).split(to).join('<recipient>');
        if (typeof code === 'number' && code >= 500) throw new PermanentJobError(reason);
        throw new Error(reason);
      }
      return;
    }
    const dir = join(options.dataDir, 'mailbox');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${Date.now()}-two-factor-${sent.id}.eml`);
    const eml = `From: ${address}\r\nTo: ${to}\r\nSubject: ${message.subject.replace(/[\r\n]/g, ' ')}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${message.text}`;
    await writeFile(file, eml, { mode: 0o600 });
    deps.logger.info({ file }, 'two-factor email written to the dev mailbox (no SMTP configured)');
  }

  return deps.jobs.work<TwoFactorEmailJob>(TWO_FACTOR_EMAIL_QUEUE, (job) => send(job), {
    concurrency: 4,
    onAttempt: (outcome) => {
      const level = outcome.status === 'completed' ? 'debug' : 'warn';
      deps.logger[level]({ job: outcome.context.id, attempt: outcome.context.attempt, status: outcome.status, error: outcome.error }, 'two-factor email attempt');
    },
  });
}

/** The tenant's `multiFactorConfiguration.email.templateId` (FusionAuth's setting), else the default. */
async function templateFor(tenant: ConfigDocument | undefined, deps: TwoFactorEmailDeps): Promise<EmailTemplateDocument> {
  const id = (tenant?.multiFactorConfiguration as { email?: { templateId?: string } } | undefined)?.email?.templateId;
  if (!id) return defaultTwoFactorEmailTemplate;
  const configured = (await deps.readModels.config.EmailTemplate.get(id))?.body as EmailTemplateDocument | undefined;
  if (configured) return configured;
  deps.logger.warn({ templateId: id }, 'configured two-factor email template not found; sending the default');
  return defaultTwoFactorEmailTemplate;
}
