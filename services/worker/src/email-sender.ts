/**
 * Sends one email job: reads the source event (gone after a hard delete: the job ends), opens the
 * sealed id, picks the template (application, then tenant `emailConfiguration`, then the shipped
 * default), renders it in the user's language and sends it over SMTP when configured, else writes it
 * to the dev mailbox (`<dataDir>/mailbox/*.eml`) and logs the file name. SMTP failures throw, so the
 * queue retries.
 */
import { unlink } from 'node:fs/promises';
import type { Transporter } from 'nodemailer';
import type { ChangePasswordStarted, ConfigDocument, ConfigKind, EmailVerificationStarted } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { PermanentJobError } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { UserViewBody } from '@idstream/projection-user-views';
import type { EmailJob } from '@idstream/reactors';
import type { ViewCollection } from '@idstream/views';
import { configuredTemplateId, defaultEmailTemplates, languagesOf, renderEmail, templateOrDefault } from './email-templates.js';
import { senderOf, smtpFailure, writeToDevMailbox, type SmtpSettings } from './mail-delivery.js';

export type { SmtpSettings } from './mail-delivery.js';

export interface EmailSenderDeps {
  eventStore: EventStore;
  users: () => ViewCollection<UserViewBody>;
  /** Tenants, applications and email templates (configuration views). */
  config: Pick<Record<ConfigKind, ViewCollection<ConfigDocument>>, 'Tenant' | 'Application' | 'EmailTemplate'>;
  /** Opens an id sealed into an event for this worker. */
  openSealed(sealed: string): string;
  smtp?: SmtpSettings;
  /** The shared SMTP pool; none: the dev mailbox. */
  transport?: Transporter;
  dataDir: string;
  /** Base of links in emails. */
  baseUrl?: string;
  logger: Logger;
}

export function createEmailSender(deps: EmailSenderDeps) {
  const { transport } = deps;

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
    const template = await templateOrDefault(deps.config.EmailTemplate, configuredTemplateId(job.kind, tenant, application), defaultEmailTemplates[job.kind], deps.logger, { kind: job.kind });
    const message = renderEmail(template, {
      user,
      ...(application && { application: withoutSecrets(application) }),
      ...(tenant && { tenant: withoutSecrets(tenant) }),
      ...(job.kind === 'verification' ? { verificationId: id, ...(code && { verificationOneTimeCode: code }) } : { changePasswordId: id }),
      ...(data.state && { state: data.state }),
      baseUrl: deps.baseUrl ?? '',
    }, languagesOf(user));
    const { from } = senderOf(message, deps.smtp);
    if (transport) {
      try {
        await transport.sendMail({ from, to, subject: message.subject, text: message.text, html: message.html });
      } catch (error) {
        throw smtpFailure(error, to);
      }
      return;
    }
    const file = await writeToDevMailbox(deps.dataDir, `${job.kind}-${source.id}`, { from, to, subject: message.subject, text: message.text });
    // A hard delete that ran while this message was being written did not see the file: drop it.
    if (!(await deps.users().get(job.userId))) {
      await unlink(file).catch(() => undefined);
      return;
    }
    deps.logger.info({ file, kind: job.kind }, 'email written to the dev mailbox (no SMTP configured)');
  };
}

/** Configuration handed to templates never carries credentials. */
function withoutSecrets(document: ConfigDocument): Record<string, unknown> {
  const { emailConfiguration, oauthConfiguration, ...rest } = document as Record<string, unknown> & ConfigDocument;
  const strip = (value: unknown, secret: string) => (value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => k !== secret)) : value);
  return { ...rest, ...(emailConfiguration !== undefined && { emailConfiguration: strip(emailConfiguration, 'password') }), ...(oauthConfiguration !== undefined && { oauthConfiguration: strip(oauthConfiguration, 'clientSecret') }) };
}
