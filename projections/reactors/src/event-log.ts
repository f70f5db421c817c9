/**
 * FusionAuth's Event Log as a view: one document per `EventLogCreated`, identified by the event's
 * global log position. That number is the entry's `id` (FusionAuth's event log ids are numbers) and
 * orders the entries by time; the document id is it zero-padded, so listing by id is listing in order.
 */
import type { EventLogCreated, EventLogType } from '@idstream/domain';
import type { DocumentProjection } from '@idstream/projection-runner';

export const EVENT_LOG_COLLECTION = 'event_log';
export const EVENT_LOG_CHECKPOINT = 'event-log';

export interface EventLogBody {
  id: number;
  insertInstant: number;
  message: string;
  type: EventLogType;
  identityProviderId?: string;
  [key: string]: unknown;
}

export const eventLogDocumentId = (id: number): string => String(id).padStart(15, '0');

export const eventLogProjection: DocumentProjection<EventLogBody> = {
  documentId(event) {
    return event.type === 'EventLogCreated' ? eventLogDocumentId(event.position) : undefined;
  },
  evolve(_document, event) {
    const data = event.data as EventLogCreated['data'];
    return {
      id: eventLogDocumentId(event.position),
      tenantId: '',
      position: event.position,
      deleted: false,
      keys: [],
      body: { id: event.position, insertInstant: data.instant, message: data.message, type: data.type, ...(data.identityProviderId && { identityProviderId: data.identityProviderId }) },
    };
  },
};
