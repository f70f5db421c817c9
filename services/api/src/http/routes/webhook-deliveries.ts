/**
 * The webhook delivery log and redelivery (Idstream extensions; FusionAuth has neither):
 * `GET /api/webhook-delivery?webhookId=&eventId=&state=&start=&end=` and
 * `POST /api/webhook-delivery/redeliver` with `{webhookId, eventId}` (one) or
 * `{webhookId?, start, end}` (every failed delivery whose last attempt is in the range).
 * Webhooks are global objects, so both need a global API key.
 */
import { Router } from 'express';
import { FieldErrors } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { findDeliveries, redeliver, redeliverFailed, type DeliveryQuery } from '../../application/webhook-deliveries.js';
import { requireApiKey, requireGlobalKey } from '../auth.js';
import { isObject, isUuid, Reader } from '../input.js';

const states = ['pending', 'delivered', 'retrying', 'failed'] as const;

export function webhookDeliveryRouter(ctx: AppContext): Router {
  const router = Router();
  const guard = [requireApiKey('/api/webhook-delivery'), requireGlobalKey()];

  router.get('/api/webhook-delivery', ...guard, async (req, res) => {
    const errors = new FieldErrors();
    const query: DeliveryQuery = {};
    const text = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string) : undefined);
    for (const field of ['webhookId', 'eventId'] as const) {
      const value = text(field);
      if (value === undefined) continue;
      if (!isUuid(value)) errors.add(field, 'invalid', `[${field}] must be a UUID.`);
      else query[field] = value.toLowerCase();
    }
    if (!query.webhookId && !query.eventId && errors.empty) errors.add('webhookId', 'missing', 'Specify a [webhookId], an [eventId] or both.');
    const state = text('state');
    if (state !== undefined) {
      if ((states as readonly string[]).includes(state)) query.state = state as DeliveryQuery['state'];
      else errors.add('state', 'invalid', `[state] must be one of ${states.join(', ')}.`);
    }
    for (const field of ['start', 'end'] as const) {
      const value = text(field);
      if (value === undefined) continue;
      if (!/^\d{1,15}$/.test(value)) errors.add(field, 'couldNotConvert', `[${field}] must be an instant in epoch milliseconds.`);
      else query[field] = Number(value);
    }
    errors.throwIfAny();
    res.json({ deliveries: await findDeliveries(ctx, query) });
  });

  router.post('/api/webhook-delivery/redeliver', ...guard, async (req, res) => {
    const errors = new FieldErrors();
    const body = isObject(req.body) ? req.body : {};
    if (!isObject(req.body)) errors.add('webhookId', 'missing', 'The request body must be an object.');
    const read = new Reader(body, '', errors);
    const webhookId = read.uuid('webhookId');
    const eventId = read.uuid('eventId');
    const start = read.number('start');
    const end = read.number('end');
    if (eventId === undefined && errors.empty) {
      if (start === undefined) errors.add('start', 'missing', 'Specify an [eventId], or a range with [start] and [end].');
      if (end === undefined) errors.add('end', 'missing', 'Specify an [eventId], or a range with [start] and [end].');
      if (start !== undefined && end !== undefined && end < start) errors.add('end', 'invalid', '[end] must not be before [start].');
    }
    if (eventId !== undefined && webhookId === undefined && errors.empty) errors.add('webhookId', 'missing', 'Redelivering one event needs its [webhookId].');
    errors.throwIfAny();
    if (eventId !== undefined) {
      await redeliver(ctx, webhookId!, eventId);
      res.json({ redelivered: [{ webhookId, eventId }] });
      return;
    }
    const failed = await redeliverFailed(ctx, { ...(webhookId && { webhookId }), start: start!, end: end! });
    res.json({ redelivered: failed.map((d) => ({ webhookId: d.webhookId, eventId: d.eventId })) });
  });
  return router;
}
