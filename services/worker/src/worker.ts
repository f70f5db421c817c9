/**
 * The worker: consumes the job queue (webhooks). Embedded mode runs it inside the API process;
 * production runs as many as needed. Every webhook attempt is recorded as a `WebhookAttempted`
 * event on the webhook's delivery stream: the delivery log is projected from those.
 */
import { randomUUID } from 'node:crypto';
import { webhookDeliveryStream, type DeliveryOutcome, type WebhookAttempted } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import { DeferJobError, type AttemptOutcome, type JobQueue, type Worker } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { Transporter } from 'nodemailer';
import type { ReadModels } from '@idstream/projector';
import { parseWebhookJobId, WEBHOOK_QUEUE, type WebhookJob } from '@idstream/reactors';
import { createWebhookSender, type WebhookSignature } from './webhook-sender.js';
import { startPasswordlessEmailWorker, type PasswordlessEmailSettings } from './passwordless-email.js';
import { startEmailWorker, type EmailWorkerOptions } from './email-worker.js';
import { startTwoFactorEmailWorker } from './two-factor-email.js';

export interface WorkerDependencies {
  eventStore: EventStore;
  jobs: JobQueue;
  readModels: ReadModels;
  signer: WebhookSignature;
  reveal(secret: string): string;
  logger: Logger;
  /** The pooled SMTP connections every email queue sends through (none: the dev mailbox); closed by `stop`. */
  smtpTransport?: Transporter;
  /** Sends passwordless emails when given. */
  passwordlessEmail?: PasswordlessEmailSettings;
  /** Sends the Users emails (verification, setup and forgot password) when given. */
  userEmail?: EmailWorkerOptions;
  /** Deliveries in flight at once. They wait on the network, so many are cheap; a hanging endpoint holds at most its own lanes. */
  concurrency?: number;
}

/** What the handler learnt about a try, kept until the queue reports the try's outcome. */
interface TryDetails {
  eventType?: string;
  status?: number;
  latencyMs: number;
}

const outcomes: Record<AttemptOutcome['status'], DeliveryOutcome> = { completed: 'delivered', retrying: 'retrying', dead: 'failed' };

export class WorkerService {
  private workers: Worker[] = [];

  constructor(private readonly deps: WorkerDependencies) {}

  start(): void {
    this.startPasswordlessEmail();
    if (this.deps.userEmail) this.workers.push(startEmailWorker(this.deps, this.deps.userEmail));
    if (this.deps.userEmail) this.workers.push(startTwoFactorEmailWorker(this.deps, this.deps.userEmail));
    const { readModels, logger } = this.deps;
    const deliver = createWebhookSender({
      eventStore: this.deps.eventStore,
      webhooks: () => readModels.config.Webhook,
      users: () => readModels.users,
      signer: this.deps.signer,
      reveal: this.deps.reveal,
    });
    const tries = new Map<string, TryDetails>();
    this.workers.push(
      this.deps.jobs.work<WebhookJob>(
        WEBHOOK_QUEUE,
        async (job, context) => {
          const started = performance.now();
          try {
            const result = await deliver(job, context);
            tries.set(context.id, { eventType: result.eventType, status: result.status, latencyMs: result.latencyMs });
          } catch (error) {
            // A deferral (open circuit) is not a try: nothing to record.
            if (error instanceof DeferJobError) throw error;
            const details = error as { status?: number; latencyMs?: number };
            tries.set(context.id, {
              eventType: job.eventType,
              ...(details.status !== undefined && { status: details.status }),
              latencyMs: details.latencyMs ?? Math.round(performance.now() - started),
            });
            throw error;
          }
        },
        {
          concurrency: this.deps.concurrency ?? 32,
          onAttempt: async (outcome) => {
            const details = tries.get(outcome.context.id);
            tries.delete(outcome.context.id);
            const level = outcome.status === 'completed' ? 'debug' : 'warn';
            logger[level]({ job: outcome.context.id, attempt: outcome.context.attempt, status: outcome.status, error: outcome.error, ms: Math.round(outcome.durationMs) }, 'webhook attempt');
            await this.record(outcome, details);
          },
        },
      ),
    );
  }

  /** Passwordless emails: their own queue and consumer. */
  private startPasswordlessEmail(): void {
    const settings = this.deps.passwordlessEmail;
    if (!settings) return;
    this.workers.push(startPasswordlessEmailWorker({ ...this.deps, settings }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
    this.workers = [];
    // After the workers: a send in flight finishes on its connection before the pool closes.
    this.deps.smtpTransport?.close();
  }

  /** Appends the attempt to the webhook's delivery stream (no read: attempts never conflict). */
  private async record(outcome: AttemptOutcome, details: TryDetails | undefined): Promise<void> {
    const ids = parseWebhookJobId(outcome.context.id);
    if (!ids) return;
    const event: WebhookAttempted = {
      type: 'WebhookAttempted',
      data: {
        webhookId: ids.webhookId,
        eventId: ids.eventId,
        ...(details?.eventType && { eventType: details.eventType }),
        attempt: outcome.context.attempt,
        outcome: outcomes[outcome.status],
        ...(details?.status !== undefined && { status: details.status }),
        latencyMs: Math.round(details?.latencyMs ?? outcome.durationMs),
        ...(outcome.error && { error: outcome.error.slice(0, 500) }),
        // When the attempt began: with its latency and the next try's time it shows the delay the policy chose.
        attemptedAt: outcome.startedAt,
        ...(outcome.nextAttemptAt && { nextAttemptAt: outcome.nextAttemptAt }),
      },
    };
    try {
      await this.deps.eventStore.append(webhookDeliveryStream(ids.webhookId), [{ id: randomUUID(), ...event }], 'any');
    } catch (error) {
      this.deps.logger.error({ err: error, job: outcome.context.id }, 'could not record a webhook attempt');
    }
  }
}
