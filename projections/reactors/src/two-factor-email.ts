/**
 * Turns `TwoFactorCodeSent` events of the email method into jobs on the `two-factor-email` queue. The
 * job id is derived from the event id (a replay enqueues nothing twice); the job names where the
 * event is, never the code, which stays sealed in the event until the worker opens it.
 */
import type { TwoFactorCodeSent } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobQueue, JobSpec } from '@idstream/jobs';
import type { ProjectionHandler } from '@idstream/projection-runner';
import type { ViewDatabase } from '@idstream/views';

export const TWO_FACTOR_EMAIL_QUEUE = 'two-factor-email';

export interface TwoFactorEmailJob {
  streamName: string;
  /** Revision of the `TwoFactorCodeSent` event holding the sealed code. */
  revision: number;
  userId: string;
  tenantId: string;
}

export class TwoFactorEmailReactor implements ProjectionHandler {
  readonly name = 'two-factor-email-reactor';

  constructor(
    private readonly db: ViewDatabase,
    private readonly jobs: JobQueue,
  ) {}

  getCheckpoint(): Promise<number | undefined> {
    return this.db.getCheckpoint(this.name);
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const jobs: JobSpec<TwoFactorEmailJob>[] = [];
    for (const event of events) {
      if (event.type !== 'TwoFactorCodeSent') continue;
      const data = event.data as TwoFactorCodeSent['data'];
      // SMS codes would need an SMS messenger, which Idstream does not have.
      if (!data.email) continue;
      jobs.push({
        id: `two-factor-email.${event.id}`,
        queue: TWO_FACTOR_EMAIL_QUEUE,
        lane: `two-factor-email:${data.userId}`,
        payload: { streamName: event.streamName, revision: event.revision, userId: data.userId, tenantId: data.tenantId },
        maxAttempts: 6,
        // A pending two-factor login lives minutes: a code arriving later is useless.
        maxAgeMs: 10 * 60_000,
        backoff: { initialDelayMs: 500, maxDelayMs: 30_000, jitter: 0.2 },
      });
    }
    if (jobs.length > 0) await this.jobs.enqueue(jobs);
    await this.db.setCheckpoint({ name: this.name, position: last.position });
  }
}
