/**
 * What every email worker (user emails, passwordless, two-factor) does the same way once its message
 * is composed: the SMTP transport, the sender address, the dev mailbox used when no SMTP server is
 * configured, how an SMTP failure becomes a job error, and how an attempt is logged.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { PermanentJobError, type AttemptOutcome } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
  from: string;
}

/** Sender of a message with no SMTP `from` configured. */
export const DEFAULT_FROM_ADDRESS = 'no-reply@idstream.local';

/** SMTP connections kept open per worker process, shared by its email queues. */
export const SMTP_CONNECTIONS = 5;
/** Messages sent over one connection before it is replaced (relays cap messages per session). */
const MESSAGES_PER_CONNECTION = 100;

/**
 * The SMTP transport of the settings, or undefined when none is configured (dev mailbox). Pooled:
 * a connection per message (TCP, greeting, EHLO, TLS, AUTH, then QUIT) sent 34 messages/s to a
 * loopback smtp-server at 4 in flight, against 500–730/s over kept-open connections; a backlog (a
 * Redis outage's 2,762 forgot-password emails) took 99 s to drain. The owner closes it on stop.
 */
export function createSmtpTransport(smtp: SmtpSettings | undefined): Transporter | undefined {
  if (!smtp) return undefined;
  return nodemailer.createTransport({
    pool: true,
    maxConnections: SMTP_CONNECTIONS,
    maxMessages: MESSAGES_PER_CONNECTION,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user && { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
  });
}

export type Sender = string | { name: string; address: string };

/** The template's sender when it names one, else the configured SMTP `from`, else the default. */
export function senderOf(message: { fromEmail?: string; fromName?: string }, smtp: SmtpSettings | undefined): { address: string; from: Sender } {
  const address = message.fromEmail ?? smtp?.from ?? DEFAULT_FROM_ADDRESS;
  return { address, from: message.fromName ? { name: message.fromName, address } : address };
}

/**
 * Writes a plain-text message to `<dataDir>/mailbox/<now>-<tag>.eml`, readable by the data
 * directory's owner only, and returns the file's path.
 */
export async function writeToDevMailbox(dataDir: string, tag: string, message: { from: Sender; to: string; subject: string; text: string }): Promise<string> {
  const dir = join(dataDir, 'mailbox');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${Date.now()}-${tag}.eml`);
  const from = typeof message.from === 'string' ? message.from : `"${message.from.name.replace(/["\\\r\n]/g, '')}" <${message.from.address}>`;
  const eml = `From: ${from}\r\nTo: ${message.to}\r\nSubject: ${message.subject.replace(/[\r\n]/g, ' ')}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${message.text}`;
  await writeFile(file, eml, { mode: 0o600 });
  return file;
}

/**
 * The job error for a failed SMTP send, its message without the recipient's address (SMTP replies
 * often quote it). A 5xx reply is the server's final word (unknown mailbox, refused sender):
 * retrying cannot help, so the error is permanent.
 */
export function smtpFailure(error: unknown, recipient: string, maxLength = Infinity): Error {
  const message = (error instanceof Error ? error.message : String(error)).split(recipient).join('<recipient>').slice(0, maxLength);
  const code = (error as { responseCode?: number } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 ? new PermanentJobError(message) : new Error(message);
}

/** Logs one attempt of an email job: debug when it went through, warn otherwise. */
export function logEmailAttempt(logger: Logger, outcome: AttemptOutcome, what: string): void {
  const level = outcome.status === 'completed' ? 'debug' : 'warn';
  logger[level]({ job: outcome.context.id, attempt: outcome.context.attempt, status: outcome.status, error: outcome.error }, what);
}
