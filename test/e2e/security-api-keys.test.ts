/**
 * API key endpoint permissions on every route of the route table: a key allowed one endpoint and
 * method gets 401 on every other route that needs a key; and the API Key API keeps keys from
 * raising their own authority (FusionAuth: "an API key can only be created with equal or lesser
 * authority"; retrieving, updating or deleting needs equal or greater permissions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/harness.js';
import { routeTable, type RouteEntry } from '../support/route-table.js';
import { send } from '../support/hostile.js';

/** FusionAuth's client skips a null id segment (an empty string would leave a trailing slash). */
const none = null as unknown as string;
let svc: TestService;
let routes: RouteEntry[];
let userId: string;
const limitedKey = `limited-${randomBytes(24).toString('hex')}`;

/**
 * Routes FusionAuth serves without an API key (the caller proves itself with a password, code,
 * token or id): a key without their permission changes nothing for them. All others need a key.
 */
const NO_KEY_NEEDED = new Set([
  'GET /api/status',
  'GET /api/status/live',
  'GET /.well-known/jwks.json',
  'GET /api/event-schema',
  'GET /api/event-schema/:type',
  'GET /api/openapi.json',
  'GET /passwordless/link',
  'POST /passwordless/link',
  'POST /api/login',
  'POST /api/logout',
  'PUT /api/login',
  'POST /api/jwt/refresh',
  'GET /api/jwt/validate',
  'POST /api/two-factor/login',
  'POST /api/two-factor/send/:twoFactorId',
  'GET /api/two-factor/secret',
  'POST /api/passwordless/send',
  'POST /api/passwordless/login',
  'POST /api/identity-provider/login',
  'POST /api/user/forgot-password',
  'POST /api/user/change-password',
  'POST /api/user/change-password/:changePasswordId',
  'GET /api/user/change-password',
  'GET /api/user/change-password/:changePasswordId',
  'POST /api/user/verify-email',
  'POST /api/user/verify-email/:verificationId',
  'PUT /api/user/verify-email',
  'GET /api/jwt/refresh',
  'DELETE /api/jwt/refresh',
  'DELETE /api/jwt/refresh/:tokenId',
  'GET /api/jwt/refresh/:tokenId',
  'POST /api/user/two-factor/:userId',
  'DELETE /api/user/two-factor/:userId',
  'POST /api/user/two-factor/recovery-code/:userId',
]);

/** What the limited key (`/api/user`: GET) may call. */
const ALLOWED = new Set(['GET /api/user', 'GET /api/user/:userId', 'GET /api/user/:userId/history']);

beforeAll(async () => {
  svc = await startTestService();
  routes = routeTable(svc.service);
  userId = (await svc.client.createUser(none, { user: { email: `k-${randomUUID()}@example.com`, password: 'correct horse battery' } })).response.user!.id!;
  await svc.client.createAPIKey(none, { apiKey: { key: limitedKey, permissions: { endpoints: { '/api/user': ['GET'] } } } });
});
afterAll(async () => {
  await svc?.destroy();
});

