/**
 * Tenant isolation on EVERY route of the app, generated from the route table
 * (test/support/route-table.ts). Tenant B holds a user (with a password, a refresh token, a pending
 * two-factor login, a change-password id, a verification id, a passwordless code), an application
 * and an API key; tenant A holds a key locked to A. Each route is classified by what it addresses,
 * and called with A's key aimed at B's objects and secrets — by path, body and query:
 *
 * - `denied`: the route addresses one of B's objects or secrets, so it must refuse (4xx);
 * - `global`: the route manages a global object (tenants, webhooks, keys, identity providers,
 *   reindex), which a tenant-locked key may not touch (401);
 * - `filtered`: the route lists, searches, streams or acts on the caller's own tenant; it may answer
 *   2xx but must show nothing of B;
 * - `public`: the route serves no tenant data at all (status, JWKS, event schemas, magic-link page).
 *
 * Every answer must be free of B's markers (names only B's objects carry, B's key and tokens). Every
 * /api route is also called with `X-FusionAuth-TenantId: B` and A's key: always 401. Afterwards B's
 * objects read exactly as before, its refresh token still works, and A's user is registered to
 * nothing of B. A route the classifier does not know fails the suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { decodeJwt } from 'jose';
import { startTestService, type TestService } from '../support/harness.js';
import { routeTable, type RouteEntry } from '../support/route-table.js';
import { send, type RawAnswer } from '../support/hostile.js';

type Kind = 'denied' | 'global' | 'filtered' | 'public';

/**
 * What each route addresses. Keys are `METHOD path` exactly as the router declares them. A new
 * route must be added here (and thought about) before the suite passes.
 */
