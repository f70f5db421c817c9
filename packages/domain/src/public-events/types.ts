import type { UserRecord } from '../user/types.js';

/** An event as downstream systems see it: FusionAuth's webhook event shape. */
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

/** Maps one internal event type to its public events; `currentUser` is the user view when known. */
export type PublicEventMapper = (event: SourceEvent, currentUser?: UserRecord) => PublicEvent[];
export type PublicEventMappers = Record<string, PublicEventMapper>;

/** A UUID-shaped id derived from another, deterministic so retries and replays keep it. */
export function derivedId(id: string, n: number): string {
  const last = id.slice(-12);
  const mixed = (BigInt(`0x${last}`) ^ BigInt(n)).toString(16).padStart(12, '0');
  return `${id.slice(0, -12)}${mixed}`;
}
