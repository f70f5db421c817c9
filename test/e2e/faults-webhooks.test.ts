/**
 * Webhook receivers that misbehave — down (connection refused), slow, never answering (read
 * timeout), answering 500, answering bytes that are not HTTP — next to one healthy receiver. While
 * they misbehave: creates and logins answer as fast as without them, the healthy receiver gets every
 * event promptly, and the delivery log shows each failure. When they recover, every event reaches
 * every receiver (repeats only with the same event id) and the log shows it delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';
import { eventIdsByUser, waitUntil } from '../support/crash-invariants.js';

const USERS = 12;
// A short circuit-breaker cool-down (default 5 s, doubling per failed probe) keeps the recovery quick.
const policy = { maxAttempts: 100, initialDelayMs: 200, maxDelayMs: 1_000, circuitBreakerCoolDownMs: 500 };

let svc: TestService;
let healthy: WebhookReceiver;
let slow: WebhookReceiver;
let hanging: WebhookReceiver;
let failing: WebhookReceiver;
/** A port with nothing listening until recovery, then an HTTP receiver recording into `downReceived`. */
let downPort: number;
let downServer: HttpServer | undefined;
const downReceived: ReceivedRequest[] = [];
/** A TCP server answering every request with non-HTTP bytes until recovery, then proper 200s. */
let garbage: TcpServer;
let garbageHealthy = false;
const garbageReceived: ReceivedRequest[] = [];
const sockets = new Set<Socket>();

function recordingServer(into: ReceivedRequest[]): HttpServer {
  return createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString();
      into.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody), receivedAt: Date.now() });
      res.end();
    });
  });
}

beforeAll(async () => {
  svc = await startTestService();
  [healthy, slow, hanging, failing] = await Promise.all([startWebhookReceiver(), startWebhookReceiver(), startWebhookReceiver(), startWebhookReceiver()]);
  slow.respondWith({ status: 200, delayMs: 1_500 });
  hanging.respondWith({ hang: true });
  failing.respondWith(500);
  // Reserve a port, then close it: connections are refused until the receiver "comes back".
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  downPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const goodHttp = recordingServer(garbageReceived);
  garbage = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (garbageHealthy) return goodHttp.emit('connection', socket);
    socket.once('data', () => socket.end('\u0000\u00ffnot http at all\r\n\r\n{{{'));
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all([healthy, slow, hanging, failing].map((r) => r?.close()));
  await new Promise((resolve) => garbage?.close(resolve));
  if (downServer) {
    downServer.closeAllConnections();
    await new Promise((resolve) => downServer!.close(resolve));
  }
  await svc?.destroy();
});

async function hook(url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await svc.client.createWebhook(null as unknown as string, {
    webhook: { url, global: true, eventsEnabled: { 'user.create': true }, connectTimeout: 1_000, readTimeout: 2_000, deliveryPolicy: policy, ...extra } as never,
  });
  return created.response.webhook!.id!;
}

async function deliveryLog(webhookId: string): Promise<any[]> {
  const response = await rawRequest(`${svc.url}/api/webhook-delivery?webhookId=${webhookId}`, { apiKey: svc.apiKey });
  expect(response.status).toBe(200);
  return response.body.deliveries;
}

