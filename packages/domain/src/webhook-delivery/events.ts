/**
 * The webhook delivery log as events: every attempt to deliver one public event to one webhook, and
 * every redelivery request, on the webhook's `webhookdelivery-<webhookId>` stream. They carry ids,
 * statuses and timings only, never the event body (personal data stays in the user's streams).
 */
import type { DomainEvent } from '../decider.js';
import { entityStream } from '../streams.js';

/** `delivered`: the endpoint answered 2xx; `retrying`: it will be tried again; `failed`: given up. */
export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed';

export interface WebhookAttemptedData {
  webhookId: string;
  /** Public event id (the id in the delivered body). */
  eventId: string;
  eventType?: string;
  /** 1 for the first try of this delivery (counting restarts after a redelivery). */
  attempt: number;
  outcome: DeliveryOutcome;
  /** HTTP status the endpoint answered, when it answered. */
  status?: number;
  latencyMs: number;
  error?: string;
  attemptedAt: number;
  nextAttemptAt?: number;
}

export interface WebhookRedeliveryRequestedData {
  webhookId: string;
  eventId: string;
  requestedAt: number;
}

export type WebhookAttempted = DomainEvent<'WebhookAttempted', WebhookAttemptedData>;
export type WebhookRedeliveryRequested = DomainEvent<'WebhookRedeliveryRequested', WebhookRedeliveryRequestedData>;
export type WebhookDeliveryEvent = WebhookAttempted | WebhookRedeliveryRequested;

export const webhookDeliveryEventTypes: ReadonlySet<string> = new Set<WebhookDeliveryEvent['type']>(['WebhookAttempted', 'WebhookRedeliveryRequested']);

export const webhookDeliveryStream = (webhookId: string): string => entityStream('webhookdelivery', webhookId);
