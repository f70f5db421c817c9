/**
 * Transactional webhook events (FusionAuth's 504 rows): when a tenant sets a transaction level for
 * an event type, the use case calls this BEFORE appending. The webhooks receive the would-be event
 * synchronously; if too few accept it, nothing is persisted and the API answers 504
 * `[WebhookTransactionException]`. The event is not queued again after the append (the reactor
 * skips transactional types): the synchronous call was its delivery.
 */
import { randomUUID } from 'node:crypto';
import { toPublicEvents, type ConfigDocument, type UserRecord } from '@idstream/domain';
import { WEBHOOK_PASSWORD_PURPOSE } from '@idstream/platform';
import { transactionTypeOf, type TransactionType } from '@idstream/reactors';
import { sendToWebhook, type FullWebhook, type WebhookCredentials } from '@idstream/worker';
import type { AppContext } from './context.js';

export class WebhookTransactionError extends Error {
  override readonly name = 'WebhookTransactionError';
  constructor(readonly eventType: string, readonly succeeded: number, readonly total: number) {
    super(`The [${eventType}] event was accepted by ${succeeded} of ${total} webhooks, fewer than the tenant's transaction level requires.`);
  }
}

/** Whether `succeeded` of `total` webhooks satisfy the level (no webhook means nothing to wait for). */
export function transactionMet(level: TransactionType, succeeded: number, total: number): boolean {
  if (total === 0) return true;
  switch (level) {
    case 'None':
      return true;
    case 'Any':
      return succeeded >= 1;
    case 'SimpleMajority':
      return succeeded * 2 > total;
    case 'SuperMajority':
      return succeeded * 3 >= total * 2;
    case 'AllMustSucceed':
      return succeeded === total;
  }
}

/**
 * Sends the public events that the internal event `wouldBe` will produce to the webhooks whose
 * tenant makes them transactional, and throws {@link WebhookTransactionError} when a level is not met.
 * Cheap when no level is set: only the tenant document is read.
 */
export async function requireWebhookTransaction(
  ctx: AppContext,
  tenant: ConfigDocument,
  wouldBe: { type: string; data: unknown },
  currentUser?: UserRecord,
): Promise<void> {
  const publics = toPublicEvents({ id: randomUUID(), type: wouldBe.type, data: wouldBe.data, recordedAt: ctx.now() }, currentUser);
  const transactional = publics.filter((event) => transactionTypeOf(tenant, event.type) !== 'None' && enabledByTenant(tenant, event.type));
  if (transactional.length === 0) return;
  const hooks = (await ctx.readModels.config.Webhook.list({ limit: 100_000 })).map((d) => d.body as FullWebhook);
  const credentials: WebhookCredentials = {
    signer: { sign: (keyId, payload) => ctx.signingKeys.sign(keyId, payload, 300) },
    reveal: (sealed) => ctx.secrets.open(WEBHOOK_PASSWORD_PURPOSE, sealed),
  };
  for (const event of transactional) {
    const targets = hooks.filter((hook) => hook.eventsEnabled?.[event.type] && (hook.global || hook.tenantIds?.includes(tenant.id)));
    const results = await Promise.allSettled(targets.map((hook) => sendToWebhook(hook, event, credentials)));
    const succeeded = results.filter((r) => r.status === 'fulfilled').length;
    if (!transactionMet(transactionTypeOf(tenant, event.type), succeeded, targets.length)) {
      ctx.logger.warn({ eventType: event.type, succeeded, total: targets.length, tenantId: tenant.id }, 'webhook transaction refused');
      throw new WebhookTransactionError(event.type, succeeded, targets.length);
    }
  }
}

function enabledByTenant(tenant: ConfigDocument, type: string): boolean {
  const events = (tenant.eventConfiguration as { events?: Record<string, { enabled?: boolean }> } | undefined)?.events;
  return events?.[type]?.enabled !== false;
}
