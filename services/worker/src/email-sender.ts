/**
 * Sends one email job: reads the source event (gone after a hard delete: the job ends), opens the
 * sealed id, renders the template and sends it over SMTP when configured, else writes it to the dev
 * mailbox (`<dataDir>/mailbox/*.eml`) and logs the file name. SMTP failures throw, so the queue retries.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { ChangePasswordStarted, EmailVerificationStarted } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { PermanentJobError } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { UserViewBody } from '@idstream/projection-user-views';
import type { EmailJob } from '@idstream/reactors';
import type { ViewCollection } from '@idstream/views';
import { defaultEmailTemplates, render } from './email-templates.js';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

export interface EmailSenderDeps {
  eventStore: EventStore;
  users: () => ViewCollection<UserViewBody>;
  /** Opens an id sealed into an event for this worker. */
  openSealed(sealed: string): string;
  smtp?: SmtpSettings;
  dataDir: string;
  /** Base of links in emails. */
  baseUrl?: string;
  logger: Logger;
}

export function createEmailSender(deps: EmailSenderDeps) {
  const transport = deps.smtp
    ? nodemailer.createTransport({
        host: deps.smtp.host,
        port: deps.smtp.port,
        secure: deps.smtp.secure,
        ...(deps.smtp.user && { auth: { user: deps.smtp.user, pass: deps.smtp.password ?? '' } }),
      })
    : undefined;

  return async function send(job: EmailJob): Promise<void> {
    const [source] = await deps.eventStore.readStream(job.streamName, { fromRevision: job.revision, maxCount: 1 });
    if (!source || source.revision !== job.revision) throw new PermanentJobError('source event no longer exists');
    const user = (await deps.users().get(job.userId))?.body.user;
    const data = source.data as Partial<EmailVerificationStarted['data'] & ChangePasswordStarted['data']>;
    const to = user?.email ?? (typeof user?.data?.email === 'string' ? user.data.email : undefined);
    if (!user || !to || !data.sealedId) throw new PermanentJobError('nothing to send: no user, address or id');
    const id = deps.openSealed(data.sealedId);
    const code = data.sealedCode ? deps.openSealed(data.sealedCode) : undefined;
    const message = render(defaultEmailTemplates[job.kind], {
      name: String(user.firstName ?? user.fullName ?? user.username ?? to),
      verificationId: id,
      changePasswordId: id,
      codeLine: code ? `Verification code: ${code}` : '',
      baseUrl: deps.baseUrl ?? '',
    });
    const from = deps.smtp?.from ?? 'no-reply@idstream.local';
    if (transport) {
      await transport.sendMail({ from, to, subject: message.subject, text: message.text, html: message.html });
      return;
    }
    const dir = join(deps.dataDir, 'mailbox');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${Date.now()}-${job.kind}-${source.id}.eml`);
    const eml = `From: ${from}\r\nTo: ${to}\r\nSubject: ${message.subject}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${message.text}`;
    await writeFile(file, eml, { mode: 0o600 });
    deps.logger.info({ file, kind: job.kind }, 'email written to the dev mailbox (no SMTP configured)');
  };
}
