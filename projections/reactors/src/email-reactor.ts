/**
 * Turns events that ask for an email (verification, setup password, forgot password) into jobs on the
 * `emails` queue, one per event (job id = event id, so a replay enqueues nothing twice), in a lane
 * per user. The job names the event, never its content: the worker reads the event and opens the
 * sealed id, and a hard-deleted user's emails die with its stream.
 */
import type { ChangePasswordStarted, EmailVerificationStarted } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobSpec } from '@idstream/jobs';
import { EventJobReactor } from './event-job-reactor.js';

export const EMAIL_QUEUE = 'emails';
/** SecretBox purpose of ids and codes sealed into events for the email worker. */
export const EMAILED_SECRET_PURPOSE = 'emailed-secret';

export type EmailKind = 'verification' | 'setup-password' | 'forgot-password';

export interface EmailJob {
  kind: EmailKind;
  userId: string;
  tenantId: string;
  streamName: string;
  revision: number;
}

/** Which email an event asks for, if any. */
export function emailKindOf(event: { type: string; data: unknown }): EmailKind | undefined {
  if (event.type === 'EmailVerificationStarted') return (event.data as EmailVerificationStarted['data']).sendEmail ? 'verification' : undefined;
  if (event.type === 'ChangePasswordStarted') {
    const data = event.data as ChangePasswordStarted['data'];
    if (!data.sendEmail) return undefined;
    return data.reason === 'setup' ? 'setup-password' : 'forgot-password';
  }
  return undefined;
}

export class EmailReactor extends EventJobReactor<EmailJob> {
  readonly name = 'email-reactor';

  protected jobFor(event: RecordedEvent): JobSpec<EmailJob> | undefined {
    const kind = emailKindOf(event);
    if (!kind) return undefined;
    const { userId, tenantId } = event.data as { userId: string; tenantId: string };
    return {
      // `.`, not `:`: BullMQ refuses `:` in custom job ids (every email enqueue failed on Redis).
      id: `email.${event.id}`,
      queue: EMAIL_QUEUE,
      lane: `email:${userId}`,
      payload: { kind, userId, tenantId, streamName: event.streamName, revision: event.revision },
      maxAttempts: 10,
      maxAgeMs: 24 * 3_600_000,
      backoff: { initialDelayMs: 1_000, maxDelayMs: 10 * 60_000, jitter: 0.2 },
    };
  }
}
