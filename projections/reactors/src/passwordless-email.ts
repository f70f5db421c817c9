/**
 * Turns `PasswordlessCodeSent` events into email jobs. The job id is derived from the event id, so a
 * replayed event enqueues nothing twice; the job carries only where the events are, never the code.
 */
import type { PasswordlessCodeSent } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobQueue, JobSpec } from '@idstream/jobs';
import type { ProjectionHandler } from '@idstream/projection-runner';
import type { ViewDatabase } from '@idstream/views';

export const PASSWORDLESS_EMAIL_QUEUE = 'passwordless-email';

export interface PasswordlessEmailJob {
  streamName: string;
  /** Revision of the `PasswordlessCodeIssued` event holding the sealed code. */
  issuedRevision: number;
  userId: string;
  applicationId: string;
}

export class PasswordlessEmailReactor implements ProjectionHandler {
  readonly name = 'passwordless-email-reactor';

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
    const jobs: JobSpec<PasswordlessEmailJob>[] = events
      .filter((event) => event.type === 'PasswordlessCodeSent')
      .map((event) => {
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
      });
    if (jobs.length > 0) await this.jobs.enqueue(jobs);
    await this.db.setCheckpoint({ name: this.name, position: last.position });
  }
}
