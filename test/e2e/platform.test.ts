/**
 * The thin slice through every part of the platform, over HTTP with FusionAuth's own client:
 * create → event → views → retrieve; login → JWT verified against the JWKS; a webhook configured
 * through the Webhook API delivered through the job queue to a receiver on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { randomUUID } from 'node:crypto';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let receiver: WebhookReceiver;

beforeAll(async () => {
  svc = await startTestService();
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await svc?.destroy();
});

describe('service shell', () => {
  it('answers /api/status with 200 once ready', async () => {
    const status = await rawRequest(`${svc.url}/api/status`);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('ok');
  });

  it('refuses a missing or wrong API key with 401', async () => {
    expect((await rawRequest(`${svc.url}/api/user/${randomUUID()}`)).status).toBe(401);
    expect((await rawRequest(`${svc.url}/api/user/${randomUUID()}`, { apiKey: 'not-a-key-of-this-server' })).status).toBe(401);
  });

  it('answers unknown routes with 404', async () => {
    expect((await rawRequest(`${svc.url}/api/does-not-exist`, { apiKey: svc.apiKey })).status).toBe(404);
  });

  it('answers malformed JSON with 400 and the Errors JSON', async () => {
    const response = await rawRequest(`${svc.url}/api/user`, {
      method: 'POST',
      apiKey: svc.apiKey,
      headers: { 'Content-Type': 'application/json' },
      body: '{"user": {"email": ',
    });
    expect(response.status).toBe(400);
    expect(response.body.generalErrors[0].code).toBe('[invalidJSON]');
  });

  it('answers a body over the limit with 413 and the Errors JSON', async () => {
    const response = await rawRequest(`${svc.url}/api/user`, {
      method: 'POST',
      apiKey: svc.apiKey,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: { email: 'big@example.com', password: 'password123', data: { blob: 'x'.repeat(2_000_000) } } }),
    });
    expect(response.status).toBe(413);
    expect(response.body.generalErrors[0].code).toBe('[tooLarge]');
  });

  it('serves the default tenant created on first start', async () => {
    const response = await svc.client.retrieveTenants();
    expect(response.response.tenants?.map((t) => t.name)).toContain('Default');
  });
});

describe('users and login (the thin slice)', () => {
  it('creates a user, reads it by id and by email, and logs in with a JWT that verifies against the JWKS', async () => {
    const email = `Slice.${randomUUID()}@Example.com`;
    const created = await svc.client.createUser(null as unknown as string, {
      user: { email, username: `slice-${randomUUID()}`, password: 'correct horse battery', data: { plan: 'pro' } },
    });
    expect(created.statusCode).toBe(200);
    const user = created.response.user!;
    expect(user.email).toBe(email.toLowerCase());
    expect(user.data).toEqual({ plan: 'pro' });
    expect(user).not.toHaveProperty('password');

    const byId = await svc.client.retrieveUser(user.id!);
    expect(byId.response.user?.email).toBe(email.toLowerCase());
    const byEmail = await svc.client.retrieveUserByEmail(email.toUpperCase());
    expect(byEmail.response.user?.id).toBe(user.id);

    const login = await svc.client.login({ loginId: email, password: 'correct horse battery' });
    expect(login.statusCode).toBe(200);
    expect(login.response.user?.id).toBe(user.id);
    const jwks = createRemoteJWKSet(new URL(`${svc.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(login.response.token!, jwks);
    expect(payload.sub).toBe(user.id);
    expect(payload.email).toBe(email.toLowerCase());
    expect(payload.tid).toBe(user.tenantId);
    expect(login.response.tokenExpirationInstant).toBe((payload.exp as number) * 1000);

    const after = await svc.client.retrieveUser(user.id!);
    expect(after.response.user?.lastLoginInstant).toBeGreaterThanOrEqual(user.insertInstant!);
  });

  it('creates a user with a given id through POST /api/user/{id}', async () => {
    const id = randomUUID();
    const created = await svc.client.createUser(id, { user: { email: `${id}@example.com`, password: 'password-123' } });
    expect(created.response.user?.id).toBe(id);
    expect((await failure(svc.client.createUser(id, { user: { email: `other-${id}@example.com`, password: 'password-123' } }))).statusCode).toBe(400);
  });

  it('answers 404 to a wrong password and to an unknown loginId', async () => {
    const email = `wrong-${randomUUID()}@example.com`;
    await svc.client.createUser(null as unknown as string, { user: { email, password: 'the right one' } });
    expect((await failure(svc.client.login({ loginId: email, password: 'the wrong one' }))).statusCode).toBe(404);
    expect((await failure(svc.client.login({ loginId: `nobody-${randomUUID()}@example.com`, password: 'whatever1' }))).statusCode).toBe(404);
  });

  it('returns 404 for a user that does not exist', async () => {
    expect((await failure(svc.client.retrieveUser(randomUUID()))).statusCode).toBe(404);
    expect((await failure(svc.client.retrieveUserByEmail(`nobody-${randomUUID()}@example.com`))).statusCode).toBe(404);
  });

  it('reports validation errors as FusionAuth field errors', async () => {
    const missing = await failure(svc.client.createUser(null as unknown as string, { user: { password: 'password-123' } }));
    expect(missing.statusCode).toBe(400);
    expect(missing.exception.fieldErrors['user.email'][0].code).toBe('[blank]user.email');
    const short = await failure(svc.client.createUser(null as unknown as string, { user: { email: `s-${randomUUID()}@example.com`, password: 'short' } }));
    expect(short.exception.fieldErrors['user.password'][0].code).toBe('[tooShort]user.password');
    const wrongType = await rawRequest(`${svc.url}/api/user`, {
      method: 'POST',
      apiKey: svc.apiKey,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user: { email: 42, password: ['x'] } }),
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.fieldErrors['user.email'][0].code).toBe('[couldNotConvert]user.email');
  });
});

describe('webhooks through the job queue', () => {
  it('delivers user.create configured through the Webhook API to a receiver on loopback, in FusionAuth body shape', async () => {
    const webhook = await svc.client.createWebhook(null as unknown as string, {
      webhook: { url: receiver.url, eventsEnabled: { 'user.create': true }, global: true, headers: { 'X-Test': 'slice' } } as never,
    });
    expect(webhook.statusCode).toBe(200);
    const email = `hooked-${randomUUID()}@example.com`;
    const created = await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123' } });
    const requests = await receiver.waitFor((all) => all.some((r) => r.body?.event?.user?.email === email));
    const delivery = requests.find((r) => r.body?.event?.user?.email === email)!;
    expect(delivery.headers['content-type']).toContain('application/json');
    expect(delivery.headers['x-test']).toBe('slice');
    expect(delivery.body.event).toMatchObject({
      type: 'user.create',
      tenantId: created.response.user!.tenantId,
      user: { id: created.response.user!.id, email, active: true },
    });
    expect(typeof delivery.body.event.id).toBe('string');
    expect(typeof delivery.body.event.createInstant).toBe('number');
    // Neither the plaintext nor the stored hash leaves the service.
    expect(delivery.rawBody).not.toContain('password-123');
    expect(delivery.rawBody).not.toMatch(/"(password|hash|salt|encryptionScheme)"\s*:/);
  });
});