const CLASSIFIER: Record<string, Kind> = {
  // No tenant data.
  'GET /api/status': 'public',
  'GET /api/status/live': 'public',
  'GET /.well-known/jwks.json': 'public',
  'GET /api/event-schema': 'public',
  'GET /api/event-schema/:type': 'public',
  'GET /passwordless/link': 'public',
  'POST /passwordless/link': 'public',
  'GET /api/two-factor/secret': 'public',
  'GET /api/openapi.json': 'public',
  'GET /api/prometheus/metrics': 'filtered',
  // Global objects: a tenant-locked key is refused.
  'GET /api/key': 'global',
  'GET /api/system/event-log/:id': 'global',
  'GET /api/system/event-log/search': 'global',
  'POST /api/system/event-log/search': 'global',
  'GET /api/key/:id': 'global',
  'POST /api/key/generate': 'global',
  'POST /api/key/generate/:id': 'global',
  'POST /api/key': 'global',
  'POST /api/key/import': 'global',
  'POST /api/key/import/:id': 'global',
  'PUT /api/key/:id': 'global',
  'DELETE /api/key/:id': 'global',
  'POST /api/identity-provider': 'global',
  'POST /api/identity-provider/:id': 'global',
  'GET /api/identity-provider': 'global',
  'GET /api/identity-provider/:id': 'global',
  'PUT /api/identity-provider': 'global',
  'PUT /api/identity-provider/:id': 'global',
  'PATCH /api/identity-provider': 'global',
  'PATCH /api/identity-provider/:id': 'global',
  'DELETE /api/identity-provider': 'global',
  'DELETE /api/identity-provider/:id': 'global',
  'POST /api/webhook': 'global',
  'POST /api/webhook/:id': 'global',
  'GET /api/webhook': 'global',
  'GET /api/webhook/:id': 'global',
  'PUT /api/webhook/:id': 'global',
  'PATCH /api/webhook/:id': 'global',
  'DELETE /api/webhook/:id': 'global',
  'GET /api/webhook-delivery': 'global',
  'POST /api/webhook-delivery/redeliver': 'global',
  'POST /api/system/reindex': 'global',
  'GET /api/system/reindex': 'global',
  'POST /api/email/template': 'global',
  'POST /api/email/template/:id': 'global',
  'GET /api/email/template': 'global',
  'GET /api/email/template/:id': 'global',
  'PUT /api/email/template/:id': 'global',
  'PATCH /api/email/template/:id': 'global',
  'DELETE /api/email/template/:id': 'global',
  'POST /api/tenant': 'global',
  'POST /api/tenant/:id': 'global',
  // Tenants: a locked key sees its own only.
  'GET /api/tenant': 'filtered',
  'GET /api/tenant/:id': 'denied',
  'PUT /api/tenant/:id': 'denied',
  'PATCH /api/tenant/:id': 'denied',
  'DELETE /api/tenant/:id': 'denied',
  // B's application and API key by id; lists filtered; creates land in A or are refused.
  'POST /api/application': 'filtered',
  'POST /api/application/:id': 'denied',
  'GET /api/application': 'filtered',
  'GET /api/application/:id': 'denied',
  'PUT /api/application/:id': 'denied',
  'PATCH /api/application/:id': 'denied',
  'DELETE /api/application/:id': 'denied',
  'POST /api/api-key': 'denied',
  'POST /api/api-key/:id': 'denied',
  'GET /api/api-key': 'filtered',
  'GET /api/api-key/:id': 'denied',
  'PUT /api/api-key/:id': 'denied',
  'PATCH /api/api-key/:id': 'denied',
  'DELETE /api/api-key/:id': 'denied',
  // B's user by id, email, username, loginId.
  'POST /api/user': 'filtered',
  'POST /api/user/:userId': 'denied',
  'GET /api/user': 'denied',
  'GET /api/user/:userId': 'denied',
  'PUT /api/user/:userId': 'denied',
  'PATCH /api/user/:userId': 'denied',
  'DELETE /api/user/:userId': 'denied',
  'GET /api/user/:userId/history': 'denied',
  'GET /api/user/recent-login': 'filtered',
  'POST /api/user/registration': 'denied',
  'POST /api/user/registration/:userId': 'denied',
  'GET /api/user/registration/:userId/:applicationId': 'denied',
  'PUT /api/user/registration/:userId': 'denied',
  'PATCH /api/user/registration/:userId': 'denied',
  'DELETE /api/user/registration/:userId/:applicationId': 'denied',
  'POST /api/user/two-factor/recovery-code/:userId': 'denied',
  'POST /api/user/two-factor/:userId': 'denied',
  'DELETE /api/user/two-factor/:userId': 'denied',
  'PUT /api/login/:userId': 'denied',
  'PUT /api/login/:userId/:applicationId': 'denied',
  'PUT /api/login': 'denied',
  // Search, bulk and import act on the caller's tenant.
  'GET /api/user/search': 'filtered',
  'POST /api/user/search': 'filtered',
  'PUT /api/user/search': 'filtered',
  'DELETE /api/user/bulk': 'filtered',
  'POST /api/user/import': 'filtered',
  'POST /api/user/refresh-token/import': 'denied',
  'GET /api/system/login-record/search': 'filtered',
  'POST /api/system/login-record/search': 'filtered',
  'GET /api/system/login-record/export': 'filtered',
  'POST /api/system/login-record/export': 'filtered',
  'GET /api/events': 'filtered',
  'GET /api/event-stream': 'filtered',
  // B's secrets presented with A's key.
  'POST /api/login': 'denied',
  'POST /api/logout': 'filtered',
  'POST /api/jwt/refresh': 'denied',
  'GET /api/jwt/validate': 'denied',
  'GET /api/jwt/refresh': 'denied',
  'GET /api/jwt/refresh/:tokenId': 'denied',
  // Revoking B's token with A's key answers like revoking an unknown token (200) and revokes nothing:
  // the token list is in B's snapshot and B's token must still refresh at the end.
  'DELETE /api/jwt/refresh': 'filtered',
  'DELETE /api/jwt/refresh/:tokenId': 'filtered',
  'POST /api/two-factor/send/:twoFactorId': 'denied',
  'POST /api/two-factor/login': 'denied',
  'POST /api/passwordless/start': 'denied',
  'POST /api/passwordless/send': 'denied',
  'POST /api/passwordless/login': 'denied',
  'POST /api/user/verify-email': 'denied',
  'POST /api/user/verify-email/:verificationId': 'denied',
  'PUT /api/user/verify-email': 'denied',
  'POST /api/user/forgot-password': 'denied',
  'POST /api/user/change-password': 'denied',
  'POST /api/user/change-password/:changePasswordId': 'denied',
  'GET /api/user/change-password': 'denied',
  'GET /api/user/change-password/:changePasswordId': 'denied',
  // Identity providers: logins and links are tenant scoped.
  'POST /api/identity-provider/login': 'denied',
  'POST /api/identity-provider/start': 'filtered',
  'GET /api/identity-provider/lookup': 'filtered',
  'GET /api/identity-provider/link': 'filtered',
  'POST /api/identity-provider/link': 'denied',
  'DELETE /api/identity-provider/link': 'filtered',
};

