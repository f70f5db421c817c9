/**
 * Sends passwordless emails: opens the sealed code of the issuing event, builds a message with the
 * code and the magic link, and sends it by SMTP when configured, else writes it to the dev mailbox
 * (`<dataDir>/mailbox/*.eml`). A code already used or expired is not sent; a user without an email
 * address cannot receive one. The outcome is recorded on the code's stream as an event
 * (`PasswordlessEmailDelivered`, or `PasswordlessEmailFailed` once no retry is left), so it is part of
 * the user's history and is erased with the user.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { IdstreamConfig } from '@idstream/config';
import { magicLinkUrl, PASSWORDLESS_CODE_PURPOSE, type PasswordlessCodeIssued, type PasswordlessEmailDelivered, type PasswordlessEmailFailed } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { PermanentJobError, type JobContext, type JobQueue, type Worker } from '@idstream/jobs';
import type { Logger, SecretBox } from '@idstream/platform';
import type { ReadModels } from '@idstream/projector';
import { PASSWORDLESS_EMAIL_QUEUE, type PasswordlessEmailJob } from '@idstream/reactors';
import { DEFAULT_FROM_ADDRESS, logEmailAttempt, smtpFailure, type SmtpSettings } from './mail-delivery.js';

export type { SmtpSettings } from './mail-delivery.js';

export interface PasswordlessEmailSettings {
  smtp?: SmtpSettings;
  /** Where the dev mailbox lives when no SMTP server is configured. */
  dataDir: string;
  /** Base URL of the service as users reach it (configured, never a request's Host header). */
  publicUrl(): string;
  /** Opens a sealed passwordless code. */
  openCode(sealed: string): string;
  now?(): number;
}

export interface PasswordlessEmailDependencies {
  eventStore: EventStore;
  jobs: JobQueue;
  readModels: ReadModels;
  logger: Logger;
  settings: PasswordlessEmailSettings;
  /** The shared SMTP pool, present when `settings.smtp` is; none: the dev mailbox. */
  smtpTransport?: Transporter;
}

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

type IssuedData = PasswordlessCodeIssued['data'];

/** What a try did, kept until the queue reports the try's outcome (which knows whether it was the last). */
interface TryDetails {
  job: PasswordlessEmailJob;
  issued: IssuedData;
  /** The user has no email address: a failure no retry can fix. */
  noEmailAddress?: boolean;
  /** The message, sanitised of the recipient's address. */
  error?: string;
}

export function startPasswordlessEmailWorker(deps: PasswordlessEmailDependencies): Worker {
  const deliver = createMailer(deps.settings, deps.smtpTransport);
  const tries = new Map<string, TryDetails>();
  return deps.jobs.work<PasswordlessEmailJob>(
    PASSWORDLESS_EMAIL_QUEUE,
    async (job, context) => {
      const composed = await composePasswordlessEmail(deps, job, context);
      if (!composed) return;
      const details: TryDetails = { job, issued: composed.issued };
      tries.set(context.id, details);
      if (!composed.email) {
        details.noEmailAddress = true;
        return;
      }
      try {
        await deliver(composed.email);
      } catch (error) {
        // Capped: the message is recorded in the `PasswordlessEmailFailed` event.
        const failure = smtpFailure(error, composed.email.to, 300);
        details.error = failure.message;
        throw failure;
      }
    },
    {
      concurrency: 4,
      onAttempt: async (outcome) => {
        logEmailAttempt(deps.logger, outcome, 'passwordless email attempt');
        const details = tries.get(outcome.context.id);
        tries.delete(outcome.context.id);
        if (!details || outcome.status === 'retrying') return;
        await recordOutcome(deps, details, outcome.context.attempt, outcome.status === 'completed' && !details.noEmailAddress);
      },
    },
  );
}

/** Appends the delivery outcome to the code's stream (no read: outcomes never conflict with each other). */
async function recordOutcome(deps: PasswordlessEmailDependencies, details: TryDetails, attempt: number, delivered: boolean): Promise<void> {
  const { userId, tenantId, applicationId } = details.issued;
  const base = { userId, tenantId, applicationId, instant: deps.settings.now?.() ?? Date.now(), issuedRevision: details.job.issuedRevision, attempt };
  const event: PasswordlessEmailDelivered | PasswordlessEmailFailed = delivered
    ? { type: 'PasswordlessEmailDelivered', data: base }
    : { type: 'PasswordlessEmailFailed', data: { ...base, reason: details.noEmailAddress ? 'noEmailAddress' : 'delivery', ...(details.error && { error: details.error }) } };
  try {
    await deps.eventStore.append(details.job.streamName, [{ id: randomUUID(), type: event.type, data: event.data }], 'any');
  } catch (error) {
    deps.logger.error({ err: error, stream: details.job.streamName }, 'could not record a passwordless email outcome');
  }
}

