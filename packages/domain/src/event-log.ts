import type { DomainEvent } from './decider.js';
import { entityStream } from './streams.js';

/** FusionAuth's Event Log entry types. */
export type EventLogType = 'Information' | 'Debug' | 'Error';

/**
 * An entry of FusionAuth's Event Log (for example the trace of an identity provider in `debug`).
 * Entries describe what happened, never secrets or claim values.
 */
export type EventLogCreated = DomainEvent<'EventLogCreated', { type: EventLogType; message: string; instant: number; identityProviderId?: string }>;

/** Entries about one source (an identity provider) share a stream; appends never read it. */
export const eventLogStream = (sourceId: string): string => entityStream('eventlog', sourceId);
