/**
 * Webhook delivery over BullMQ on a real Redis, end to end: the reactor enqueues, BullMQ workers
 * deliver with retries, per-user order holds, and the delivery log records the attempts. A unique
 * key prefix keeps this run apart from anything else on the Redis.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { describeWithServer } from '@idstream/testkit';
import { rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';

describeWithServer('webhooks over BullMQ', 'REDIS_URL', (redisUrl) => {
  let svc: TestService;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    svc = await startTestService({ env: { REDIS_URL: redisUrl, REDIS_PREFIX: `idstream-e2e-${randomUUID().slice(0, 8)}` } });
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await receiver?.close();
    await svc?.destroy();
  });

  it('delivers through BullMQ with retries, in per-user order, and logs every attempt', async () => {
    expect(svc.service.adapters.jobs.kind).toBe('bullmq');
    const accepted: ReceivedRequest[] = [];
    const tried = new Set<string>();
    // Each event fails its first try, then succeeds.
    receiver.respondWith((request) => {
      const id = request.body?.event?.id;
      if (!tried.has(id)) {
        tried.add(id);
        return 503;
      }
      accepted.push(request);
      return 200;
    });
    const hook = await svc.client.createWebhook(null as unknown as string, {
      webhook: { url: receiver.url, global: true, eventsEnabled: { 'user.create': true, 'user.login.success': true }, deliveryPolicy: { maxAttempts: 5, initialDelayMs: 50, maxDelayMs: 200 } } as never,
    });
    const hookId = hook.response.webhook!.id!;
    const users = await Promise.all(
      Array.from({ length: 3 }, async () => {
        const email = `bull-${randomUUID()}@example.com`;
        const user = (await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123' } })).response.user!;
        for (let i = 0; i < 3; i++) await svc.client.login({ loginId: email, password: 'password-123' });
        return user;
      }),
    );
    await receiver.waitFor(() => users.every((u) => accepted.filter((a) => a.body.event.user?.id === u.id).length === 4), 20_000);
    const log = await rawRequest(`${svc.url}/api/events?limit=1000&type=user.create,user.login.success`, { apiKey: svc.apiKey });
    for (const user of users) {
      const expected = log.body.events.filter((e: any) => e.event.user?.id === user.id).map((e: any) => e.event.id);
      expect(accepted.filter((a) => a.body.event.user?.id === user.id).map((a) => a.body.event.id)).toEqual(expected);
    }
    const deadline = Date.now() + 10_000;
    let deliveries: any[] = [];
    while (Date.now() < deadline) {
      deliveries = (await rawRequest(`${svc.url}/api/webhook-delivery?webhookId=${hookId}`, { apiKey: svc.apiKey })).body.deliveries;
      if (deliveries.length === 12 && deliveries.every((d) => d.state === 'delivered')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(deliveries).toHaveLength(12);
    for (const d of deliveries) expect(d.attempts.map((a: any) => [a.outcome, a.status])).toEqual([['retrying', 503], ['delivered', 200]]);
  });
});
