/**
 * Downstream systems read the public events from the log: in log order, from a cursor, filtered by
 * type and tenant. One internal event may map to several public ones, so a cursor is
 * `<position>.<index>` (the index-th public event of the event at that log position); a bare
 * `<position>` means everything up to and including that position was seen.
 */
import { subjectUserId, toPublicEvents, type PublicEvent, type UserRecord } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { AppContext } from './context.js';

export interface Cursor {
  position: number;
  /** Last index seen at `position`; undefined when the whole position was seen. */
  index?: number;
}

export interface SubscriptionFilter {
  types?: ReadonlySet<string>;
  tenantId?: string;
}

export interface PositionedEvent {
  cursor: string;
  event: PublicEvent;
}

export function parseCursor(value: string): Cursor | undefined {
  const match = /^(\d{1,15})(?:\.(\d{1,4}))?$/.exec(value.trim());
  if (!match) return undefined;
  return { position: Number(match[1]), ...(match[2] !== undefined && { index: Number(match[2]) }) };
}

export const formatCursor = (position: number, index: number): string => `${position}.${index}`;

/** The `after` option of the store that includes a partly seen position. */
export const storeAfter = (cursor: Cursor | undefined): number | undefined =>
  cursor === undefined ? undefined : cursor.index === undefined ? cursor.position : cursor.position - 1;

/** Maps one recorded event to the public events a subscriber with this cursor and filter gets. */
export async function publicEventsOf(
  event: RecordedEvent,
  cursor: Cursor | undefined,
  filter: SubscriptionFilter,
  userOf: (userId: string) => Promise<UserRecord | undefined>,
): Promise<PositionedEvent[]> {
  const userId = subjectUserId(event.streamName);
  const publics = toPublicEvents(event, userId && event.type.startsWith('Login') ? await userOf(userId) : undefined);
  const result: PositionedEvent[] = [];
  publics.forEach((pub, index) => {
    if (cursor && event.position === cursor.position && (cursor.index === undefined || index <= cursor.index)) return;
    if (filter.types && !filter.types.has(pub.type)) return;
    if (filter.tenantId && pub.tenantId !== filter.tenantId) return;
    result.push({ cursor: formatCursor(event.position, index), event: pub });
  });
  return result;
}

export function userLookup(ctx: AppContext): (userId: string) => Promise<UserRecord | undefined> {
  return async (userId) => (await ctx.readModels.users.get(userId))?.body.user;
}

export interface EventPage {
  events: PositionedEvent[];
  /** Pass as `after` for the next page: past everything this page read, matching or not. */
  nextCursor: string;
  /** False when the page reached the end of the log. */
  hasMore: boolean;
}

const SCAN_BATCH = 500;
/** A filter that matches little must not make one request read the whole log. */
const MAX_SCANNED = 20_000;

export async function readEventPage(ctx: AppContext, cursor: Cursor | undefined, filter: SubscriptionFilter, limit: number): Promise<EventPage> {
  const events: PositionedEvent[] = [];
  const userOf = userLookup(ctx);
  let after = storeAfter(cursor);
  let next = cursor ? (cursor.index === undefined ? `${cursor.position}` : formatCursor(cursor.position, cursor.index)) : '0';
  let scanned = 0;
  for (;;) {
    const batch = await ctx.eventStore.readAll({ ...(after !== undefined && { after }), maxCount: SCAN_BATCH });
    for (const recorded of batch) {
      const mapped = await publicEventsOf(recorded, cursor, filter, userOf);
      for (const item of mapped) {
        if (events.length === limit) return { events, nextCursor: next, hasMore: true };
        events.push(item);
        next = item.cursor;
      }
      // Every public event of this position was taken (or filtered out).
      next = `${recorded.position}`;
      after = recorded.position;
    }
    scanned += batch.length;
    if (batch.length < SCAN_BATCH) return { events, nextCursor: next, hasMore: false };
    if (scanned >= MAX_SCANNED) return { events, nextCursor: next, hasMore: true };
  }
}
