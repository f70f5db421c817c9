/**
 * Tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, one user create is one trace — HTTP request →
 * command → event-store append → projection → webhook job — exported over OTLP/HTTP to a receiver
 * on loopback, and the event id ties the spans together.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/harness.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let collector: OtlpReceiver;
let hooks: WebhookReceiver;
let svc: TestService;
beforeAll(async () => {
  collector = await startOtlpReceiver();
  hooks = await startWebhookReceiver();
  svc = await startTestService({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'idstream-under-test' } });
});
afterAll(async () => {
  await svc?.destroy();
  await collector?.close();
  await hooks?.close();
});

async function waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate(collector.spans)) {
    if (Date.now() > deadline) throw new Error(`spans not received: ${collector.spans.map((s) => s.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tracing', () => {
  it('follows a create from the HTTP request through command, append, projection and webhook job', async () => {
    await svc.client.createWebhook(null as unknown as string, { webhook: { url: hooks.url, global: true, eventsEnabled: { 'user.create': true } } as never });
    const email = `traced-${randomUUID()}@example.com`;
    const created = await svc.client.createUser(null as unknown as string, { user: { email, password: 'traced-password-1' } });
    const userId = created.response.user!.id!;
    await hooks.waitFor((r) => r.some((x) => x.body?.event?.user?.id === userId));

    const isRequest = (s: ReceivedSpan) => s.name === 'POST /api/user' && s.attributes['http.response.status_code'] === 200;
    await waitForSpans((spans) => spans.some(isRequest) && spans.some((s) => s.name === 'job webhooks' && s.attributes['idstream.webhook.id'] !== undefined));
    const request = collector.spans.filter(isRequest).at(-1)!;
    expect(request.serviceName).toBe('idstream-under-test');
    const trace = collector.spans.filter((s) => s.traceId === request.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => (s.parentSpanId ? byId.get(s.parentSpanId) : undefined);

    // Request → command → append, parent to child.
    const command = trace.find((s) => s.name === 'command CreateUser' || (s.name.startsWith('command ') && parentOf(s) === request));
    expect(command, trace.map((s) => s.name).join(', ')).toBeDefined();
    expect(parentOf(command!)).toBe(request);
    const append = trace.find((s) => s.name === 'eventstore.append' && parentOf(s) === command);
    expect(append).toBeDefined();
    const eventIds = append!.attributes['idstream.event.ids'] as string[];
    expect(eventIds.length).toBeGreaterThan(0);

    // Projections continue the trace from the append and name the same event id.
    const projections = trace.filter((s) => s.name.startsWith('projection ') && parentOf(s) === append);
    expect(projections.map((s) => s.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^projection user-views/)]));
    for (const projection of projections) {
      expect(projection.attributes['idstream.event.ids']).toEqual(expect.arrayContaining([eventIds[0]]));
      expect(projection.links).toContainEqual({ traceId: request.traceId, spanId: append!.spanId });
    }

    // The webhook reactor's batch enqueued the job; the worker's job span is its child, same trace.
    const job = trace.find((s) => s.name === 'job webhooks');
    expect(job, trace.map((s) => s.name).join(', ')).toBeDefined();
    const reactor = parentOf(job!)!;
    expect(reactor.name).toMatch(/^projection /);
    expect(parentOf(reactor)).toBe(append);
    expect(job!.attributes['idstream.job.queue']).toBe('webhooks');
  });

  it('continues a trace the caller started (W3C traceparent)', async () => {
    const traceId = randomUUID().replace(/-/g, '');
    const callerSpan = randomUUID().replace(/-/g, '').slice(0, 16);
    const response = await fetch(`${svc.url}/api/user/${randomUUID()}`, { headers: { Authorization: svc.apiKey, traceparent: `00-${traceId}-${callerSpan}-01` } });
    expect(response.status).toBe(404);
    await waitForSpans((spans) => spans.some((s) => s.traceId === traceId));
    const span = collector.spans.find((s) => s.traceId === traceId)!;
    expect(span.parentSpanId).toBe(callerSpan);
    expect(span.name).toBe('GET /api/user/:userId');
  });
});
