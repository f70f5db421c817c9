/**
 * Security headers on every route of the route table (successes and refusals alike), a CSP that
 * forbids framing on the HTML pages, and cookie attributes: HttpOnly and SameSite always, Secure
 * exactly when the request came over TLS — through a trusted proxy (`IDSTREAM_TRUST_PROXY=true` with
 * `X-Forwarded-Proto: https`), never because an untrusted client says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/harness.js';
import { routeTable, type RouteEntry } from '../support/route-table.js';
import { send, type RawAnswer } from '../support/hostile.js';

let proxied: TestService;
let direct: TestService;
let routes: RouteEntry[];

/** Public documents meant to be cached by clients (no tenant data): public keys, OpenAPI, event schemas. */
const CACHEABLE = new Set(['/.well-known/jwks.json', '/api/openapi.json', '/api/event-schema', '/api/event-schema/:type']);

async function setUp(svc: TestService) {
  const applicationId = randomUUID();
  await svc.client.createApplication(applicationId, {
    application: { name: `cookies-${applicationId.slice(0, 8)}`, loginConfiguration: { generateRefreshTokens: true }, passwordlessConfiguration: { enabled: true }, oauthConfiguration: { authorizedRedirectURLs: ['https://app.example.com/done'] } },
  });
  const email = `c-${randomUUID()}@example.com`;
  await svc.client.register(null as unknown as string, { user: { email, password: 'correct horse battery' }, registration: { applicationId } });
  return { applicationId, email };
}

beforeAll(async () => {
  [proxied, direct] = await Promise.all([startTestService({ env: { IDSTREAM_TRUST_PROXY: 'true' } }), startTestService()]);
  routes = routeTable(proxied.service);
});
afterAll(async () => {
  await Promise.all([proxied?.destroy(), direct?.destroy()]);
});

function headerProblems(answer: RawAnswer, where: string, path: string): string[] {
  const problems: string[] = [];
  if (answer.headers.get('x-content-type-options') !== 'nosniff') problems.push(`${where}: X-Content-Type-Options ${answer.headers.get('x-content-type-options')}`);
  if (answer.headers.get('referrer-policy') !== 'no-referrer') problems.push(`${where}: Referrer-Policy ${answer.headers.get('referrer-policy')}`);
  const cache = answer.headers.get('cache-control') ?? '';
  if (!CACHEABLE.has(path) && !cache.includes('no-store')) problems.push(`${where}: Cache-Control ${cache}`);
  if (answer.headers.get('x-powered-by')) problems.push(`${where}: X-Powered-By`);
  if (answer.contentType.startsWith('text/html')) {
    const csp = answer.headers.get('content-security-policy') ?? '';
    if (!/frame-ancestors 'none'/.test(csp) || !/default-src 'none'/.test(csp)) problems.push(`${where}: CSP ${csp}`);
  }
  return problems;
}

describe('security headers', () => {
  it('are on every route, with and without a valid key, on successes and refusals', async () => {
    const problems: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const path = route.path.replace(/:[A-Za-z]+/g, () => randomUUID());
      for (const key of [proxied.apiKey, 'not-a-key', undefined]) {
        const answer = await send(`${proxied.url}${path}`, route.method, { headers: { ...(key && { Authorization: key }), 'Content-Type': 'application/json' }, body: '{}' });
        checked++;
        problems.push(...headerProblems(answer, `${route.method} ${route.path} (${key === undefined ? 'no key' : key === proxied.apiKey ? 'key' : 'bad key'}) → ${answer.status}`, route.path));
      }
    }
    // The error paths that never reach a route: unknown path, malformed JSON, a body over the limit.
    for (const [what, answer] of [
      ['unknown path', await send(`${proxied.url}/api/nothing-here`, 'GET')],
      ['malformed JSON', await send(`${proxied.url}/api/user`, 'POST', { headers: { 'Content-Type': 'application/json' }, body: '{' })],
      ['too large', await send(`${proxied.url}/api/user`, 'POST', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(1_100_000) }) })],
    ] as const) {
      checked++;
      problems.push(...headerProblems(answer, what, '/api/x'));
    }
    expect(problems).toEqual([]);
    console.log(`security headers: ${checked} responses over ${routes.length} routes`);
  });

  it('the magic-link page forbids framing and sets its nonce cookie HttpOnly, SameSite=Strict, Secure behind TLS', async () => {
    const { applicationId, email } = await setUp(proxied);
    const { code } = (await proxied.client.startPasswordlessLogin({ applicationId, loginId: email })).response;
    const page = await send(`${proxied.url}/passwordless/link?code=${encodeURIComponent(code!)}`, 'GET', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(page.status).toBe(200);
    expect(page.contentType).toMatch(/^text\/html/);
    expect(headerProblems(page, 'magic link', '/passwordless/link')).toEqual([]);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const nonce = page.setCookies.find((c) => !c.startsWith('access_token') && !c.startsWith('refresh_token'))!;
    expect(nonce).toMatch(/HttpOnly/i);
    expect(nonce).toMatch(/SameSite=Strict/i);
    expect(nonce).toMatch(/;\s*Secure/i);
  });
});

describe('cookies', () => {
  const attributes = (cookies: string[], name: string) => {
    const line = cookies.find((c) => c.startsWith(`${name}=`));
    expect(line, `${name} cookie`).toBeDefined();
    return line!;
  };

  async function login(svc: TestService, headers: Record<string, string>) {
    const { applicationId, email } = await setUp(svc);
    return send(`${svc.url}/api/login`, 'POST', { headers: { Authorization: svc.apiKey, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ loginId: email, password: 'correct horse battery', applicationId }) });
  }

  it('behind a trusted TLS proxy: HttpOnly, SameSite, Secure on access, refresh and logout cookies', async () => {
    const answer = await login(proxied, { 'X-Forwarded-Proto': 'https' });
    expect(answer.status).toBe(200);
    for (const name of ['access_token', 'refresh_token']) {
      const line = attributes(answer.setCookies, name);
      expect(line).toMatch(/;\s*HttpOnly/i);
      expect(line).toMatch(/;\s*SameSite=(Lax|Strict)/i);
      expect(line).toMatch(/;\s*Secure/i);
    }
    const refreshToken = JSON.parse(answer.text).refreshToken;
    const logout = await send(`${proxied.url}/api/logout`, 'POST', { headers: { 'Content-Type': 'application/json', 'X-Forwarded-Proto': 'https', Cookie: `refresh_token=${refreshToken}` }, body: '{}' });
    expect(logout.status).toBe(200);
    for (const name of ['access_token', 'refresh_token']) {
      const line = attributes(logout.setCookies, name);
      expect(line).toMatch(/;\s*HttpOnly/i);
      expect(line).toMatch(/;\s*Secure/i);
      expect(line).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
    }
  });

  it('over plain HTTP through the trusted proxy: not Secure (the browser would drop it)', async () => {
    const answer = await login(proxied, { 'X-Forwarded-Proto': 'http' });
    const line = attributes(answer.setCookies, 'access_token');
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(line).not.toMatch(/;\s*Secure/i);
  });

  it('without a trusted proxy, a forged X-Forwarded-Proto does not make the request look like TLS', async () => {
    const answer = await login(direct, { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' });
    const line = attributes(answer.setCookies, 'access_token');
    expect(line).toMatch(/HttpOnly/i);
    expect(line).not.toMatch(/;\s*Secure/i);
  });
});
