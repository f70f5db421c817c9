/**
 * Operations: Prometheus metrics (parsed by a strict text-format parser), readiness per dependency
 * vs liveness, structured logs carrying the request id, and graceful shutdown (HTTP drained,
 * in-flight job finished, checkpoints saved).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '@idstream/config';
import { startIdstream } from '@idstream/api';
import { rawRequest, startTestService, type TestService } from '../support/harness.js';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let deadEndpoint: WebhookReceiver;
beforeAll(async () => {
  svc = await startTestService();
  deadEndpoint = await startWebhookReceiver();
  deadEndpoint.respondWith(500);
});
afterAll(async () => {
  await svc?.destroy();
  await deadEndpoint?.close();
});

async function scrape(): Promise<ReturnType<typeof parsePrometheusText>> {
  const response = await rawRequest(`${svc.url}/api/prometheus/metrics`, { apiKey: svc.apiKey });
  expect(response.status).toBe(200);
  return parsePrometheusText(response.text);
}

describe('metrics', () => {
  it('needs an API key allowed to read metrics', async () => {
    expect((await rawRequest(`${svc.url}/api/prometheus/metrics`)).status).toBe(401);
    const limited = await svc.client.createAPIKey(null as unknown as string, { apiKey: { permissions: { endpoints: { '/api/user': ['GET'] } } } as never });
    expect((await rawRequest(`${svc.url}/api/prometheus/metrics`, { apiKey: limited.response.apiKey!.key! })).status).toBe(401);
  });

  it('exposes request latency by route and status, login outcomes, append latency, projection lag and job queues', async () => {
    const email = `metrics-${randomUUID()}@example.com`;
    const created = await svc.client.createUser(null as unknown as string, { user: { email, password: 'metrics-password-1' } });
    const userId = created.response.user!.id!;
    await svc.client.retrieveUser(userId);
    await svc.client.login({ loginId: email, password: 'metrics-password-1' });
    await svc.client.login({ loginId: email, password: 'wrong-password' }).catch(() => undefined);

    const families = await scrape();
    const requestCount = (route: string, status: string) => sampleValue(families, 'idstream_http_request_duration_seconds_count', { route, status });
    expect(families.get('idstream_http_request_duration_seconds')?.type).toBe('histogram');
    expect(requestCount('/api/user/:userId', '200')).toBeGreaterThanOrEqual(1);
    expect(requestCount('/api/login', '404')).toBeGreaterThanOrEqual(1);
    // Ids never become labels.
    expect(families.get('idstream_http_request_duration_seconds')!.samples.some((s) => s.labels.route?.includes(userId))).toBe(false);
    expect(sampleValue(families, 'idstream_login_outcomes_total', { endpoint: '/api/login', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'idstream_login_outcomes_total', { endpoint: '/api/login', outcome: 'failed' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'idstream_eventstore_append_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(2);
    expect(sampleValue(families, 'idstream_events_appended_total', { type: 'UserCreated' })).toBeGreaterThanOrEqual(1);
    const lag = families.get('idstream_projection_lag_events')!;
    expect(lag.type).toBe('gauge');
    const projections = lag.samples.map((s) => s.labels.projection!);
    expect(projections.some((p) => p.startsWith('user-views'))).toBe(true);
    expect(projections).toContain('config-views');
    expect(lag.samples.every((s) => s.value >= 0)).toBe(true);
    expect(sampleValue(families, 'idstream_job_queue_depth', { queue: 'webhooks', state: 'waiting' })).toBeGreaterThanOrEqual(0);
  });

  it('event-loop delay: a blocked loop shows in the max, and a scrape with no new sample repeats the last figures', async () => {
    await scrape();
    // Right after a scrape (prom-client's own histogram was blind there).
    // The service runs in this process: a busy wait here blocks its loop.
    const until = Date.now() + 600;
    while (Date.now() < until);
    const afterBlock = await scrape();
    // The sample due during the block came up to 600 ms late (not 600 ms + the sampling interval).
    expect(sampleValue(afterBlock, 'idstream_nodejs_eventloop_lag_max_seconds', {})).toBeGreaterThanOrEqual(0.3);
    expect(sampleValue(afterBlock, 'idstream_nodejs_eventloop_lag_max_seconds', {})).toBeLessThan(0.75);
    // A second scrape at once (two scrapers): no sample since, the same finite figures, not NaN.
    const again = await scrape();
    for (const stat of ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99']) {
      const value = sampleValue(again, `idstream_nodejs_eventloop_lag_${stat}_seconds`, {});
      expect(Number.isFinite(value), stat).toBe(true);
      expect(value, stat).toBeGreaterThanOrEqual(0);
      expect(value, stat).toBeLessThan(60);
    }
  });

  it('counts failed deliveries per webhook', async () => {
    const webhook = await svc.client.createWebhook(null as unknown as string, { webhook: { url: deadEndpoint.url, global: true, eventsEnabled: { 'user.create': true } } as never });
    const webhookId = webhook.response.webhook!.id!;
    await svc.client.createUser(null as unknown as string, { user: { email: `hook-${randomUUID()}@example.com`, password: 'metrics-password-1' } });
    await deadEndpoint.waitFor((r) => r.length >= 1, 10_000);
    let failures: number | undefined;
    for (let i = 0; i < 50 && !failures; i++) {
      failures = sampleValue(await scrape(), 'idstream_webhook_failures_total', { webhook: webhookId });
      if (!failures) await new Promise((r) => setTimeout(r, 100));
    }
    expect(failures).toBeGreaterThanOrEqual(1);
    await svc.client.deleteWebhook(webhookId);
  });
});

describe('status', () => {
  it('reports each dependency with a real check; liveness answers without them', async () => {
    const ready = await rawRequest(`${svc.url}/api/status`);
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', dependencies: { eventStore: 'ok', views: 'ok', search: 'ok', jobs: 'ok' } });
    expect((await rawRequest(`${svc.url}/api/status/live`)).body).toEqual({ status: 'ok' });
  });

  it('a dependency that stops answering turns readiness to 503 naming it, while liveness stays 200', async () => {
    const other = await startTestService();
    try {
      await other.service.adapters.search.close();
      const status = await rawRequest(`${other.url}/api/status`);
      expect(status.status).toBe(503);
      expect(status.body.dependencies).toEqual({ eventStore: 'ok', views: 'ok', search: 'down', jobs: 'ok' });
      expect((await rawRequest(`${other.url}/api/status/live`)).status).toBe(200);
    } finally {
      await other.destroy().catch(() => undefined);
    }
  });
});

describe('logs', () => {
  it('every request logs one structured line with its request id, echoed in X-Request-Id', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l)); done(); } });
    const other = await startTestService();
    await other.stop();
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', IDSTREAM_DATA_DIR: other.dataDir, LOG_LEVEL: 'info' });
    const service = await startIdstream(config, { logger: pino({ level: 'info' }, sink) });
    try {
      const response = await fetch(`${service.url}/api/status`, { headers: { 'X-Request-Id': 'trace-me-123' } });
      expect(response.headers.get('x-request-id')).toBe('trace-me-123');
      const generated = (await fetch(`${service.url}/api/status/live`)).headers.get('x-request-id');
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      await new Promise((r) => setTimeout(r, 50));
      expect(lines.find((l) => l.requestId === 'trace-me-123')).toMatchObject({ msg: 'request', method: 'GET', path: '/api/status', status: 200 });
      expect(lines.some((l) => l.requestId === generated)).toBe(true);
    } finally {
      await service.stop();
      await other.destroy();
    }
  });
});

describe('graceful shutdown', () => {
  it('drains in-flight HTTP, lets the in-flight webhook job finish, and saves checkpoints', async () => {
    const slow = await startWebhookReceiver();
    slow.respondWith({ status: 200, delayMs: 1_000 });
    const other = await startTestService();
    try {
      await other.client.createWebhook(null as unknown as string, { webhook: { url: slow.url, global: true, eventsEnabled: { 'user.create': true } } as never });
      await other.client.createUser(null as unknown as string, { user: { email: `drain-${randomUUID()}@example.com`, password: 'drained-password-1' } });
      await slow.waitFor((r) => r.length === 1, 10_000);
      // A delivery is in flight (the receiver answers in 1 s) and a create (argon2id) is on its way.
      const inFlight = other.client.createUser(null as unknown as string, { user: { email: `late-${randomUUID()}@example.com`, password: 'drained-password-1' } });
      await new Promise((r) => setTimeout(r, 20));
      const stopping = other.stop();
      const answered = await inFlight;
      expect(answered.statusCode).toBe(200);
      await stopping;
      const head = await (async () => {
        const { openSqliteEventStore } = await import('@idstream/eventstore');
        const store = await openSqliteEventStore({ path: `${other.dataDir}/events.db` });
        try { return await store.headPosition(); } finally { await store.close(); }
      })();

      // Restart on the same data: checkpoints were saved at the head, and the finished job is not sent again.
      const again = await startTestService({ dataDir: other.dataDir });
      try {
        const views = again.service.adapters.views;
        const checkpoints = await Promise.all(['config-views', `user-views:${again.service.readModels.usersCollectionName}`].map((name) => views.getCheckpoint(name)));
        expect(checkpoints).toEqual([head, head]);
        await new Promise((r) => setTimeout(r, 1_500));
        // The first delivery finished before the stop; the second user's delivery happens after the restart.
        const userEmails = slow.received.map((r) => r.body?.event?.user?.email as string);
        expect(userEmails.filter((e) => e.startsWith('drain-'))).toHaveLength(1);
        const jobs = await again.service.adapters.jobs.counts('webhooks');
        expect(jobs.dead).toBe(0);
      } finally {
        await again.destroy();
      }
    } finally {
      await other.destroy().catch(() => undefined);
      await slow.close();
    }
  });
});
