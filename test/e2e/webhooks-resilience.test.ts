/**
 * Webhook delivery when endpoints misbehave, against real receivers on loopback: the circuit breaker
 * that keeps a hanging endpoint from taking the worker's slots, a receiver that is down, then slow,
 * then up, and the connect timeout of an endpoint that never finishes connecting.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let client: FusionAuthClient;
const receivers: WebhookReceiver[] = [];
const hooks: string[] = [];

beforeAll(async () => {
  svc = await startTestService();
  const tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  client = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
  // A cheap password scheme: these tests are about delivery, and creates should come in a burst.
  await svc.client.patchTenant(tenantId, { tenant: { passwordEncryptionConfiguration: { encryptionScheme: 'salted-sha256', encryptionSchemeFactor: 1, modifyEncryptionSchemeOnLogin: false } } } as never);
});

afterEach(async () => {
  for (const id of hooks.splice(0)) await svc.client.deleteWebhook(id).catch(() => undefined);
});

afterAll(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close().catch(() => undefined)));
  await svc?.destroy();
});

async function receiver(port?: number): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(port);
  receivers.push(started);
  return started;
}

async function createHook(webhook: Record<string, unknown>): Promise<string> {
  const created = await svc.client.createWebhook(null as unknown as string, { webhook: { global: true, ...webhook } as never });
  hooks.push(created.response.webhook!.id!);
  return created.response.webhook!.id!;
}

async function createUsers(count: number, parallel = 8): Promise<{ id: string; email: string }[]> {
  const users: { id: string; email: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        const email = `r-${randomUUID()}@example.com`;
        const created = await client.createUser(null as unknown as string, { user: { email, password: 'password-123' } });
        users.push({ id: created.response.user!.id!, email });
      }
    }),
  );
  return users;
}

async function deliveryOf(hookId: string, eventId: string): Promise<any> {
  const response = await rawRequest(`${svc.url}/api/webhook-delivery?webhookId=${hookId}&eventId=${eventId}`, { apiKey: svc.apiKey });
  expect(response.status).toBe(200);
  return response.body.deliveries[0];
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms: ${JSON.stringify(value).slice(0, 2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const userIdOf = (r: ReceivedRequest): string | undefined => r.body?.event?.user?.id;

describe('circuit breaker', () => {
  it('keeps a hanging endpoint from holding the worker: a healthy endpoint gets everything promptly, the hung one everything once it is back', { timeout: 40_000 }, async () => {
    const dead = await receiver();
    dead.respondWith({ hang: true });
    const healthy = await receiver();
    const readTimeout = 2_500;
    // maxAttempts 3: deferrals while the circuit is open must not use them up.
    const deadHook = await createHook({
      url: dead.url,
      readTimeout,
      eventsEnabled: { 'user.create': true },
      deliveryPolicy: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 100, circuitBreakerThreshold: 5, circuitBreakerCoolDownMs: 1_500 },
    });
    await createHook({ url: healthy.url, eventsEnabled: { 'user.create': true } });

    const started = Date.now();
    const users = await createUsers(100);
    const createdMs = Date.now() - started;
    const ids = new Set(users.map((u) => u.id));
    await healthy.waitFor((all) => all.filter((r) => ids.has(userIdOf(r)!)).length >= 100, 15_000);
    const healthyDoneMs = Date.now() - started;
    // With the breaker, one wave of hung tries (the worker's 32 slots, one read timeout) and then
    // the circuit opens. Without it the 100 hanging tries and their retries pass through the slots in
    // waves of the read timeout, and the healthy endpoint's last events wait for them (measured:
    // healthy done 6.5 s after the last create without the breaker, 2.5 s with it).
    expect(healthyDoneMs - createdMs).toBeLessThan(readTimeout + 1_000);
    const hungTries = dead.received.filter((r) => ids.has(userIdOf(r)!)).length;
    // One wave at most (the worker's slots), not one try per event and retry.
    expect(hungTries).toBeLessThanOrEqual(40);

    // The endpoint comes back: after the cool-down a probe succeeds and every event is delivered.
    dead.respondWith(200);
    await dead.waitFor((all) => new Set(all.filter((r) => ids.has(userIdOf(r)!) && r.body.event.type === 'user.create').map(userIdOf)).size === 100, 20_000);
    const logs = await Promise.all(
      [...new Set(dead.received.filter((r) => ids.has(userIdOf(r)!)).map((r) => r.body.event.id as string))].map((eventId) =>
        eventually(() => deliveryOf(deadHook, eventId), (d) => d?.state === 'delivered', 10_000, `delivery ${eventId}`),
      ),
    );
    expect(logs).toHaveLength(100);
    // Deferrals are not attempts: at most the hung try and the delivered one.
    for (const log of logs) {
      expect(log.attemptCount).toBeLessThanOrEqual(2);
      expect(log.attempts.at(-1)).toMatchObject({ outcome: 'delivered', status: 200 });
    }
    expect(logs.filter((l) => l.attemptCount === 2).every((l) => /read timeout/.test(l.attempts[0].error))).toBe(true);
  });
});

describe('a receiver that is down, then slow, then up', () => {
  it('gets every event, in order per user, after backed-off retries; the log shows each attempt', { timeout: 40_000 }, async () => {
    // Down: a port nobody listens on (taken from a receiver that is then closed).
    const probe = await startWebhookReceiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const readTimeout = 400;
    const hookId = await createHook({
      url: `http://127.0.0.1:${port}/hook`,
      readTimeout,
      eventsEnabled: { 'user.create': true, 'user.login.success': true, 'user.login.failed': true },
      deliveryPolicy: { maxAttempts: 40, initialDelayMs: 100, maxDelayMs: 1_600, circuitBreakerThreshold: 8, circuitBreakerCoolDownMs: 300 },
    });
    const users = await createUsers(4, 4);
    for (const user of users) {
      await client.login({ loginId: user.email, password: 'password-123' });
      await failure(client.login({ loginId: user.email, password: 'wrong-password' }));
      await client.login({ loginId: user.email, password: 'password-123' });
    }
    const ids = new Set(users.map((u) => u.id));
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Slow: answers after the read timeout, so every try times out though the receiver saw it.
    const r = await receiver(port);
    r.respondWith({ status: 200, delayMs: readTimeout + 300 });
    await r.waitFor((all) => all.filter((x) => ids.has(userIdOf(x)!)).length >= 2, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    // Up.
    const accepted: ReceivedRequest[] = [];
    r.respondWith((request) => {
      accepted.push(request);
      return 200;
    });
    const logOrder = async () => {
      const page = await rawRequest(`${svc.url}/api/events?limit=1000&type=user.create,user.login.success,user.login.failed`, { apiKey: svc.apiKey });
      return page.body.events.filter((e: any) => ids.has(e.event.user?.id));
    };
    const expected: any[] = await logOrder();
    expect(expected).toHaveLength(16);
    await r.waitFor(() => expected.every((e) => accepted.some((a) => a.body.event.id === e.event.id)), 20_000);
    for (const user of users) {
      const want = expected.filter((e) => e.event.user.id === user.id).map((e) => e.event.id);
      expect(accepted.filter((a) => userIdOf(a) === user.id).map((a) => a.body.event.id)).toEqual(want);
    }

    let sawRefused = false;
    let sawTimeout = false;
    for (const { event } of expected) {
      const log = await eventually(() => deliveryOf(hookId, event.id), (d) => d?.state === 'delivered', 10_000, `delivery ${event.id}`);
      const attempts: any[] = log.attempts;
      expect(attempts.map((a) => a.attempt)).toEqual(attempts.map((_, i) => i + 1));
      expect(attempts.at(-1)).toMatchObject({ outcome: 'delivered', status: 200 });
      for (const failed of attempts.slice(0, -1)) {
        expect(failed.outcome).toBe('retrying');
        expect(failed.error).toMatch(/ECONNREFUSED|read timeout/);
        sawRefused ||= /ECONNREFUSED/.test(failed.error);
        sawTimeout ||= /read timeout/.test(failed.error);
      }
      // Each try that reached the receiver is in the log, and only those reached it.
      const reached = r.received.filter((x) => x.body?.event?.id === event.id).length;
      expect(attempts.filter((a) => !/ECONNREFUSED/.test(a.error ?? '')).length).toBe(reached);
      // Backoff: the planned wait grows with each retry until the cap (jitter takes at most 20 % off).
      const waits = attempts.slice(0, -1).map((a) => a.nextAttemptAt - a.attemptedAt);
      for (let i = 1; i < waits.length && 100 * 2 ** i <= 1_600; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]!);
    }
    expect(sawRefused).toBe(true);
    expect(sawTimeout).toBe(true);
  });
});

describe('connect timeout', () => {
  it('gives up on an endpoint whose connection never completes after the connect timeout, not the read timeout', async () => {
    // On loopback the kernel completes every TCP handshake, so "never connects" is a TLS endpoint
    // that accepts the TCP connection and never answers the ClientHello: for https the connect
    // timeout covers TCP and TLS, the read timeout only starts once the connection is secure.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const hookId = await createHook({ url: `https://127.0.0.1:${port}/hook`, connectTimeout: 300, readTimeout: 5_000, eventsEnabled: { 'user.create': true }, deliveryPolicy: { maxAttempts: 1 } });
      const [user] = await createUsers(1, 1);
      const page = await rawRequest(`${svc.url}/api/events?limit=1000&type=user.create`, { apiKey: svc.apiKey });
      const eventId = page.body.events.find((e: any) => e.event.user.id === user!.id).event.id;
      const log = await eventually(() => deliveryOf(hookId, eventId), (d) => d?.state === 'failed', 10_000, 'failed delivery');
      expect(log.attempts).toHaveLength(1);
      expect(log.attempts[0].error).toMatch(/connect timeout after 300 ms/);
      expect(log.attempts[0].latencyMs).toBeGreaterThanOrEqual(250);
      expect(log.attempts[0].latencyMs).toBeLessThan(2_000);
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