/**
 * The email for one job, with the issuing event's data; undefined when there is nothing (any more) to
 * send; `email` undefined when the user has no email address.
 */
export async function composePasswordlessEmail(
  deps: PasswordlessEmailDependencies,
  job: PasswordlessEmailJob,
  context?: JobContext,
): Promise<{ issued: IssuedData; email?: OutgoingEmail } | undefined> {
  const events = await deps.eventStore.readStream(job.streamName);
  const issued = events.find((e) => e.revision === job.issuedRevision && e.type === 'PasswordlessCodeIssued') as PasswordlessCodeIssued & { revision: number } | undefined;
  if (!issued) throw new PermanentJobError('the issuing event is gone');
  const now = deps.settings.now?.() ?? Date.now();
  const consumed = events.some((e) => e.revision > job.issuedRevision && e.type === 'PasswordlessCodeConsumed');
  const laterIssue = events.some((e) => e.revision > job.issuedRevision && e.type === 'PasswordlessCodeIssued');
  if (consumed || laterIssue || issued.data.expiresAt <= now) {
    deps.logger.info({ job: context?.id }, 'passwordless email skipped: the code is no longer usable');
    return undefined;
  }
  const [user, application] = await Promise.all([deps.readModels.users.get(issued.data.userId), deps.readModels.config.Application.get(issued.data.applicationId)]);
  const to = user?.body.user.email;
  if (!to) {
    deps.logger.warn({ job: context?.id, userId: issued.data.userId }, 'passwordless email skipped: the user has no email address');
    return { issued: issued.data };
  }
  const code = deps.settings.openCode(issued.data.sealedCode);
  const link = magicLinkUrl(deps.settings.publicUrl(), code);
  const appName = typeof application?.body.name === 'string' ? application.body.name : 'your application';
  const minutes = Math.max(1, Math.round((issued.data.expiresAt - issued.data.instant) / 60_000));
  const text = [
    `Sign in to ${appName}`,
    '',
    `Open this link and press "Sign in":`,
    link,
    '',
    `Or enter this code: ${code}`,
    '',
    `The link and the code work once, for ${minutes} minute${minutes === 1 ? '' : 's'}. If you did not ask to sign in, ignore this email.`,
  ].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<h1>Sign in to ${escapeHtml(appName)}</h1>
<p><a href="${escapeHtml(link)}">Open the sign-in page</a> and press "Sign in".</p>
<p>Or enter this code: <code>${escapeHtml(code)}</code></p>
<p>The link and the code work once, for ${minutes} minute${minutes === 1 ? '' : 's'}. If you did not ask to sign in, ignore this email.</p>
</body></html>`;
  return { issued: issued.data, email: { to, subject: `Sign in to ${appName}`, text, html } };
}

function createMailer(settings: PasswordlessEmailSettings, transport: Transporter | undefined): (email: OutgoingEmail) => Promise<void> {
  const smtp = settings.smtp;
  // A wiring fault, not a setting: SMTP configured but no pool given would mail the dev mailbox unseen.
  if (smtp && !transport) throw new Error('passwordless email: SMTP is configured but no SMTP transport was given');
  if (smtp && transport) {
    return async (email) => {
      await transport.sendMail({ from: smtp.from, ...email });
    };
  }
  const mailbox = join(settings.dataDir, 'mailbox');
  return async (email) => {
    // Dev mailbox: the full message as an .eml file, readable by the data directory's owner only.
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    const info = await transport.sendMail({ from: DEFAULT_FROM_ADDRESS, ...email });
    await mkdir(mailbox, { recursive: true, mode: 0o700 });
    const file = join(mailbox, `${Date.now()}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`);
    // Written aside, then renamed: a reader never sees half a message.
    await writeFile(`${file}.partial`, info.message as Buffer, { mode: 0o600 });
    await rename(`${file}.partial`, file);
  };
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => escapes[c]!);
}

/** The settings a process builds from its configuration (shared by embedded and worker-only starts). */
export function passwordlessEmailSettings(config: IdstreamConfig, secrets: SecretBox): PasswordlessEmailSettings {
  return {
    ...(config.smtp && { smtp: config.smtp }),
    dataDir: config.dataDir,
    publicUrl: () => config.publicUrl ?? `http://localhost:${config.port}`,
    openCode: (sealed) => secrets.open(PASSWORDLESS_CODE_PURPOSE, sealed),
  };
}
