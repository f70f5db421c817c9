/**
 * The webhook delivery log: one document per (webhook, public event), folded from the
 * `WebhookAttempted` and `WebhookRedeliveryRequested` events of the webhook's delivery stream.
 * Documents are grouped by webhook in the view's tenant slot, so "the deliveries of a webhook" is an
 * indexed list; "the deliveries of an event" is a `getMany` over the webhooks' ids.
 */
import type { DeliveryOutcome, WebhookAttemptedData, WebhookRedeliveryRequestedData } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { DocumentProjection } from '@idstream/projection-runner';
import type { ViewDocument } from '@idstream/views';

export const DELIVERY_LOG_COLLECTION = 'webhook_deliveries';
export const DELIVERY_LOG_CHECKPOINT = 'webhook-delivery-log';
/** Older attempts drop off a document's list (the events keep them all). */
const MAX_ATTEMPTS_KEPT = 100;

/** One attempt as its `WebhookAttempted` event recorded it (the document names the webhook and event once). */
export type DeliveryAttempt = Omit<WebhookAttemptedData, 'webhookId' | 'eventId' | 'eventType'>;

export interface DeliveryLogBody {
  webhookId: string;
  eventId: string;
  eventType?: string;
  /** `pending`: redelivery requested and not yet tried. */
  state: DeliveryOutcome | 'pending';
  attempts: DeliveryAttempt[];
  attemptCount: number;
  firstAttemptInstant?: number;
  lastAttemptInstant?: number;
  redeliveryCount: number;
  [key: string]: unknown;
}

export const deliveryLogId = (webhookId: string, eventId: string): string => `${eventId}:${webhookId}`;

export const deliveryLogProjection: DocumentProjection<DeliveryLogBody> = {
  documentId(event) {
    if (event.type !== 'WebhookAttempted' && event.type !== 'WebhookRedeliveryRequested') return undefined;
    const data = event.data as { webhookId: string; eventId: string };
    return deliveryLogId(data.webhookId, data.eventId);
  },
  evolve(document, event: RecordedEvent): ViewDocument<DeliveryLogBody> {
    const data = event.data as WebhookAttemptedData | WebhookRedeliveryRequestedData;
    const body: DeliveryLogBody = document?.body ?? {
      webhookId: data.webhookId,
      eventId: data.eventId,
      state: 'pending',
      attempts: [],
      attemptCount: 0,
      redeliveryCount: 0,
    };
    let next: DeliveryLogBody;
    if (event.type === 'WebhookRedeliveryRequested') {
      next = { ...body, state: 'pending', redeliveryCount: body.redeliveryCount + 1 };
    } else {
      const attempted = data as WebhookAttemptedData;
      const attempt: DeliveryAttempt = {
        attempt: attempted.attempt,
        outcome: attempted.outcome,
        ...(attempted.status !== undefined && { status: attempted.status }),
        latencyMs: attempted.latencyMs,
        ...(attempted.error && { error: attempted.error }),
        attemptedAt: attempted.attemptedAt,
        ...(attempted.nextAttemptAt && { nextAttemptAt: attempted.nextAttemptAt }),
      };
      next = {
        ...body,
        ...(attempted.eventType && { eventType: attempted.eventType }),
        state: attempted.outcome,
        attempts: [...body.attempts, attempt].slice(-MAX_ATTEMPTS_KEPT),
        attemptCount: body.attemptCount + 1,
        firstAttemptInstant: body.firstAttemptInstant ?? attempted.attemptedAt,
        lastAttemptInstant: attempted.attemptedAt,
      };
    }
    return { id: deliveryLogId(data.webhookId, data.eventId), tenantId: data.webhookId, position: event.position, deleted: false, keys: [], body: next };
  },
};
