/**
 * Webhooks end to end, with real receivers on loopback: the Webhook API through FusionAuth's client,
 * headers, basic auth, signatures checked against the JWKS, timeouts, retries with backoff, per-user
 * order, isolation of a dead endpoint, the delivery log and redelivery, transactional events (504),
 * and every delivered body validated against the served JSON Schema.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';
import { schemaValidator, verifySignature } from '../support/public-events.js';

let svc: TestService;
let client: FusionAuthClient;
let defaultTenantId: string;
let validate: (body: any) => string[];
const receivers: WebhookReceiver[] = [];
const hooks: string[] = [];

beforeAll(async () => {
  svc = await startTestService();
  defaultTenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  // Later tests add tenants: every user call names its tenant.
  client = new FusionAuthClient(svc.apiKey, svc.url, defaultTenantId);
  validate = await schemaValidator(svc.url);
});

afterEach(async () => {
  for (const id of hooks.splice(0)) await svc.client.deleteWebhook(id).catch(() => undefined);
});

afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  await svc?.destroy();
});

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver();
  receivers.push(started);
  return started;
}

async function createHook(webhook: Record<string, unknown>): Promise<string> {
  const created = await svc.client.createWebhook(null as unknown as string, { webhook: { global: true, ...webhook } as never });
  hooks.push(created.response.webhook!.id!);
  return created.response.webhook!.id!;
}

async function createUser(email = `u-${randomUUID()}@example.com`, password = 'password-123') {
  const created = await client.createUser(null as unknown as string, { user: { email, password } });
  return created.response.user!;
}

const forUser = (userId: string) => (requests: ReceivedRequest[]) => requests.filter((r) => r.body?.event?.user?.id === userId);

async function deliveries(query: string): Promise<any[]> {
  const response = await rawRequest(`${svc.url}/api/webhook-delivery?${query}`, { apiKey: svc.apiKey });
  expect(response.status).toBe(200);
  return response.body.deliveries;
}

async function waitForDeliveries(query: string, predicate: (all: any[]) => boolean, timeoutMs = 10_000): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await deliveries(query);
    if (predicate(all)) return all;
    if (Date.now() > deadline) throw new Error(`delivery log condition not met: ${JSON.stringify(all)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Webhook API', () => {
  it('creates, retrieves, lists, updates, patches and deletes webhooks through the FusionAuth client', async () => {
    const r = await receiver();
    const created = await svc.client.createWebhook(null as unknown as string, {
      webhook: { url: r.url, description: 'crud', global: true, eventsEnabled: { 'user.create': true }, httpAuthenticationUsername: 'me', httpAuthenticationPassword: 'secret-pw', connectTimeout: 500, readTimeout: 700 } as never,
    });
    const id = created.response.webhook!.id!;
    expect(created.response.webhook).toMatchObject({ url: r.url, connectTimeout: 500, readTimeout: 700, httpAuthenticationUsername: 'me' });
    expect(created.response.webhook).not.toHaveProperty('httpAuthenticationPassword');
    expect((await svc.client.retrieveWebhook(id)).response.webhook?.description).toBe('crud');
    expect((await svc.client.retrieveWebhooks()).response.webhooks?.map((w) => w.id)).toContain(id);
    const updated = await svc.client.updateWebhook(id, { webhook: { url: `${r.url}/v2`, global: true, eventsEnabled: { 'user.create': true } } as never });
    expect(updated.response.webhook?.url).toBe(`${r.url}/v2`);
    const patched = await svc.client.patchWebhook(id, { webhook: { description: 'patched' } } as never);
    expect(patched.response.webhook).toMatchObject({ description: 'patched', url: `${r.url}/v2` });
    await svc.client.deleteWebhook(id);
    expect((await failure(svc.client.retrieveWebhook(id))).statusCode).toBe(404);
  });

  it('answers bad webhook input with 400 and the Errors JSON', async () => {
    const bad = async (webhook: Record<string, unknown>, field: string) => {
      const result = await failure(svc.client.createWebhook(null as unknown as string, { webhook: webhook as never }));
      expect(result.statusCode).toBe(400);
      expect(Object.keys(result.exception.fieldErrors)).toContain(field);
    };
    await bad({ global: true }, 'webhook.url');
    await bad({ url: 'ftp://example.com' }, 'webhook.url');
    await bad({ url: 'http://127.0.0.1:1/x', readTimeout: 'soon' }, 'webhook.readTimeout');
    await bad({ url: 'http://127.0.0.1:1/x', headers: { 'X-A': 5 } }, 'webhook.headers');
    await bad({ url: 'http://127.0.0.1:1/x', signatureConfiguration: { enabled: true } }, 'webhook.signatureConfiguration.signingKeyId');
    await bad({ url: 'http://127.0.0.1:1/x', signatureConfiguration: { enabled: true, signingKeyId: randomUUID() } }, 'webhook.signatureConfiguration.signingKeyId');
    await bad({ url: 'http://127.0.0.1:1/x', deliveryPolicy: { maxAttempts: 0 } }, 'webhook.deliveryPolicy.maxAttempts');
    await bad({ url: 'http://127.0.0.1:1/x', deliveryPolicy: { retries: 3 } }, 'webhook.deliveryPolicy.retries');
    const malformed = await rawRequest(`${svc.url}/api/webhook`, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: '{"webhook": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.generalErrors[0].code).toBe('[invalidJSON]');
  });
});

describe('delivery', () => {
  it('sends custom headers, basic auth and a signature that verifies against the JWKS; bodies match the schemas', async () => {
    const r = await receiver();
    const keys = (await svc.client.retrieveKeys()).response.keys!;
    const signingKeyId = keys.find((k) => k.algorithm !== 'HS256')!.id!;
    await createHook({
      url: r.url,
      headers: { 'X-Tenant-Hint': 'blue' },
      httpAuthenticationUsername: 'hook-user',
      httpAuthenticationPassword: 'hook-pass',
      signatureConfiguration: { enabled: true, signingKeyId },
      eventsEnabled: { 'user.create': true, 'user.create.complete': true, 'user.login.success': true, 'user.login.failed': true },
    });
    const user = await createUser(undefined, 'correct horse 1');
    await client.login({ loginId: user.email!, password: 'correct horse 1' });
    await failure(client.login({ loginId: user.email!, password: 'wrong horse 1' }));
    const got = forUser(user.id!)(await r.waitFor((all) => forUser(user.id!)(all).length >= 4));
    expect(got.map((g) => g.body.event.type).sort()).toEqual(['user.create', 'user.create.complete', 'user.login.failed', 'user.login.success']);
    for (const request of got) {
      expect(request.headers['x-tenant-hint']).toBe('blue');
      expect(request.headers.authorization).toBe(`Basic ${Buffer.from('hook-user:hook-pass').toString('base64')}`);
      expect(await verifySignature(svc.url, request)).toBe(true);
      expect(validate(request.body)).toEqual([]);
    }
    // A receiver that recomputes the hash notices a changed body.
    expect(await verifySignature(svc.url, { ...got[0]!, rawBody: got[0]!.rawBody.replace('"user"', '"User"') })).toBe(false);
    const types = got.map((g) => g.body.event.id);
    expect(new Set(types).size).toBe(4);
  });

  it('retries after 500s with growing delays, then delivers; the log shows each attempt', async () => {
    const r = await receiver();
    let failuresLeft = 3;
    r.respondWith(() => (failuresLeft-- > 0 ? 500 : 200));
    const hookId = await createHook({ url: r.url, eventsEnabled: { 'user.create': true }, deliveryPolicy: { maxAttempts: 6, initialDelayMs: 150, maxDelayMs: 2_000 } });
    const user = await createUser();
    const got = forUser(user.id!)(await r.waitFor((all) => forUser(user.id!)(all).length >= 4));
    expect(got).toHaveLength(4);
    const gaps = got.slice(1).map((g, i) => g.receivedAt - got[i]!.receivedAt);
    const eventId = got[0]!.body.event.id;
    expect(new Set(got.map((g) => g.body.event.id))).toEqual(new Set([eventId]));
    const [log] = await waitForDeliveries(`webhookId=${hookId}&eventId=${eventId}`, (all) => all[0]?.state === 'delivered');
    expect(log.attempts.map((a: any) => [a.attempt, a.outcome, a.status])).toEqual([
      [1, 'retrying', 500],
      [2, 'retrying', 500],
      [3, 'retrying', 500],
      [4, 'delivered', 200],
    ]);
    expect(log.eventType).toBe('user.create');
    expect(log.attempts.every((a: any) => typeof a.latencyMs === 'number' && typeof a.attemptedAt === 'number')).toBe(true);
    // The delays the service scheduled grow as the policy says: 150·2^n with up to 20 % jitter taken
    // off (120–150, 240–300, 480–600 ms), and no retry came early. Wall-clock gaps alone also hold
    // the machine's scheduling delays, so they are checked only from below.
    const scheduled = log.attempts.slice(0, 3).map((a: any) => a.nextAttemptAt - (a.attemptedAt + a.latencyMs));
    scheduled.forEach((delay: number, n: number) => {
      const full = 150 * 2 ** n;
      expect(delay, `scheduled delay after attempt ${n + 1}`).toBeGreaterThanOrEqual(0.8 * full - 5);
      expect(delay, `scheduled delay after attempt ${n + 1}`).toBeLessThanOrEqual(full + 100);
      expect(gaps[n], `gap before attempt ${n + 2}`).toBeGreaterThanOrEqual(delay - 20);
    });
    expect((await deliveries(`eventId=${eventId}`)).map((d) => d.webhookId)).toContain(hookId);
  });

  it('gives up on a hanging endpoint after its read timeout and records why', async () => {
    const r = await receiver();
    r.respondWith({ hang: true });
    const hookId = await createHook({ url: r.url, readTimeout: 300, eventsEnabled: { 'user.create': true }, deliveryPolicy: { maxAttempts: 1 } });
    const user = await createUser();
    const event = (await r.waitFor((all) => forUser(user.id!)(all).length >= 1)).find((g) => g.body.event.user.id === user.id)!;
    const [log] = await waitForDeliveries(`webhookId=${hookId}&eventId=${event.body.event.id}`, (all) => all[0]?.state === 'failed');
    expect(log.attempts[0].error).toMatch(/read timeout/);
    expect(log.attempts[0].latencyMs).toBeGreaterThanOrEqual(250);
  });

  it('a dead endpoint delays neither user creates nor another endpoint', async () => {
    const dead = await receiver();
    dead.respondWith({ hang: true });
    const healthy = await receiver();
    await createHook({ url: dead.url, readTimeout: 5_000, eventsEnabled: { 'user.create': true }, deliveryPolicy: { maxAttempts: 50, initialDelayMs: 10 } });
    await createHook({ url: healthy.url, eventsEnabled: { 'user.create': true } });
    const started = Date.now();
    const timings: number[] = [];
    const users = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const t = Date.now();
        const user = await createUser();
        timings.push(Date.now() - t);
        return user;
      }),
    );
    const ids = new Set(users.map((u) => u.id));
    await healthy.waitFor((all) => all.filter((g) => ids.has(g.body?.event?.user?.id)).length >= 20, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(Math.max(...timings)).toBeLessThan(3_000);
    expect(dead.received.length).toBeGreaterThan(0);
  });

  it('delivers the events of one user in log order, under concurrency and random failures', async () => {
    const r = await receiver();
    const accepted: ReceivedRequest[] = [];
    r.respondWith((request) => {
      if (Math.random() < 0.3) return 500;
      accepted.push(request);
      return 200;
    });
    await createHook({ url: r.url, eventsEnabled: { 'user.create': true, 'user.login.success': true, 'user.login.failed': true }, deliveryPolicy: { maxAttempts: 30, initialDelayMs: 10, maxDelayMs: 40 } });
    const users = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const user = await createUser(undefined, 'ordered-pass-1');
        for (let i = 0; i < 6; i++) {
          if (i % 3 === 2) await failure(client.login({ loginId: user.email!, password: 'not-the-password' }));
          else await client.login({ loginId: user.email!, password: 'ordered-pass-1' });
        }
        return user;
      }),
    );
    await r.waitFor(() => users.every((u) => accepted.filter((a) => a.body.event.user?.id === u.id).length >= 7), 20_000);
    // The log order, as the pull API reports it, is the order each user's events must arrive in.
    const page = await rawRequest(`${svc.url}/api/events?limit=1000&type=user.create,user.login.success,user.login.failed`, { apiKey: svc.apiKey });
    for (const user of users) {
      const expected = page.body.events.filter((e: any) => e.event.user?.id === user.id).map((e: any) => e.event.id);
      expect(expected).toHaveLength(7);
      expect(accepted.filter((a) => a.body.event.user?.id === user.id).map((a) => a.body.event.id)).toEqual(expected);
    }
  });
});

describe('delivery log and redelivery', () => {
  it('redelivers one failed event, then every failed event of a time range', async () => {
    const r = await receiver();
    r.respondWith(500);
    const hookId = await createHook({ url: r.url, eventsEnabled: { 'user.create': true }, deliveryPolicy: { maxAttempts: 2, initialDelayMs: 20 } });
    const start = Date.now();
    const users = [await createUser(), await createUser(), await createUser()];
    const failed = await waitForDeliveries(`webhookId=${hookId}&state=failed`, (all) => all.length === 3);
    expect(failed.every((d) => d.attemptCount === 2 && d.attempts.every((a: any) => a.status === 500))).toBe(true);
    r.respondWith(200);

    const one = failed[0]!;
    const redelivered = await rawRequest(`${svc.url}/api/webhook-delivery/redeliver`, {
      method: 'POST',
      apiKey: svc.apiKey,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ webhookId: hookId, eventId: one.eventId }),
    });
    expect(redelivered.status).toBe(200);
    const [after] = await waitForDeliveries(`webhookId=${hookId}&eventId=${one.eventId}`, (all) => all[0]?.state === 'delivered');
    expect(after.redeliveryCount).toBe(1);
    expect(after.attempts.at(-1)).toMatchObject({ attempt: 1, outcome: 'delivered', status: 200 });

    const range = await rawRequest(`${svc.url}/api/webhook-delivery/redeliver`, {
      method: 'POST',
      apiKey: svc.apiKey,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ webhookId: hookId, start, end: Date.now() }),
    });
    expect(range.status).toBe(200);
    expect(range.body.redelivered).toHaveLength(2);
    await waitForDeliveries(`webhookId=${hookId}`, (all) => all.length === 3 && all.every((d) => d.state === 'delivered'));
    const ids = new Set(users.map((u) => u.id));
    const ok = r.received.filter((g) => ids.has(g.body.event.user.id));
    expect(ok).toHaveLength(3 * 2 + 3);
  });

  it('answers bad delivery-log and redelivery input with 400 and the Errors JSON', async () => {
    const get = (q: string) => rawRequest(`${svc.url}/api/webhook-delivery${q}`, { apiKey: svc.apiKey });
    expect((await get('')).body.fieldErrors.webhookId[0].code).toBe('[missing]webhookId');
    expect((await get('?webhookId=nope')).body.fieldErrors.webhookId[0].code).toBe('[invalid]webhookId');
    expect((await get(`?webhookId=${randomUUID()}&state=lost`)).status).toBe(400);
    expect((await get(`?webhookId=${randomUUID()}&start=yesterday`)).body.fieldErrors.start[0].code).toBe('[couldNotConvert]start');
    const post = (body: string) => rawRequest(`${svc.url}/api/webhook-delivery/redeliver`, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body });
    expect((await post('{"webhookId":')).body.generalErrors[0].code).toBe('[invalidJSON]');
    expect((await post('{}')).body.fieldErrors.start[0].code).toBe('[missing]start');
    expect((await post(JSON.stringify({ eventId: randomUUID() }))).body.fieldErrors.webhookId[0].code).toBe('[missing]webhookId');
    expect((await post(JSON.stringify({ webhookId: 7, start: 'a', end: 1 }))).status).toBe(400);
    expect((await post(JSON.stringify({ webhookId: randomUUID(), eventId: randomUUID() }))).status).toBe(404);
  });
});

describe('transactional events', () => {
  it('refuses a create with 504 when the webhooks do not accept it, and persists nothing', async () => {
    const r = await receiver();
    r.respondWith(500);
    const tenant = await svc.client.createTenant(null as unknown as string, {
      tenant: { name: `tx-${randomUUID()}`, eventConfiguration: { events: { 'user.create': { enabled: true, transactionType: 'AllMustSucceed' } } } } as never,
    });
    const tenantId = tenant.response.tenant!.id!;
    const txClient = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
    await createHook({ url: r.url, global: false, tenantIds: [tenantId], eventsEnabled: { 'user.create': true, 'user.create.complete': true } });
    const email = `tx-${randomUUID()}@example.com`;
    const refused = await failure(txClient.createUser(null as unknown as string, { user: { email, password: 'password-123' } }));
    expect(refused.statusCode).toBe(504);
    expect(refused.exception.generalErrors[0].code).toBe('[WebhookTransactionException]');
    expect((await failure(txClient.retrieveUserByEmail(email))).statusCode).toBe(404);
    expect(r.received).toHaveLength(1);
    expect(validate(r.received[0]!.body)).toEqual([]);
    const logged = await rawRequest(`${svc.url}/api/events?limit=1000&type=user.create&tenantId=${tenantId}`, { apiKey: svc.apiKey });
    expect(logged.body.events).toHaveLength(0);

    // Accepted: the user exists; user.create is not sent twice, user.create.complete follows after the fact.
    r.respondWith(200);
    const created = await txClient.createUser(null as unknown as string, { user: { email, password: 'password-123' } });
    expect(created.statusCode).toBe(200);
    await r.waitFor((all) => all.some((g) => g.body.event.type === 'user.create.complete' && g.body.event.user.email === email));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(r.received.map((g) => g.body.event.type).sort()).toEqual(['user.create', 'user.create', 'user.create.complete']);
  });
});
