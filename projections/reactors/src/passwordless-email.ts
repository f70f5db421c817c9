/**
 * Turns `PasswordlessCodeSent` events into email jobs. The job id is derived from the event id, so a
 * replayed event enqueues nothing twice; the job carries only where the events are, never the code.
 */
import type { PasswordlessCodeSent } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobSpec } from '@idstream/jobs';
import { EventJobReactor } from './event-job-reactor.js';

export const PASSWORDLESS_EMAIL_QUEUE = 'passwordless-email';

export interface PasswordlessEmailJob {
  streamName: string;
  /** Revision of the `PasswordlessCodeIssued` event holding the sealed code. */
  issuedRevision: number;
  userId: string;
  applicationId: string;
}

export class PasswordlessEmailReactor extends EventJobReactor<PasswordlessEmailJob> {
  readonly name = 'passwordless-email-reactor';

  protected jobFor(event: RecordedEvent): JobSpec<PasswordlessEmailJob> | undefined {
    if (event.type !== 'PasswordlessCodeSent') return undefined;
    const data = event.data as PasswordlessCodeSent['data'];
    return {
      id: `passwordless-email.${event.id}`,
      queue: PASSWORDLESS_EMAIL_QUEUE,
      payload: { streamName: event.streamName, issuedRevision: data.issuedRevision, userId: data.userId, applicationId: data.applicationId },
      maxAttempts: 6,
      // A code lives minutes; an email arriving after that is useless.
      maxAgeMs: 15 * 60_000,
      backoff: { initialDelayMs: 500, maxDelayMs: 60_000, jitter: 0.2 },
    };
  }
}
