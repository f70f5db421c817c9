/**
 * The webhook delivery log (read) and redelivery (write): a redelivery is recorded as an event on
 * the webhook's delivery stream, then the job is put back in the queue with fresh attempts.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, webhookDeliveryStream, type WebhookRedeliveryRequested } from '@idstream/domain';
import { deliveryLogId, WEBHOOK_QUEUE, webhookJobId, type DeliveryLogBody } from '@idstream/reactors';
import type { AppContext } from './context.js';

export interface DeliveryQuery {
  webhookId?: string;
  eventId?: string;
  state?: DeliveryLogBody['state'];
  /** Deliveries whose last attempt falls in [start, end] (epoch ms). */
  start?: number;
  end?: number;
}

export async function findDeliveries(ctx: AppContext, query: DeliveryQuery): Promise<DeliveryLogBody[]> {
  const log = ctx.readModels.webhookDeliveries;
  let found: DeliveryLogBody[];
  if (query.webhookId && query.eventId) {
    found = [(await log.get(deliveryLogId(query.webhookId, query.eventId)))?.body].filter((d): d is DeliveryLogBody => Boolean(d));
  } else if (query.webhookId) {
    found = (await log.list({ tenantId: query.webhookId })).map((d) => d.body);
  } else {
    // Per event: one document per webhook that was sent the event.
    const hooks = await ctx.readModels.config.Webhook.list({ limit: 100_000 });
    found = (await log.getMany(hooks.map((h) => deliveryLogId(h.id, query.eventId!)))).map((d) => d.body);
  }
  return found
    .filter((d) => !query.state || d.state === query.state)
    .filter((d) => query.start === undefined || (d.lastAttemptInstant ?? 0) >= query.start)
    .filter((d) => query.end === undefined || (d.lastAttemptInstant ?? 0) <= query.end)
    .sort((a, b) => (a.firstAttemptInstant ?? 0) - (b.firstAttemptInstant ?? 0));
}

/** Puts one delivery back in the queue; 404 when the webhook was never sent that event. */
export async function redeliver(ctx: AppContext, webhookId: string, eventId: string): Promise<void> {
  if (!ctx.jobs) throw new Error('this process has no job queue');
  const known = await ctx.readModels.webhookDeliveries.get(deliveryLogId(webhookId, eventId));
  if (!known) throw new NotFoundError(`delivery of ${eventId} to ${webhookId}`);
  const event: WebhookRedeliveryRequested = { type: 'WebhookRedeliveryRequested', data: { webhookId, eventId, requestedAt: ctx.now() } };
  await ctx.eventStore.append(webhookDeliveryStream(webhookId), [{ id: randomUUID(), ...event }], 'any');
  if (!(await ctx.jobs.retry(WEBHOOK_QUEUE, webhookJobId(eventId, webhookId)))) throw new NotFoundError(`job of ${eventId} to ${webhookId}`);
}

/** Redelivers every failed delivery (of one webhook or all) whose last attempt is in the range. */
export async function redeliverFailed(ctx: AppContext, range: { webhookId?: string; start: number; end: number }): Promise<DeliveryLogBody[]> {
  const webhookIds = range.webhookId ? [range.webhookId] : (await ctx.readModels.config.Webhook.list({ limit: 100_000 })).map((h) => h.id);
  const failed: DeliveryLogBody[] = [];
  for (const webhookId of webhookIds) failed.push(...(await findDeliveries(ctx, { webhookId, state: 'failed', start: range.start, end: range.end })));
  for (const delivery of failed) await redeliver(ctx, delivery.webhookId, delivery.eventId);
  return failed;
}