async function createAndLogin(n: number): Promise<{ ids: string[]; latencies: number[] }> {
  const ids: string[] = [];
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const email = `hooks-${i}-${randomUUID()}@example.com`;
    let t = Date.now();
    ids.push((await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123' } })).response.user!.id!);
    latencies.push(Date.now() - t);
    t = Date.now();
    expect((await svc.client.login({ loginId: email, password: 'password-123' })).statusCode).toBe(200);
    latencies.push(Date.now() - t);
  }
  return { ids, latencies };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const hasAll = (received: ReceivedRequest[], ids: string[]) => {
  const byUser = eventIdsByUser(received, 'user.create');
  return ids.every((id) => byUser.has(id));
};

describe('misbehaving webhook receivers', () => {
  it('fail visibly in the delivery log without slowing anything else, and catch up when they recover', async () => {
    // Baseline: the same work with only the healthy receiver.
    const healthyHook = await hook(healthy.url);
    const baseline = await createAndLogin(USERS);
    await waitUntil(() => hasAll(healthy.received, baseline.ids), 10_000, 'baseline deliveries');

    const hooks = {
      down: await hook(`http://127.0.0.1:${downPort}/hook`),
      slow: await hook(slow.url),
      hanging: await hook(hanging.url, { readTimeout: 500 }),
      failing: await hook(failing.url),
      garbage: await hook(`http://127.0.0.1:${(garbage.address() as { port: number }).port}/hook`),
    };

    // 1. Under faults: creates and logins answer as fast; the healthy receiver keeps up.
    const faulty = await createAndLogin(USERS);
    const healthyLagMs = await waitUntil(() => hasAll(healthy.received, faulty.ids), 10_000, 'healthy receiver under faults');
    // Everything answered, and no slower than about the baseline (a loaded CI machine gets slack).
    expect(median(faulty.latencies)).toBeLessThan(Math.max(4 * median(baseline.latencies), 100));

    // 2. The delivery log shows the failures with their causes.
    // After 10 failed tries in a row the endpoint's circuit opens: its other jobs wait, untried (and
    // so not in the log yet), until a probe succeeds.
    const failingNow = async (webhookId: string) => (await deliveryLog(webhookId)).filter((d) => d.state === 'retrying' && d.attemptCount >= 1);
    const logged: Record<string, number> = {};
    for (const [name, id] of Object.entries(hooks)) {
      if (name === 'slow') continue;
      await waitUntil(async () => (logged[name] = (await failingNow(id)).length) > 0, 10_000, `retries logged for ${name}`);
    }
    const attempt = async (id: string) => (await deliveryLog(id))[0].attempts[0];
    expect(await attempt(hooks.failing)).toMatchObject({ outcome: 'retrying', status: 500 });
    expect((await attempt(hooks.down)).error).toMatch(/refused|ECONNREFUSED/i);
    expect((await attempt(hooks.hanging)).error).toMatch(/timeout|timed out/i);
    expect((await attempt(hooks.garbage)).status).toBeUndefined();
    // The slow receiver answers within its read timeout: delivered, late.
    await waitUntil(() => hasAll(slow.received, faulty.ids), 60_000, 'slow receiver');

    // 3. Recovery: every receiver works again; every event reaches it; the log says delivered.
    const recovered = Date.now();
    hanging.respondWith(200);
    failing.respondWith(200);
    garbageHealthy = true;
    downServer = recordingServer(downReceived);
    await new Promise<void>((resolve) => downServer!.listen(downPort, '127.0.0.1', resolve));
    const all = [...baseline.ids, ...faulty.ids];
    const created = faulty.ids;
    await waitUntil(
      () => hasAll(hanging.received, created) && hasAll(failing.received, created) && hasAll(garbageReceived, created) && hasAll(downReceived, created),
      30_000,
      'every receiver caught up',
    );
    const catchUpMs = Date.now() - recovered;
    for (const id of Object.values(hooks)) {
      if (id === hooks.slow) continue;
      await waitUntil(async () => (await deliveryLog(id)).filter((d) => d.state === 'delivered').length >= created.length, 10_000, 'delivery log shows delivered');
    }
    for (const received of [healthy.received, slow.received, hanging.received, failing.received, garbageReceived, downReceived]) {
      const byUser = eventIdsByUser(received, 'user.create');
      expect([...byUser.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    }
    expect(hasAll(healthy.received, all)).toBe(true);
    const attemptsBeforeSuccess = (await deliveryLog(hooks.failing)).map((d) => d.attemptCount);
    void healthyHook;
    console.log(JSON.stringify({
      scenario: 'misbehaving webhook receivers',
      faultyReceivers: Object.keys(hooks),
      failingDeliveriesLogged: logged,
      events: created.length,
      requestMedianMs: { baseline: median(baseline.latencies), underFaults: median(faulty.latencies) },
      healthyReceiverCaughtUpMs: healthyLagMs,
      catchUpAfterRecoveryMs: catchUpMs,
      failingReceiverAttempts: { min: Math.min(...attemptsBeforeSuccess), max: Math.max(...attemptsBeforeSuccess) },
    }));
  }, 120_000);
});
