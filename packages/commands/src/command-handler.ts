/**
 * The one generic command handler: read → fold → decide → append, with optimistic concurrency and
 * a bounded retry. Unique values (email, username) are reserved in reservation streams written in the
 * same atomic multi-stream append as the aggregate's events, so a race can never leave two owners.
 */
import { randomUUID } from 'node:crypto';
import { fold, FieldErrors, reservationStream, normaliseUnique, type Decider, type DomainEvent, type UniqueField } from '@idstream/domain';
import { WrongExpectedRevisionError, type AppendRequest, type EventMetadata, type EventStore } from '@idstream/eventstore';
import { traceCommand } from './tracing.js';

export interface CommandOptions<State> {
  /** Values the aggregate holds unique per tenant, given its state; diffed before/after to reserve and release. */
  uniqueValues?: (state: State) => Partial<Record<UniqueField, string>>;
  tenantId?: string;
  metadata?: EventMetadata;
  /** Conflicts retried before giving up. */
  maxRetries?: number;
}

export interface CommandResult<State, Event> {
  state: State;
  events: Event[];
  /** Global position of the last appended event; 0 when the command decided nothing. */
  position: number;
  eventIds: string[];
}

export class ConcurrencyExhaustedError extends Error {
  override readonly name = 'ConcurrencyExhaustedError';
}

/** Reservation stream events: who holds the value. They carry ids only, never the value itself. */
export type ReservationEvent =
  | DomainEvent<'UniqueValueReserved', { ownerId: string; field: UniqueField }>
  | DomainEvent<'UniqueValueReleased', { ownerId: string; field: UniqueField }>;

const duplicateMessages: Record<UniqueField, (value: string) => string> = {
  email: (v) => `A User with email = [${v}] already exists.`,
  username: (v) => `A User with username = [${v}] already exists.`,
};

export async function handleCommand<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamName: string,
  ownerId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: CommandOptions<State> = {},
): Promise<CommandResult<State, Event>> {
  return traceCommand(streamName, command, () => handleCommandUntraced(store, streamName, ownerId, decider, command, options));
}

async function handleCommandUntraced<Command, Event extends DomainEvent, State>(
  store: EventStore,
  streamName: string,
  ownerId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  options: CommandOptions<State>,
): Promise<CommandResult<State, Event>> {
  const maxRetries = options.maxRetries ?? 5;
  for (let attempt = 0; ; attempt++) {
    // 1. Read the stream and fold it into state.
    const recorded = await store.readStream(streamName);
    const before = fold(decider, recorded.map((e) => ({ type: e.type, data: e.data }) as Event));
    const revision = recorded.length === 0 ? ('no_stream' as const) : recorded[recorded.length - 1]!.revision;

    // 2. Decide (pure; throws domain errors).
    const events = decider.decide(command, before);
    if (events.length === 0) return { state: before, events, position: 0, eventIds: [] };
    const after = events.reduce(decider.evolve, before);

    // 3. Work out reservations to take and release.
    const reservations = options.uniqueValues && options.tenantId
      ? await planReservations(store, options.tenantId, ownerId, options.uniqueValues(before), options.uniqueValues(after))
      : [];

    // 4. Append everything atomically.
    const eventIds = events.map(() => randomUUID());
    const main: AppendRequest = {
      streamName,
      expectedRevision: revision,
      events: events.map((e, i) => ({ id: eventIds[i]!, type: e.type, data: e.data, ...(options.metadata && { metadata: options.metadata }) })),
    };
    try {
      const result = reservations.length === 0
        ? await store.append(main.streamName, main.events, main.expectedRevision)
        : await store.appendMultiple([main, ...reservations]);
      return { state: after, events, position: result.position, eventIds };
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= maxRetries) {
        if (error instanceof WrongExpectedRevisionError) throw new ConcurrencyExhaustedError(`Too many concurrent changes to ${streamName}`);
        throw error;
      }
      // Someone else wrote first; the next round re-reads, and a lost reservation becomes a duplicate error.
    }
  }
}

async function planReservations(
  store: EventStore,
  tenantId: string,
  ownerId: string,
  before: Partial<Record<UniqueField, string>>,
  after: Partial<Record<UniqueField, string>>,
): Promise<AppendRequest[]> {
  const requests: AppendRequest[] = [];
  const duplicates = new FieldErrors();
  for (const field of ['email', 'username'] as const) {
    const oldValue = before[field] === undefined ? undefined : normaliseUnique(before[field]!);
    const newValue = after[field] === undefined ? undefined : normaliseUnique(after[field]!);
    if (oldValue === newValue) continue;
    if (newValue !== undefined) {
      const stream = reservationStream(tenantId, field, newValue);
      const { owner, revision } = await currentOwner(store, stream);
      if (owner && owner !== ownerId) {
        duplicates.add(`user.${field}`, 'duplicate', duplicateMessages[field](after[field]!));
        continue;
      }
      if (owner !== ownerId) {
        requests.push({ streamName: stream, expectedRevision: revision, events: [reservationEvent('UniqueValueReserved', ownerId, field)] });
      }
    }
    if (oldValue !== undefined) {
      const stream = reservationStream(tenantId, field, oldValue);
      const { owner, revision } = await currentOwner(store, stream);
      if (owner === ownerId) {
        requests.push({ streamName: stream, expectedRevision: revision, events: [reservationEvent('UniqueValueReleased', ownerId, field)] });
      }
    }
  }
  duplicates.throwIfAny();
  return requests;
}

async function currentOwner(store: EventStore, stream: string): Promise<{ owner?: string; revision: number | 'no_stream' }> {
  const events = await store.readStream(stream);
  const last = events[events.length - 1];
  if (!last) return { revision: 'no_stream' };
  const data = last.data as ReservationEvent['data'];
  return { revision: last.revision, ...(last.type === 'UniqueValueReserved' && { owner: data.ownerId }) };
}

function reservationEvent(type: ReservationEvent['type'], ownerId: string, field: UniqueField) {
  return { id: randomUUID(), type, data: { ownerId, field } };
}
