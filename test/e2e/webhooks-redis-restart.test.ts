/**
 * Redis restarted in the middle of a burst of 10,000 webhook events (BullMQ job queue, a private
 * redis-server on its own port): after recovery every event has reached the receiver, duplicates
 * only as repeats of the same event id, and each user's events arrived in log order.
 *
 * The burst: 500 users created (user.create + user.create.complete) and 9 updates of each
 * (user.update + user.update.complete), 10,000 public events in all, through the FusionAuth client.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { PrivateRedis } from '../support/redis-server.js';

const USERS = 500;
const UPDATES_PER_USER = 9;
const EVENTS = USERS * 2 * (1 + UPDATES_PER_USER);

let redis: PrivateRedis;
let svc: TestService;
let receiver: WebhookReceiver;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  svc = await startTestService({ env: { REDIS_URL: redis.url, REDIS_PREFIX: `idstream-restart-${randomUUID().slice(0, 8)}` } });
  receiver = await startWebhookReceiver();
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await svc?.destroy();
  await redis?.destroy();
}, 60_000);

/** What a delivery says about its place in the user's history: type and update number. */
const step = (event: any) => `${event.type}#${event.user?.data?.n ?? 0}`;

it('delivers all 10,000 events of a burst across a Redis restart, each id at least once, in order per user', { timeout: 150_000 }, async () => {
  expect(svc.service.adapters.jobs.kind).toBe('bullmq');
  const tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  // A cheap password scheme: the burst is about the queue, not about hashing.
  await svc.client.patchTenant(tenantId, { tenant: { passwordEncryptionConfiguration: { encryptionScheme: 'salted-sha256', encryptionSchemeFactor: 1, modifyEncryptionSchemeOnLogin: false } } } as never);
  const client = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
  await svc.client.createWebhook(null as unknown as string, {
    webhook: {
      url: receiver.url,
      global: true,
      eventsEnabled: { 'user.create': true, 'user.create.complete': true, 'user.update': true, 'user.update.complete': true },
      deliveryPolicy: { maxAttempts: 50, initialDelayMs: 100, maxDelayMs: 1_000 },
    } as never,
  });

  // Counted as they come, so waiting does not rescan 10,000 bodies.
  const firstArrival = new Map<string, any>();
  let duplicates = 0;
  receiver.respondWith((request) => {
    const event = request.body?.event;
    if (event?.id) {
      if (firstArrival.has(event.id)) duplicates++;
      else firstArrival.set(event.id, event);
    }
    return 200;
  });

  let requestsDone = 0;
  let restarted: Promise<void> | undefined;
  const restartAt = Math.floor((USERS * (1 + UPDATES_PER_USER)) / 3);
  let stoppedAt = 0;
  let resumedAt = 0;
  const restart = async () => {
    stoppedAt = Date.now();
    await redis.stop();
    // Down long enough for the reactor's enqueues and the workers' commands to pile up and fail over.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await redis.resume();
    resumedAt = Date.now();
  };
  const done = () => {
    requestsDone++;
    if (requestsDone === restartAt) restarted = restart();
  };

  const userIds: string[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < USERS) {
        const index = next++;
        const created = await client.createUser(null as unknown as string, { user: { email: `burst-${index}-${randomUUID()}@example.com`, password: 'password-123' } });
        const userId = created.response.user!.id!;
        userIds.push(userId);
        done();
        for (let n = 1; n <= UPDATES_PER_USER; n++) {
          await client.patchUser(userId, { user: { data: { n } } } as never);
          done();
        }
      }
    }),
  );
  const writesMs = Date.now() - started;
  expect(restarted).toBeDefined();
  await restarted;

  const deadline = Date.now() + 110_000;
  while (firstArrival.size < EVENTS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  const deliveredMs = Date.now() - started;
  // Deliveries per 5 s since the burst began, with the outage marked: how the queue rode it out.
  const buckets: number[] = [];
  for (const request of receiver.received) buckets[Math.floor((request.receivedAt - started) / 5_000)] = (buckets[Math.floor((request.receivedAt - started) / 5_000)] ?? 0) + 1;
  console.log(
    `redis restart burst: ${EVENTS} events, writes ${writesMs} ms, all delivered after ${deliveredMs} ms, ${duplicates} duplicate deliveries; ` +
      `Redis down ${stoppedAt - started}–${resumedAt - started} ms; deliveries per 5 s: ${Array.from(buckets, (n) => n ?? 0).join(' ')}`,
  );
  expect(firstArrival.size).toBe(EVENTS);

  // Per user: create, create.complete, then update/update.complete for n = 1..9, in that order.
  const expected = ['user.create#0', 'user.create.complete#0'];
  for (let n = 1; n <= UPDATES_PER_USER; n++) expected.push(`user.update#${n}`, `user.update.complete#${n}`);
  const byUser = new Map<string, string[]>();
  for (const request of receiver.received) {
    const event = request.body?.event;
    const userId = event?.user?.id;
    if (!userId) continue;
    const seen = byUser.get(userId) ?? [];
    // A duplicate is the same event id again, right where that event already was: it repeats the
    // last step this user received, never an older one.
    if (seen.includes(step(event))) {
      expect(seen.at(-1)).toBe(step(event));
      continue;
    }
    seen.push(step(event));
    byUser.set(userId, seen);
  }
  expect(byUser.size).toBe(USERS);
  for (const userId of userIds) expect(byUser.get(userId)).toEqual(expected);
  // Distinct ids for distinct steps: 10,000 ids, and a repeated step always carried its first id.
  const idsByStep = new Map<string, Set<string>>();
  for (const request of receiver.received) {
    const event = request.body?.event;
    const key = `${event.user.id}/${step(event)}`;
    idsByStep.set(key, (idsByStep.get(key) ?? new Set()).add(event.id));
  }
  expect(idsByStep.size).toBe(EVENTS);
  expect([...idsByStep.values()].every((ids) => ids.size === 1)).toBe(true);
});
