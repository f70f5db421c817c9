/**
 * Redis (the BullMQ job queue) unavailable for a minute: logins and creates keep working through the
 * whole minute, because nothing on the request path waits for the queue; the webhooks and emails of
 * everything written during the outage flow once Redis is back on the same port, each exactly once
 * per event. The Redis is this test's own `redis-server`, never the shared one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { startRedis, type RedisProcess } from '../support/redis-process.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';
import { eventIdsByUser, waitUntil } from '../support/crash-invariants.js';

/** The minute. */
const OUTAGE_MS = 60_000;
/** Liveness through the whole outage: every slice of this length saw completed creates and logins. */
const SLICE_MS = 5_000;
const CLIENTS = 2;

let redis: RedisProcess;
let svc: TestService;
let receiver: WebhookReceiver;
let smtp: SmtpCapture;

beforeAll(async () => {
  redis = await startRedis();
  [receiver, smtp] = await Promise.all([startWebhookReceiver(), startSmtpCapture()]);
  svc = await startTestService({ env: { REDIS_URL: redis.url, REDIS_PREFIX: `faults-${randomUUID().slice(0, 8)}`, SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) } });
});

afterAll(async () => {
  // The service first, while Redis is up, so its BullMQ connections close cleanly.
  if (!redis?.running()) await redis?.start();
  await svc?.destroy();
  await Promise.all([receiver?.close(), smtp?.close()]);
  await redis?.stop();
});

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

describe('Redis unavailable', () => {
  it('logins and creates keep working through a minute without Redis; their webhooks and emails flow when it returns', async () => {
    expect(svc.service.adapters.jobs.kind).toBe('bullmq');
    const tenant = (await svc.client.retrieveTenants()).response.tenants![0]!;
    await svc.client.patchTenant(tenant.id!, { tenant: { passwordEncryptionConfiguration: { encryptionScheme: 'salted-pbkdf2-hmac-sha256', encryptionSchemeFactor: 1000 } } } as never);
    await svc.client.createWebhook(null as unknown as string, { webhook: { url: receiver.url, global: true, eventsEnabled: { 'user.create': true } } as never });

    // Before: a create's webhook arrives through BullMQ.
    const before = (await svc.client.createUser(null as unknown as string, { user: { email: `before-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
    await receiver.waitFor((r) => eventIdsByUser(r, 'user.create').has(before.id!), 20_000);

    // 1. The outage: creates, logins and forgot-password emails from a few clients, each timed.
    await redis.stop();
    const outageStarted = Date.now();
    const latencies: number[] = [];
    const created: string[] = [];
    const mailed: string[] = [];
    const completedAt: number[] = [];
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
        completedAt.push(Date.now() - outageStarted);
        // Every other user asks for a password reset: an email job queued while Redis is away.
        if (n % 2 === 0) {
          t = Date.now();
          expect((await svc.client.forgotPassword({ loginId: email, sendForgotPasswordEmail: true })).statusCode).toBe(200);
          latencies.push(Date.now() - t);
          mailed.push(email);
        }
        // Reads by id stay strongly consistent: the user views do not depend on Redis.
        expect((await svc.client.retrieveUser(user.id!)).response.user?.email).toBe(email);
      }
    }));
    const outageMs = Date.now() - outageStarted;
    // Nothing was delivered while the queue was away.
    expect(created.some((id) => eventIdsByUser(receiver.received, 'user.create').has(id))).toBe(false);
    expect(smtp.messages.some((m) => m.to.some((to) => mailed.includes(to)))).toBe(false);
    // Working through the whole minute, not only at its start: every slice saw completed logins.
    const slices = Array.from({ length: Math.floor(OUTAGE_MS / SLICE_MS) }, (_, i) => completedAt.filter((at) => at >= i * SLICE_MS && at < (i + 1) * SLICE_MS).length);
    expect(slices.filter((n) => n === 0), `create+login pairs per ${SLICE_MS} ms: ${slices.join(', ')}`).toEqual([]);

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
    // Every forgot-password email arrives, once: one job per event, delivered after the return.
    // The backlog is sent at the worker's pace (~90 emails/s here over pooled SMTP connections, ~28/s
    // with a connection per message): the wait grows with the number of emails (~800 to ~3,400 are
    // queued in the minute, depending on the machine).
    await waitUntil(() => {
      const to = new Set(smtp.messages.flatMap((m) => m.to));
      return mailed.every((email) => to.has(email));
    }, 60_000 + 100 * mailed.length, `a forgot-password email for each of the ${mailed.length} requests made during the outage`);
    const emailRecoveryMs = Date.now() - returned;
    const mailsPerRecipient = new Map<string, number>();
    for (const to of smtp.messages.flatMap((m) => m.to)) mailsPerRecipient.set(to, (mailsPerRecipient.get(to) ?? 0) + 1);
    expect(mailed.filter((email) => mailsPerRecipient.get(email) !== 1)).toEqual([]);
    // And new work flows as before.
    const after = (await svc.client.createUser(null as unknown as string, { user: { email: `after-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
    await waitUntil(() => eventIdsByUser(receiver.received, 'user.create').has(after.id!), 20_000, 'webhook of a create after the outage');

    expect(created.length).toBeGreaterThan(10);
    // Latency is reported, not asserted (a shared machine; speed is the benchmarks' business).
    console.log(JSON.stringify({
      scenario: 'Redis down',
      outageMs,
      createsDuringOutage: created.length,
      loginsDuringOutage: logins,
      forgotPasswordEmailsQueuedDuringOutage: mailed.length,
      createLoginPairsPerSlice: slices,
      requestLatencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      webhooksCaughtUpAfterRedisReturnedMs: recoveryMs,
      emailsCaughtUpAfterRedisReturnedMs: emailRecoveryMs,
    }));
  }, 480_000);
});
