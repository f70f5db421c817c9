/**
 * Subscriptions for downstream systems: every public event in log order, from a cursor.
 * - `GET /api/event-stream`: Server-Sent Events, catch-up then live; each message's `id` is its
 *   cursor, so a reconnecting EventSource resumes with `Last-Event-ID` with no gap and no duplicate.
 * - `GET /api/events?after=&limit=`: the same events in pages, for clients that poll.
 * Both take `type` (repeatable or comma-separated) and `tenantId` filters; a tenant-locked API key
 * (or `X-FusionAuth-TenantId`) sees its tenant's events only.
 */
import { Router, type Request } from 'express';
import { FieldErrors } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { parseCursor, publicEventsOf, readEventPage, storeAfter, userLookup, type Cursor, type SubscriptionFilter } from '../../application/event-subscription.js';
import { requireApiKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { isUuid } from '../input.js';

const HEARTBEAT_MS = 15_000;

export function eventStreamRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/api/events', requireApiKey('/api/events'), async (req, res) => {
    const errors = new FieldErrors();
    const filter = readFilter(req, errors);
    const cursor = readCursor(req.query.after, 'after', errors);
    const rawLimit = single(req.query.limit);
    let limit = 100;
    if (rawLimit !== undefined) {
      if (!/^\d{1,4}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > 1000) errors.add('limit', 'invalid', '[limit] must be a whole number in 1..1000.');
      else limit = Number(rawLimit);
    }
    errors.throwIfAny();
    const page = await readEventPage(ctx, cursor, filter, limit);
    res.json({ events: page.events.map((e) => ({ id: e.cursor, event: e.event })), nextCursor: page.nextCursor, hasMore: page.hasMore });
  });

  router.get('/api/event-stream', requireApiKey('/api/event-stream'), async (req, res) => {
    const errors = new FieldErrors();
    const filter = readFilter(req, errors);
    // Last-Event-ID (a reconnecting EventSource) wins over `after` (the first connection).
    const lastEventId = req.get('last-event-id');
    const cursor = lastEventId !== undefined && lastEventId !== '' ? readCursor(lastEventId, 'Last-Event-ID', errors) : readCursor(req.query.after, 'after', errors);
    errors.throwIfAny();

    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 1000\n\n');
    const userOf = userLookup(ctx);
    let closed = false;
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const subscription = ctx.eventStore.subscribeToAll({
      ...(storeAfter(cursor) !== undefined && { after: storeAfter(cursor)! }),
      onEvent: async (recorded) => {
        if (closed) return;
        for (const { cursor: id, event } of await publicEventsOf(recorded, cursor, filter, userOf)) {
          if (closed) return;
          // Back-pressure: a slow reader holds the subscription, not the server's memory.
          if (!res.write(`id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify({ event })}\n\n`)) {
            if (closed) return;
            await new Promise<void>((resolve) => {
              res.once('drain', resolve);
              res.once('close', resolve);
            });
          }
        }
      },
      onError: (error) => {
        req.log.error({ err: error }, 'event stream failed');
        res.end();
      },
    });
    // The response's close is the client going away. The request's close also fires once a request
    // body has been read, after which a dropped client was never noticed: the next event waited for a
    // drain that never came, and the service could not stop.
    res.on('close', () => {
      closed = true;
      clearInterval(heartbeat);
      void subscription.close();
    });
  });
  return router;
}

function single(value: unknown): string | undefined {
  if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

function readCursor(value: unknown, field: string, errors: FieldErrors): Cursor | undefined {
  const text = single(value);
  if (text === undefined || text === '') return undefined;
  const cursor = parseCursor(text);
  if (!cursor) errors.add(field, 'invalid', `[${field}] must be an event id from this API (<position> or <position>.<index>).`);
  return cursor;
}

function readFilter(req: Request, errors: FieldErrors): SubscriptionFilter {
  const filter: SubscriptionFilter = {};
  const rawTypes = ([] as unknown[]).concat(req.query.type ?? []);
  const types = rawTypes.flatMap((t) => (typeof t === 'string' ? t.split(',') : [])).map((t) => t.trim()).filter(Boolean);
  if (types.length > 0) filter.types = new Set(types);
  const tenantId = single(req.query.tenantId);
  if (tenantId !== undefined) {
    if (!isUuid(tenantId)) errors.add('tenantId', 'invalid', '[tenantId] must be a UUID.');
    // A tenant-locked key cannot widen or move its view.
    else if (req.auth.tenantId && tenantId.toLowerCase() !== req.auth.tenantId) throw HttpError.unauthorized();
    else filter.tenantId = tenantId.toLowerCase();
  }
  if (req.auth.tenantId) filter.tenantId = req.auth.tenantId;
  return filter;
}
