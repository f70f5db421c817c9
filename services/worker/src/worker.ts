/**
 * The worker: consumes the job queue (webhooks). Embedded mode runs it inside the API process;
 * production runs as many as needed.
 */
import type { EventStore } from '@idstream/eventstore';
import type { JobQueue, Worker } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { ReadModels } from '@idstream/projector';
import { WEBHOOK_QUEUE, type WebhookJob } from '@idstream/reactors';
import { createWebhookSender, type WebhookSignature } from './webhook-sender.js';

export interface WorkerDependencies {
  eventStore: EventStore;
  jobs: JobQueue;
  readModels: ReadModels;
  signer: WebhookSignature;
  reveal(secret: string): string;
  logger: Logger;
  concurrency?: number;
}

export class WorkerService {
  private workers: Worker[] = [];

  constructor(private readonly deps: WorkerDependencies) {}

  start(): void {
    const { readModels, logger } = this.deps;
    const deliver = createWebhookSender({
      eventStore: this.deps.eventStore,
      webhooks: () => readModels.config.Webhook,
      users: () => readModels.users,
      signer: this.deps.signer,
      reveal: this.deps.reveal,
    });
    this.workers.push(
      this.deps.jobs.work<WebhookJob>(
        WEBHOOK_QUEUE,
        async (job, context) => {
          await deliver(job, context);
        },
        {
          concurrency: this.deps.concurrency ?? 8,
          onAttempt: (outcome) => {
            const level = outcome.status === 'completed' ? 'debug' : 'warn';
            logger[level]({ job: outcome.context.id, attempt: outcome.context.attempt, status: outcome.status, error: outcome.error, ms: Math.round(outcome.durationMs) }, 'webhook attempt');
          },
        },
      ),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers = [];
  }
}