let svc: TestService;
let routes: RouteEntry[];
const mark = `isolation-${randomBytes(6).toString('hex')}`;
const b = {
  tenantId: '',
  applicationId: '',
  userId: '',
  twoFactorUserId: '',
  email: `b-${randomUUID()}@example.com`,
  username: `b-${randomBytes(6).toString('hex')}`,
  password: 'tenant B password 1',
  apiKey: `b-key-${randomBytes(24).toString('hex')}`,
  apiKeyId: '',
  accessToken: '',
  refreshToken: '',
  refreshTokenId: '',
  twoFactorId: '',
  changePasswordId: '',
  verificationId: '',
  passwordlessCode: '',
};
const a = { tenantId: '', applicationId: '', userId: '', apiKey: `a-key-${randomBytes(24).toString('hex')}` };
/** Values only B's objects carry: none of them may appear in an answer to A's key. */
let markers: string[];
const counts: Record<Kind, number> = { denied: 0, global: 0, filtered: 0, public: 0 };

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return send(`${svc.url}${path}`, method, {
    headers: { Authorization: svc.apiKey, 'Content-Type': 'application/json', ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function ok(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
  const answer = await api(method, path, body, headers);
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
  return answer.text ? JSON.parse(answer.text) : undefined;
}

beforeAll(async () => {
  svc = await startTestService();
  routes = routeTable(svc.service);
  a.tenantId = (await ok('GET', '/api/tenant')).tenants[0].id;
  b.tenantId = (await ok('POST', '/api/tenant', { tenant: { name: `${mark}-tenant` } })).tenant.id;
  const asB = { 'X-FusionAuth-TenantId': b.tenantId };
  const asA = { 'X-FusionAuth-TenantId': a.tenantId };
  b.applicationId = (
    await ok('POST', '/api/application', { application: { name: `${mark}-app`, roles: [{ name: `${mark}-role` }], loginConfiguration: { generateRefreshTokens: true }, passwordlessConfiguration: { enabled: true } } }, asB)
  ).application.id;
  a.applicationId = (await ok('POST', '/api/application', { application: { name: 'tenant A app', passwordlessConfiguration: { enabled: true } } }, asA)).application.id;
  b.userId = (
    await ok('POST', '/api/user/registration', { user: { email: b.email, username: b.username, password: b.password, firstName: `${mark}-first`, data: { note: `${mark}-data` } }, registration: { applicationId: b.applicationId, roles: [`${mark}-role`] }, skipVerification: true }, asB)
  ).user.id;
  const secret = randomBytes(20).toString('base64');
  b.twoFactorUserId = (await ok('POST', '/api/user', { user: { email: `b2-${randomUUID()}@example.com`, password: b.password, lastName: `${mark}-last`, twoFactor: { methods: [{ method: 'authenticator', secret }] } }, skipVerification: true }, asB)).user.id;
  a.userId = (await ok('POST', '/api/user', { user: { email: `a-${randomUUID()}@example.com`, password: 'tenant A password 1' }, skipVerification: true }, asA)).user.id;
  b.apiKeyId = (await ok('POST', '/api/api-key', { apiKey: { key: b.apiKey, tenantId: b.tenantId, metaData: { attributes: { description: `${mark}-key` } } } })).apiKey.id;
  await ok('POST', '/api/api-key', { apiKey: { key: a.apiKey, tenantId: a.tenantId } });

  const login = await ok('POST', '/api/login', { loginId: b.email, password: b.password, applicationId: b.applicationId }, asB);
  b.accessToken = login.token;
  b.refreshToken = login.refreshToken;
  b.refreshTokenId = login.refreshTokenId ?? (await ok('GET', `/api/jwt/refresh?userId=${b.userId}`, undefined, asB)).refreshTokens[0].id;
  const challenged = await api('POST', '/api/login', { loginId: (await ok('GET', `/api/user/${b.twoFactorUserId}`, undefined, asB)).user.email, password: b.password }, asB);
  expect(challenged.status).toBe(242);
  b.twoFactorId = JSON.parse(challenged.text).twoFactorId;
  b.changePasswordId = (await ok('POST', '/api/user/forgot-password', { loginId: b.email, sendForgotPasswordEmail: false }, asB)).changePasswordId;
  b.verificationId = (await ok('PUT', `/api/user/verify-email?email=${encodeURIComponent(b.email)}&sendVerifyEmail=false`, undefined, asB)).verificationId;
  b.passwordlessCode = (await ok('POST', '/api/passwordless/start', { applicationId: b.applicationId, loginId: b.email }, asB)).code;
  for (const [name, value] of Object.entries(b)) if (!value) throw new Error(`setup: no ${name}`);
  markers = [mark, b.apiKey, b.refreshToken, b.accessToken, b.passwordlessCode, b.changePasswordId, b.verificationId, b.twoFactorId];
});
afterAll(async () => {
  await svc?.destroy();
});

/** Everything the suite must leave untouched in B, read with the superuser key. */
async function snapshotB() {
  const asB = { 'X-FusionAuth-TenantId': b.tenantId };
  const strip = (text: string) => text.replace(/"(lastLoginInstant|lastUpdateInstant)":\d+/g, '');
  return {
    user: (await api('GET', `/api/user/${b.userId}`, undefined, asB)).text,
    twoFactorUser: (await api('GET', `/api/user/${b.twoFactorUserId}`, undefined, asB)).text,
    tenant: strip((await api('GET', `/api/tenant/${b.tenantId}`)).text),
    application: (await api('GET', `/api/application/${b.applicationId}`)).text,
    apiKey: (await api('GET', `/api/api-key/${b.apiKeyId}`)).text,
    refreshTokens: (await api('GET', `/api/jwt/refresh?userId=${b.userId}`, undefined, asB)).text,
    users: (await api('POST', '/api/user/search', { search: { queryString: '*', numberOfResults: 100 } }, asB)).text,
    // Nothing may be created in B either: its applications and API keys, by id.
    applications: (JSON.parse((await api('GET', '/api/application')).text).applications as { id: string; tenantId: string }[]).filter((x) => x.tenantId === b.tenantId).map((x) => x.id).sort(),
    apiKeys: (JSON.parse((await api('GET', '/api/api-key')).text).apiKeys as { id: string; tenantId?: string }[]).filter((x) => x.tenantId === b.tenantId).map((x) => x.id).sort(),
  };
}

/** B's object for each path parameter name. */
function param(route: RouteEntry, name: string): string {
  const resource = route.path.split('/')[2];
  switch (name) {
    case 'userId':
      return b.userId;
    case 'applicationId':
      return b.applicationId;
    case 'tokenId':
      return b.refreshTokenId;
    case 'twoFactorId':
      return b.twoFactorId;
    case 'verificationId':
      return b.verificationId;
    case 'changePasswordId':
      return b.changePasswordId;
    case 'type':
      return 'user.create';
    case 'id':
      if (resource === 'tenant') return b.tenantId;
      if (resource === 'application') return b.applicationId;
      if (resource === 'api-key') return b.apiKeyId;
      return randomUUID();
    default:
      throw new Error(`${route.method} ${route.path}: no tenant-B value for :${name}`);
  }
}

/** A body naming B's objects and secrets in every field a route might read. */
function bodyFor(route: RouteEntry, variant: 'b' | 'a-user'): Record<string, unknown> {
  const userId = variant === 'b' ? b.userId : a.userId;
  return {
    loginId: b.email,
    password: b.password,
    currentPassword: b.password,
    applicationId: b.applicationId,
    userId,
    userIds: [b.userId],
    ids: [b.userId],
    code: route.path.includes('passwordless') ? b.passwordlessCode : route.path.includes('two-factor') ? '000000' : b.passwordlessCode,
    twoFactorId: b.twoFactorId,
    changePasswordId: b.changePasswordId,
    verificationId: b.verificationId,
    refreshToken: route.path === '/api/logout' ? undefined : b.refreshToken,
    token: b.accessToken,
    tenantId: b.tenantId,
    dryRun: true,
    query: JSON.stringify({ match_all: {} }),
    queryString: `${mark}*`,
    search: { ids: [b.userId], queryString: `${mark}*` },
    user: { email: `new-${randomUUID()}@example.com`, password: 'a new password 1', tenantId: b.tenantId, registrations: [{ applicationId: b.applicationId }] },
    registration: { applicationId: b.applicationId, roles: [`${mark}-role`] },
    application: { name: 'created by A', tenantId: b.tenantId },
    apiKey: { key: `x-${randomBytes(20).toString('hex')}`, tenantId: b.tenantId },
    users: [{ email: `imp-${randomUUID()}@example.com`, tenantId: b.tenantId, registrations: [{ applicationId: b.applicationId }] }],
    refreshTokens: [{ userId: b.userId, applicationId: b.applicationId, token: `rt-${randomBytes(20).toString('hex')}` }],
    identityProviderId: randomUUID(),
    identityProviderLink: { userId: b.userId, identityProviderId: randomUUID(), identityProviderUserId: 'x' },
    pendingIdPLinkId: randomUUID(),
    method: 'email',
    email: b.email,
    sendForgotPasswordEmail: false,
  };
}

function queryFor(route: RouteEntry, variant: 'b' | 'a-user'): string {
  const userId = variant === 'b' ? b.userId : a.userId;
  const pairs: [string, string][] = [
    ['userId', userId],
    ['applicationId', b.applicationId],
    ['email', b.email],
    ['username', b.username],
    ['loginId', b.email],
    ['ids', b.userId],
    ['queryString', `${mark}*`],
    ['verificationId', b.verificationId],
    ['changePasswordId', b.changePasswordId],
    ['sendVerifyEmail', 'false'],
    ['dryRun', 'true'],
    ['identityProviderId', randomUUID()],
    ['domain', 'example.com'],
    ['after', '0'],
  ];
  // The magic-link page takes the code as its authority (whoever holds the link); API routes must not.
  if (route.path.startsWith('/api/')) pairs.push(['code', b.passwordlessCode]);
  // Revoking by user id would be a legitimate revoke if it worked; B's token is checked afterwards.
  if (route.path === '/api/jwt/refresh' && route.method === 'DELETE') pairs.push(['token', b.refreshToken]);
  return pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

function leaks(answer: RawAnswer): string[] {
  let text = answer.text;
  if (answer.contentType.includes('zip')) text = unzipText(answer.raw);
  return markers.filter((m) => text.includes(m));
}

/** The text of every deflated or stored entry of a zip (login record exports). */
function unzipText(zip: Buffer): string {
  let out = '';
  for (let at = zip.indexOf('PK\x03\x04', 0, 'latin1'); at >= 0; at = zip.indexOf('PK\x03\x04', at + 4, 'latin1')) {
    const method = zip.readUInt16LE(at + 8);
    const size = zip.readUInt32LE(at + 18);
    const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
    const data = zip.subarray(start, start + size);
    out += method === 8 ? inflateRawSync(data).toString('utf8') : data.toString('utf8');
  }
  return out;
}

async function call(route: RouteEntry, variant: 'b' | 'a-user', extraHeaders: Record<string, string> = {}): Promise<RawAnswer> {
  const path = route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => encodeURIComponent(variant === 'a-user' && name === 'userId' ? a.userId : param(route, name)));
  const bearer = route.path === '/api/jwt/validate' || (route.path === '/api/login' && route.method === 'PUT');
  const headers: Record<string, string> = { Authorization: a.apiKey, 'Content-Type': 'application/json', ...extraHeaders };
  // The JWT routes read a Bearer token: B's token is presented with A's key in X-FusionAuth-TenantId scope.
  if (bearer) Object.assign(headers, { Authorization: `Bearer ${b.accessToken}`, 'X-FusionAuth-TenantId': a.tenantId });
  return send(`${svc.url}${path}?${queryFor(route, variant)}`, route.method, { headers, body: JSON.stringify(bodyFor(route, variant)) });
}

describe('tenant isolation on every route', () => {
  let before: Awaited<ReturnType<typeof snapshotB>>;

  it('classifies every route of the route table', () => {
    const unknown = routes.map((r) => `${r.method} ${r.path}`).filter((key) => !(key in CLASSIFIER));
    expect(unknown, 'routes the tenant-isolation classifier does not know: add them to CLASSIFIER').toEqual([]);
  });

  it("A's tenant-locked key cannot read, search, change or subscribe to B's anything", async () => {
    before = await snapshotB();
    const problems: string[] = [];
    for (const route of routes) {
      const kind = CLASSIFIER[`${route.method} ${route.path}`]!;
      for (const variant of ['b', 'a-user'] as const) {
        if (variant === 'a-user' && !/userId|user|login|registration|two-factor|passwordless|jwt/.test(route.path)) continue;
        const answer = await call(route, variant);
        counts[kind]++;
        // With A's own user in the path, the route may succeed — on A's user, without touching B.
        const expected: Kind = variant === 'a-user' && kind === 'denied' ? 'filtered' : kind;
        const where = `${route.method} ${route.path} [${kind}, ${variant}] → ${answer.status} ${answer.text.slice(0, 160)}`;
        if (answer.status >= 500) problems.push(`5xx: ${where}`);
        const leaked = leaks(answer);
        if (leaked.length > 0) problems.push(`leaks ${leaked.join(', ')}: ${where}`);
        if ((expected === 'denied' || expected === 'global') && answer.status < 400) problems.push(`not refused: ${where}`);
        if (expected === 'global' && answer.status !== 401) problems.push(`global object not 401: ${where}`);
        // A token issued to the caller must never be for B's application.
        for (const token of answer.text.match(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g) ?? []) {
          const claims = decodeJwt(token);
          if (claims.applicationId === b.applicationId || claims.aud === b.applicationId || claims.tid === b.tenantId) problems.push(`token for B: ${where}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every /api route refuses A\'s key asking for tenant B by header (401)', async () => {
    const problems: string[] = [];
    for (const route of routes.filter((r) => r.path.startsWith('/api/') && CLASSIFIER[`${r.method} ${r.path}`] !== 'public')) {
      const answer = await send(`${svc.url}${route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => param(route, name))}`, route.method, {
        headers: { Authorization: a.apiKey, 'X-FusionAuth-TenantId': b.tenantId, 'Content-Type': 'application/json' },
        body: JSON.stringify(bodyFor(route, 'b')),
      });
      if (answer.status !== 401) problems.push(`${route.method} ${route.path} → ${answer.status} ${answer.text.slice(0, 120)}`);
      if (leaks(answer).length > 0) problems.push(`${route.method} ${route.path} leaks`);
    }
    expect(problems).toEqual([]);
  });

  it("leaves B's objects as they were: B's refresh token still works, A's user is registered to nothing of B", async () => {
    expect(await snapshotB()).toEqual(before);
    const refreshed = await api('POST', '/api/jwt/refresh', { refreshToken: b.refreshToken });
    expect(refreshed.status).toBe(200);
    const aUser = JSON.parse((await api('GET', `/api/user/${a.userId}`)).text).user;
    expect(JSON.stringify(aUser.registrations ?? [])).not.toContain(b.applicationId);
    const usersOfB = JSON.parse((await api('POST', '/api/user/search', { search: { queryString: '*', numberOfResults: 100 } }, { 'X-FusionAuth-TenantId': b.tenantId })).text);
    expect(usersOfB.total).toBe(2);
    // The event stream (the request above reads only its headers): a second of it shows nothing of B.
    const controller = new AbortController();
    const stream = await fetch(`${svc.url}/api/event-stream`, { headers: { Authorization: a.apiKey }, signal: controller.signal });
    expect(stream.status).toBe(200);
    let seenText = '';
    const reader = stream.body!.getReader();
    const deadline = Date.now() + 1_500;
    while (Date.now() < deadline) {
      const next = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), deadline - Date.now()))]);
      if (!next || next.done) break;
      seenText += new TextDecoder().decode(next.value);
    }
    controller.abort();
    expect(seenText).toContain('user.create'); // A's own events do flow
    expect(markers.filter((m) => seenText.includes(m))).toEqual([]);
    expect(seenText).not.toContain(b.userId);
    console.log(`tenant isolation: ${routes.length} routes classified; requests ${JSON.stringify(counts)}`);
  });
});