const raw = (method: string, path: string, key: string, body?: unknown) =>
  send(`${svc.url}${path}`, method, { headers: { Authorization: key, 'Content-Type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });

describe('endpoint permissions on every route', () => {
  it('a key allowed only GET /api/user gets 401 on every other route that needs a key', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      if (NO_KEY_NEEDED.has(key)) continue;
      const path = route.path.replace(/:[A-Za-z]+/g, () => userId);
      const answer = await raw(route.method, `${path}?userId=${userId}&email=x%40example.com`, limitedKey, {});
      checked++;
      if (ALLOWED.has(key)) {
        if (answer.status === 401) problems.push(`${key}: allowed but 401`);
      } else if (answer.status !== 401) {
        problems.push(`${key}: ${answer.status} ${answer.text.slice(0, 120)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(70);
    console.log(`endpoint permissions: ${checked} key-protected routes checked with a key limited to GET /api/user`);
  });

  it('routes that also serve callers without a key refuse a key without their permission (no key-only powers)', async () => {
    const email = JSON.parse((await raw('GET', `/api/user/${userId}`, svc.apiKey)).text).user.email as string;
    const attempts: [string, string, unknown][] = [
      ['POST', '/api/user/forgot-password', { loginId: email, sendForgotPasswordEmail: false }],
      ['PUT', `/api/user/verify-email?email=${encodeURIComponent(email)}&sendVerifyEmail=false`, undefined],
      ['POST', '/api/user/change-password', { loginId: email, password: 'taken over password' }],
      ['GET', `/api/user/change-password?loginId=${encodeURIComponent(email)}`, undefined],
      ['GET', `/api/jwt/refresh?userId=${userId}`, undefined],
      ['DELETE', `/api/jwt/refresh?userId=${userId}`, undefined],
      ['POST', `/api/user/two-factor/${userId}`, { method: 'email', email }],
      ['POST', `/api/user/two-factor/recovery-code/${userId}`, {}],
      ['POST', '/api/login', { loginId: email, password: 'correct horse battery' }],
    ];
    const problems: string[] = [];
    for (const [method, path, body] of attempts) {
      const answer = await raw(method, path, limitedKey, body);
      if (answer.status !== 401) problems.push(`${method} ${path} → ${answer.status} ${answer.text.slice(0, 120)}`);
    }
    expect(problems).toEqual([]);
    // The password is unchanged: the superuser can still log in with it.
    expect((await raw('POST', '/api/login', svc.apiKey, { loginId: email, password: 'correct horse battery' })).status).toBe(200);
  });

  it('the allowed endpoint works, and the same endpoint with another method does not', async () => {
    expect((await raw('GET', `/api/user/${userId}`, limitedKey)).status).toBe(200);
    expect((await raw('DELETE', `/api/user/${userId}`, limitedKey)).status).toBe(401);
    expect((await raw('PUT', `/api/user/${userId}`, limitedKey, { user: { email: 'x@example.com' } })).status).toBe(401);
  });
});

describe('keys cannot raise their own authority', () => {
  const managerKey = `manager-${randomBytes(24).toString('hex')}`;
  const manager = { '/api/api-key': ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], '/api/user': ['GET'] };

  it('a key managing API keys sees, changes and creates only keys with no more permissions than its own', async () => {
    await svc.client.createAPIKey(none, { apiKey: { key: managerKey, permissions: { endpoints: manager } } });
    const all = JSON.parse((await raw('GET', '/api/api-key', svc.apiKey)).text).apiKeys as { id: string; permissions?: unknown; key?: string }[];
    const superuser = all.find((k) => !k.permissions || Object.keys((k.permissions as { endpoints?: object }).endpoints ?? {}).length === 0)!;
    expect(superuser).toBeDefined();

    const visible = JSON.parse((await raw('GET', '/api/api-key', managerKey)).text).apiKeys as { id: string }[];
    expect(visible.map((k) => k.id)).not.toContain(superuser.id);
    expect((await raw('GET', `/api/api-key/${superuser.id}`, managerKey)).status).toBe(404);
    // The takeover: give the superuser key a value the manager knows.
    expect((await raw('PUT', `/api/api-key/${superuser.id}`, managerKey, { apiKey: { key: `taken-${randomBytes(20).toString('hex')}` } })).status).toBe(404);
    expect((await raw('PATCH', `/api/api-key/${superuser.id}`, managerKey, { apiKey: { key: `taken-${randomBytes(20).toString('hex')}` } })).status).toBe(404);
    expect((await raw('DELETE', `/api/api-key/${superuser.id}`, managerKey)).status).toBe(404);
    expect((await raw('GET', `/api/user/${userId}`, svc.apiKey)).status).toBe(200);

    // Creating a key without permissions (a superuser) or with more permissions is refused.
    expect((await raw('POST', '/api/api-key', managerKey, { apiKey: { key: `x-${randomBytes(20).toString('hex')}` } })).status).toBe(401);
    expect((await raw('POST', '/api/api-key', managerKey, { apiKey: { key: `x-${randomBytes(20).toString('hex')}`, permissions: { endpoints: { '/api/user': ['GET', 'DELETE'] } } } })).status).toBe(401);
    expect((await raw('POST', '/api/api-key', managerKey, { apiKey: { key: `x-${randomBytes(20).toString('hex')}`, permissions: { endpoints: { '/api/tenant': ['GET'] } } } })).status).toBe(401);
    // A lesser key is fine, and the manager may then widen it only up to its own permissions.
    const lesser = JSON.parse((await raw('POST', '/api/api-key', managerKey, { apiKey: { key: `x-${randomBytes(20).toString('hex')}`, permissions: { endpoints: { '/api/user': ['GET'] } } } })).text).apiKey;
    expect(lesser.id).toBeDefined();
    expect((await raw('PATCH', `/api/api-key/${lesser.id}`, managerKey, { apiKey: { permissions: { endpoints: { '/api/tenant': ['GET'] } } } })).status).toBe(401);
    expect((await raw('PUT', `/api/api-key/${lesser.id}`, managerKey, { apiKey: { permissions: { endpoints: {} } } })).status).toBe(401);
  });

  it('a tenant-locked key creates keys only for its own tenant', async () => {
    const other = (await svc.client.createTenant(none, { tenant: { name: `other-${randomUUID()}` } })).response.tenant!.id!;
    const own = (await svc.client.retrieveTenants()).response.tenants!.find((t) => t.id !== other)!.id!;
    const lockedKey = `locked-${randomBytes(24).toString('hex')}`;
    await svc.client.createAPIKey(none, { apiKey: { key: lockedKey, tenantId: own } });
    expect((await raw('POST', '/api/api-key', lockedKey, { apiKey: { key: `x-${randomBytes(20).toString('hex')}`, tenantId: other } })).status).toBe(401);
    const minted = JSON.parse((await raw('POST', '/api/api-key', lockedKey, { apiKey: { key: `x-${randomBytes(20).toString('hex')}` } })).text).apiKey;
    expect(minted.tenantId).toBe(own);
  });
});
