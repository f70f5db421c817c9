/**
 * The public event contract: how internal events appear to downstream systems, in FusionAuth's
 * webhook event shape (`{"event": {type, id, createInstant, tenantId, info, user…}}`) so that
 * existing FusionAuth receivers work unchanged. Secrets never leave: the user is the public user.
 */
import type { UserEvent } from './user/events.js';
import type { UserRecord } from './user/types.js';

export interface PublicEvent {
  type: string;
  id: string;
  createInstant: number;
  tenantId?: string;
  info?: Record<string, unknown>;
  user?: UserRecord;
  applicationId?: string;
  [key: string]: unknown;
}

export interface SourceEvent {
  id: string;
  type: string;
  data: unknown;
  recordedAt: number;
}

/**
 * FusionAuth event types an internal event produces (one internal event may map to several, e.g.
 * `user.create` and `user.create.complete`). Ids of the derived events are stable: the first keeps the
 * internal id, later ones append a suffix, so redelivery carries the same id.
 */
export function toPublicEvents(event: SourceEvent, currentUser?: UserRecord): PublicEvent[] {
  const userEvent = event as unknown as UserEvent & SourceEvent;
  switch (userEvent.type) {
    case 'UserCreated': {
      const { user, info, applicationId } = userEvent.data;
      const base = { createInstant: event.recordedAt, tenantId: user.tenantId, user, ...(info && { info: { ...info } }), ...(applicationId && { applicationId }) };
      return [
        { type: 'user.create', id: event.id, ...base },
        { type: 'user.create.complete', id: derivedId(event.id, 1), ...base },
      ];
    }
    case 'LoginSucceeded': {
      const data = userEvent.data;
      return [
        {
          type: 'user.login.success',
          id: event.id,
          createInstant: event.recordedAt,
          tenantId: data.tenantId,
          authenticationType: data.authenticationType,
          ...(data.applicationId && { applicationId: data.applicationId }),
          ...(data.info && { info: { ...data.info } }),
          ...(currentUser && { user: currentUser }),
        },
      ];
    }
    case 'LoginFailed': {
      const data = userEvent.data;
      return [
        {
          type: 'user.login.failed',
          id: event.id,
          createInstant: event.recordedAt,
          tenantId: data.tenantId,
          reason: { code: data.reason === 'password' ? 'credentials' : data.reason },
          ...(data.applicationId && { applicationId: data.applicationId }),
          ...(data.info && { info: { ...data.info } }),
          ...(currentUser && { user: currentUser }),
        },
      ];
    }
    default:
      return [];
  }
}

/** A UUID-shaped id derived from another, deterministic so retries and replays keep it. */
function derivedId(id: string, n: number): string {
  const last = id.slice(-12);
  const mixed = (BigInt(`0x${last}`) ^ BigInt(n)).toString(16).padStart(12, '0');
  return `${id.slice(0, -12)}${mixed}`;
}
