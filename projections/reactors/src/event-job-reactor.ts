/**
 * A reactor that turns some events into jobs, one job per event at most: each batch's jobs are
 * enqueued, then the checkpoint moves past the batch. A job's id is derived from its event's id, so a
 * replayed batch (a crash between enqueue and checkpoint) enqueues nothing twice.
 */
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobQueue, JobSpec } from '@idstream/jobs';
import type { ProjectionHandler } from '@idstream/projection-runner';
import type { ViewDatabase } from '@idstream/views';

export abstract class EventJobReactor<Payload> implements ProjectionHandler {
  abstract readonly name: string;

  constructor(
    private readonly db: ViewDatabase,
    private readonly jobs: JobQueue,
  ) {}

  /** The job an event asks for, or undefined when it asks for none. */
  protected abstract jobFor(event: RecordedEvent): JobSpec<Payload> | undefined;

  getCheckpoint(): Promise<number | undefined> {
    return this.db.getCheckpoint(this.name);
  }

  ignores(event: RecordedEvent): boolean {
    return this.jobFor(event) === undefined;
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const jobs = events.flatMap((event) => this.jobFor(event) ?? []);
    if (jobs.length > 0) await this.jobs.enqueue(jobs);
    await this.db.setCheckpoint({ name: this.name, position: last.position });
  }
}
