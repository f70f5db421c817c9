/**
 * Turns `TwoFactorCodeSent` events of the email method into jobs on the `two-factor-email` queue. The
 * job id is derived from the event id (a replay enqueues nothing twice); the job names where the
 * event is, never the code, which stays sealed in the event until the worker opens it.
 */
import type { TwoFactorCodeSent } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobSpec } from '@idstream/jobs';
import { EventJobReactor } from './event-job-reactor.js';

export const TWO_FACTOR_EMAIL_QUEUE = 'two-factor-email';

export interface TwoFactorEmailJob {
  streamName: string;
  /** Revision of the `TwoFactorCodeSent` event holding the sealed code. */
  revision: number;
  userId: string;
  tenantId: string;
}

export class TwoFactorEmailReactor extends EventJobReactor<TwoFactorEmailJob> {
  readonly name = 'two-factor-email-reactor';

  protected jobFor(event: RecordedEvent): JobSpec<TwoFactorEmailJob> | undefined {
    if (event.type !== 'TwoFactorCodeSent') return undefined;
    const data = event.data as TwoFactorCodeSent['data'];
    // SMS codes would need an SMS messenger, which Idstream does not have.
    if (!data.email) return undefined;
    return {
      id: `two-factor-email.${event.id}`,
      queue: TWO_FACTOR_EMAIL_QUEUE,
      lane: `two-factor-email:${data.userId}`,
      payload: { streamName: event.streamName, revision: event.revision, userId: data.userId, tenantId: data.tenantId },
      maxAttempts: 6,
      // A pending two-factor login lives minutes: a code arriving later is useless.
      maxAgeMs: 10 * 60_000,
      backoff: { initialDelayMs: 500, maxDelayMs: 30_000, jitter: 0.2 },
    };
  }
}
