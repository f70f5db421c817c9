/**
 * Turns events into webhook delivery jobs. One job per (public event, webhook), its id derived from
 * both, so replaying the log enqueues nothing twice. Jobs of one user for one webhook share a lane:
 * the worker delivers them in log order. The job carries references, not the event body: personal data
 * stays in the event store (and disappears with a hard delete).
 */
import { mayBePublic, subjectUserId, toPublicEvents, type ConfigDocument } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobQueue, JobSpec } from '@idstream/jobs';
import type { PositionWaiter, ProjectionHandler } from '@idstream/projection-runner';
import type { ViewCollection, ViewDatabase } from '@idstream/views';

export const WEBHOOK_QUEUE = 'webhooks';

export interface WebhookJob {
  webhookId: string;
  /** Public (FusionAuth) event type and id. */
  eventType: string;
  eventId: string;
  /** Where the source event lives. */
  streamName: string;
  revision: number;
  position: number;
}

export interface WebhookDocument extends ConfigDocument {
  url: string;
  global?: boolean;
  tenantIds?: string[];
  eventsEnabled?: Record<string, boolean>;
  /** Idstream extension: this webhook's retry limits and backoff (the service defaults fill the gaps). */
  deliveryPolicy?: Partial<DeliveryPolicy>;
}

/**
 * The user an event is about: the user of a `user-`/`login-` stream, else the `userId` the event names
 * (refresh tokens, identity provider links). Webhook lanes and the body's current user follow it, so
 * one user's events reach an endpoint in log order whichever stream they were written to.
 */
export function eventSubjectUserId(event: { streamName: string; data: unknown }): string | undefined {
  const fromStream = subjectUserId(event.streamName);
  if (fromStream) return fromStream;
  const userId = (event.data as { userId?: unknown } | null)?.userId;
  return typeof userId === 'string' ? userId : undefined;
}

/**
 * Job ids are `<public event id>.<webhook id>`: one job per pair, whatever replays the log. (Not `:`,
 * which BullMQ refuses in custom job ids.)
 */
export const webhookJobId = (eventId: string, webhookId: string): string => `${eventId}.${webhookId}`;

export function parseWebhookJobId(jobId: string): { eventId: string; webhookId: string } | undefined {
  const [eventId, webhookId, rest] = jobId.split('.');
  return eventId && webhookId && rest === undefined ? { eventId, webhookId } : undefined;
}

export interface DeliveryPolicy {
  maxAttempts: number;
  maxAgeMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  maxAttempts: 20,
  maxAgeMs: 3 * 24 * 3_600_000,
  initialDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
};

export class WebhookReactor implements ProjectionHandler {
  readonly name = 'webhook-reactor';

  constructor(
    private readonly db: ViewDatabase,
    private readonly webhooks: ViewCollection<ConfigDocument>,
    private readonly tenants: ViewCollection<ConfigDocument>,
    private readonly jobs: JobQueue,
    /** Webhook and tenant configuration must be as new as the events being routed. */
    private readonly configReached: PositionWaiter,
    private readonly policy: DeliveryPolicy = defaultDeliveryPolicy,
  ) {}

  getCheckpoint(): Promise<number | undefined> {
    return this.db.getCheckpoint(this.name);
  }

  ignores(event: RecordedEvent): boolean {
    return !mayBePublic(event.type);
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const routed = events.map((event) => ({ event, publics: toPublicEvents(event) })).filter((r) => r.publics.length > 0);
    if (routed.length > 0) {
      await this.configReached.waitFor(last.position, 60_000);
      const hooks = (await this.webhooks.list({ limit: 100_000 })).map((d) => d.body as WebhookDocument);
      const jobs: JobSpec<WebhookJob>[] = [];
      const tenantCache = new Map<string, ConfigDocument | undefined>();
      for (const { event, publics } of routed) {
        for (const pub of publics) {
          const tenantId = pub.tenantId;
          // The webhooks that want this event, first: with none (every login when no webhook takes
          // user.login.success) the tenant is not read at all.
          const targets = hooks.filter((hook) => hook.eventsEnabled?.[pub.type] && (hook.global || (tenantId && hook.tenantIds?.includes(tenantId))));
          if (targets.length === 0) continue;
          if (tenantId && !(await this.tenantEnables(tenantId, pub.type, tenantCache))) continue;
          // A transactional event was already sent, synchronously, before it was appended.
          if (tenantId && transactionTypeOf(tenantCache.get(tenantId), pub.type) !== 'None') continue;
          for (const hook of targets) {
            const policy = { ...this.policy, ...validPolicy(hook.deliveryPolicy) };
            jobs.push({
              id: webhookJobId(pub.id, hook.id),
              queue: WEBHOOK_QUEUE,
              lane: `${hook.id}:${eventSubjectUserId(event) ?? event.streamName}`,
              payload: { webhookId: hook.id, eventType: pub.type, eventId: pub.id, streamName: event.streamName, revision: event.revision, position: event.position },
              maxAttempts: policy.maxAttempts,
              maxAgeMs: policy.maxAgeMs,
              backoff: { initialDelayMs: policy.initialDelayMs, maxDelayMs: policy.maxDelayMs, jitter: 0.2 },
            });
          }
        }
      }
      if (jobs.length > 0) await this.jobs.enqueue(jobs);
    }
    await this.db.setCheckpoint({ name: this.name, position: last.position });
  }

  /**
   * FusionAuth sends an event only when the tenant enables it. Idstream treats an event the tenant
   * does not mention as enabled, so a webhook configured alone works; `enabled: false` turns it off.
   */
  private async tenantEnables(tenantId: string, type: string, cache: Map<string, ConfigDocument | undefined>): Promise<boolean> {
    if (!cache.has(tenantId)) cache.set(tenantId, (await this.tenants.get(tenantId))?.body);
    const events = (cache.get(tenantId)?.eventConfiguration as { events?: Record<string, { enabled?: boolean }> } | undefined)?.events;
    return events?.[type]?.enabled !== false;
  }
}

export type TransactionType = 'None' | 'Any' | 'SimpleMajority' | 'SuperMajority' | 'AllMustSucceed';
const transactionTypes: readonly string[] = ['None', 'Any', 'SimpleMajority', 'SuperMajority', 'AllMustSucceed'];

/** The tenant's transaction level for an event type (FusionAuth's `eventConfiguration.events[type].transactionType`). */
export function transactionTypeOf(tenant: ConfigDocument | undefined, type: string): TransactionType {
  // `*.complete` events report what already happened: they can never hold an operation back.
  if (type.endsWith('.complete')) return 'None';
  const events = (tenant?.eventConfiguration as { events?: Record<string, { transactionType?: unknown }> } | undefined)?.events;
  const value = events?.[type]?.transactionType;
  return typeof value === 'string' && transactionTypes.includes(value) ? (value as TransactionType) : 'None';
}

/** Keeps only well-formed policy fields (the Webhook API validates them; old documents may not be). */
function validPolicy(policy: Partial<DeliveryPolicy> | undefined): Partial<DeliveryPolicy> {
  if (!policy || typeof policy !== 'object') return {};
  return Object.fromEntries(
    Object.entries(policy).filter(([key, value]) => key in defaultDeliveryPolicy && typeof value === 'number' && Number.isInteger(value) && value > 0),
  );
}
