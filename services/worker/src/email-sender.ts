/**
 * Sends one email job: reads the source event (gone after a hard delete: the job ends), opens the
 * sealed id, picks the template (application, then tenant `emailConfiguration`, then the shipped
 * default), renders it in the user's language and sends it over SMTP when configured, else writes it
 * to the dev mailbox (`<dataDir>/mailbox/*.eml`) and logs the file name. SMTP failures throw, so the
 * queue retries.
 */
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { ChangePasswordStarted, ConfigDocument, ConfigKind, EmailVerificationStarted } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { PermanentJobError } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { UserViewBody } from '@idstream/projection-user-views';
import type { EmailJob } from '@idstream/reactors';
import type { ViewCollection } from '@idstream/views';
import { configuredTemplateId, defaultEmailTemplates, renderEmail, type EmailTemplateDocument } from './email-templates.js';

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
  /** Tenants, applications and email templates (configuration views). */
  config: Pick<Record<ConfigKind, ViewCollection<ConfigDocument>>, 'Tenant' | 'Application' | 'EmailTemplate'>;
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
    const tenant = (await deps.config.Tenant.get(job.tenantId))?.body;
    const application = data.applicationId ? (await deps.config.Application.get(data.applicationId))?.body : undefined;
    const template = await templateFor(job.kind, tenant, application, deps.config.EmailTemplate, deps.logger);
    const message = renderEmail(template, {
      user,
      ...(application && { application: withoutSecrets(application) }),
      ...(tenant && { tenant: withoutSecrets(tenant) }),
      ...(job.kind === 'verification' ? { verificationId: id, ...(code && { verificationOneTimeCode: code }) } : { changePasswordId: id }),
      ...(data.state && { state: data.state }),
      baseUrl: deps.baseUrl ?? '',
    }, Array.isArray(user.preferredLanguages) ? (user.preferredLanguages as string[]) : []);
    const address = message.fromEmail ?? deps.smtp?.from ?? 'no-reply@idstream.local';
    const from = message.fromName ? { name: message.fromName, address } : address;
    if (transport) {
      await transport.sendMail({ from, to, subject: message.subject, text: message.text, html: message.html });
      return;
    }
    const dir = join(deps.dataDir, 'mailbox');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${Date.now()}-${job.kind}-${source.id}.eml`);
    const fromHeader = typeof from === 'string' ? from : `"${from.name.replace(/["\\\r\n]/g, '')}" <${from.address}>`;
    const eml = `From: ${fromHeader}\r\nTo: ${to}\r\nSubject: ${message.subject.replace(/[\r\n]/g, ' ')}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${message.text}`;
    await writeFile(file, eml, { mode: 0o600 });
    // A hard delete that ran while this message was being written did not see the file: drop it.
    if (!(await deps.users().get(job.userId))) {
      await unlink(file).catch(() => undefined);
      return;
    }
    deps.logger.info({ file, kind: job.kind }, 'email written to the dev mailbox (no SMTP configured)');
  };
}

/**
 * The configured template, or the shipped default when none is configured. A configured id that no
 * longer exists (deleted template) also falls back to the default rather than losing the email.
 */
async function templateFor(kind: EmailJob['kind'], tenant: ConfigDocument | undefined, application: ConfigDocument | undefined, templates: ViewCollection<ConfigDocument>, logger: Logger): Promise<EmailTemplateDocument> {
  const id = configuredTemplateId(kind, tenant, application);
  if (!id) return defaultEmailTemplates[kind];
  const configured = (await templates.get(id))?.body as EmailTemplateDocument | undefined;
  if (configured) return configured;
  logger.warn({ templateId: id, kind }, 'configured email template not found; sending the default');
  return defaultEmailTemplates[kind];
}

/** Configuration handed to templates never carries credentials. */
function withoutSecrets(document: ConfigDocument): Record<string, unknown> {
  const { emailConfiguration, oauthConfiguration, ...rest } = document as Record<string, unknown> & ConfigDocument;
  const strip = (value: unknown, secret: string) => (value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== secret)) : value);
  return { ...rest, ...(emailConfiguration !== undefined && { emailConfiguration: strip(emailConfiguration, 'password') }), ...(oauthConfiguration !== undefined && { oauthConfiguration: strip(oauthConfiguration, 'clientSecret') }) };
}
