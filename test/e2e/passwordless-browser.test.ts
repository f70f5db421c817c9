/**
 * The magic link in a real browser (Debian's headless Chromium driven by playwright-core): a mail
 * scanner's GET, a prefetch and a cookieless POST consume nothing; the person presses the button and
 * lands on the application's redirect with a token that verifies against the JWKS; the link then
 * says it was used. A screenshot of the page is kept in test/artifacts/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { chromium, type Browser } from 'playwright-core';
import type { TestService } from '../support/harness.js';
import { passwordlessLinkOf, startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';
import { createPasswordlessApp, defaultTenantId, seedUser, startPasswordlessService } from '../support/passwordless-fixtures.js';

const artifacts = join(import.meta.dirname, '..', 'artifacts');

let smtp: SmtpCapture;
let svc: TestService;
let browser: Browser;
let appServer: Server;
let callbackUrl: string;

/**
 * Debian's chromium drives this suite. A machine without it (a laptop with only Node and npm) reports
 * the suite as SKIPPED, loudly; CI installs chromium and requires it (IDSTREAM_REQUIRE=CHROMIUM).
 */
const chromiumPath = '/usr/bin/chromium';
const chromiumAvailable = existsSync(chromiumPath);
if (!chromiumAvailable) {
  if ((process.env.IDSTREAM_REQUIRE ?? '').split(',').map((v) => v.trim()).includes('CHROMIUM')) {
    throw new Error(`${chromiumPath} is required in this run (IDSTREAM_REQUIRE) but missing`);
  }
  process.stderr.write(`\n*** SKIPPED: passwordless browser suite — install Debian's chromium (${chromiumPath}) to run it ***\n\n`);
}
const describeBrowser = describe.skipIf(!chromiumAvailable);

beforeAll(async () => {
  if (!chromiumAvailable) return;
  smtp = await startSmtpCapture();
  svc = await startPasswordlessService(smtp);
  // The application the login returns to: a plain page on loopback.
  appServer = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>App</title><h1>Back in the app</h1>'));
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', () => resolve()));
  callbackUrl = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}/callback`;
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--headless'] });
  mkdirSync(artifacts, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (appServer ? appServer.close(() => resolve()) : resolve()));
  await svc?.destroy();
  await smtp?.close();
});

async function emailedLink(appId: string, state: Record<string, unknown>): Promise<{ link: string; code: string; email: string; userId: string }> {
  const email = `browser-${randomUUID()}@example.com`;
  const userId = await seedUser(svc, { tenantId: await defaultTenantId(svc), email, registeredTo: [appId] });
  const sent = await fetch(`${svc.url}/api/passwordless/send`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ applicationId: appId, loginId: email, state }) });
  expect(sent.status).toBe(200);
  return { ...passwordlessLinkOf(await smtp.waitFor((m) => m.to.includes(email))), email, userId };
}

describeBrowser('magic link in a browser', () => {
  it('scanner GET, prefetch and cookieless POST consume nothing; the button logs in and redirects with a working token; the link is then used', async () => {
    const tenantId = await defaultTenantId(svc);
    const appId = await createPasswordlessApp(svc, { tenantId, redirectURLs: ['https://elsewhere.example/cb', callbackUrl] });
    const state = { redirect_uri: callbackUrl, state: 'CSRF123' };
    const { link, code, userId } = await emailedLink(appId, state);

    // 1. A mail scanner opens the link, a browser prefetches it, and a bot POSTs the form without the page's cookie.
    const scanned = await fetch(link, { headers: { 'User-Agent': 'SafeLinks-Scanner/1.0' } });
    expect(scanned.status).toBe(200);
    const html = await scanned.text();
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(await fetch(link, { headers: { 'Sec-Purpose': 'prefetch', Purpose: 'prefetch' } }).then((r) => r.status)).toBe(200);
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!.replace(/&amp;/g, '&');
    const forged = await fetch(new URL(action, svc.url), { method: 'POST', redirect: 'manual' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('could not be confirmed');
    const streamName = (await svc.service.adapters.eventStore.readAll()).find((e) => e.type === 'PasswordlessCodeIssued' && (e.data as { userId: string }).userId === userId)!.streamName;
    const events = await svc.service.adapters.eventStore.readStream(streamName);
    // Issued and sent (the worker may have recorded the delivery by now), never consumed.
    expect(events.map((e) => e.type).filter((t) => t !== 'PasswordlessEmailDelivered')).toEqual(['PasswordlessCodeIssued', 'PasswordlessCodeSent']);

    // 2. The person opens it: an accessible page with one button, no script.
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const shown = await page.goto(link);
    expect(shown?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toMatch(/^Sign in to Passwordless/);
    await page.screenshot({ path: join(artifacts, 'passwordless-magic-link.png'), fullPage: true });

    // 3. Pressing the button logs in and lands on the application's redirect with the result.
    await Promise.all([page.waitForURL((url) => url.href.startsWith(callbackUrl)), page.getByRole('button', { name: 'Sign in' }).click()]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Back in the app');
    const result = new URLSearchParams(new URL(page.url()).hash.slice(1));
    expect(result.get('status')).toBe('200');
    expect(result.get('userId')).toBe(userId);
    expect(JSON.parse(result.get('state')!)).toEqual(state);
    const jwks = createRemoteJWKSet(new URL(`${svc.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(result.get('token')!, jwks);
    expect(payload).toMatchObject({ sub: userId, applicationId: appId, authenticationType: 'PASSWORDLESS' });

    // 4. The link is now used: the page says so, and the API agrees.
    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    await expect(page.getByRole('status').textContent()).resolves.toContain('already been used');
    const reuse = await fetch(`${svc.url}/api/passwordless/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(reuse.status).toBe(404);
    await context.close();
  });

  it('a user with two-factor lands on the redirect with the twoFactorId (and state) to finish the login there', async () => {
    const tenantId = await defaultTenantId(svc);
    const appId = await createPasswordlessApp(svc, { tenantId, redirectURLs: [callbackUrl] });
    const email = `mfa-${randomUUID()}@example.com`;
    await seedUser(svc, { tenantId, email, registeredTo: [appId], extra: { twoFactor: { methods: [{ id: 'EM02', method: 'email', email }] } } });
    await fetch(`${svc.url}/api/passwordless/send`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ applicationId: appId, loginId: email, state: { s: 2 } }) });
    const { link } = passwordlessLinkOf(await smtp.waitFor((m) => m.to.includes(email)));
    // A browser without script: GET keeps the cookie, the form posts it back.
    const shown = await fetch(link);
    const cookie = shown.headers.get('set-cookie')!.split(';')[0]!;
    const action = /<form method="post" action="([^"]+)"/.exec(await shown.text())![1]!.replace(/&amp;/g, '&');
    const posted = await fetch(new URL(action, svc.url), { method: 'POST', headers: { Cookie: cookie }, redirect: 'manual' });
    expect(posted.status).toBe(303);
    const result = new URLSearchParams(new URL(posted.headers.get('location')!).hash.slice(1));
    expect(result.get('status')).toBe('242');
    expect(result.get('twoFactorId')).toBeTruthy();
    expect(result.get('token')).toBeNull();
    expect(JSON.parse(result.get('state')!)).toEqual({ s: 2 });
  });

  it('an expired link and an unknown link show clear messages and no button', async () => {
    const tenantId = await defaultTenantId(svc);
    const appId = await createPasswordlessApp(svc, { tenantId, redirectURLs: [callbackUrl] });
    const { link } = await emailedLink(appId, {});
    const ctx = svc.service.context;
    const realNow = ctx.now;
    const page = await browser.newPage();
    try {
      ctx.now = () => realNow() + 181_000;
      expect((await page.goto(link))?.status()).toBe(410);
      await expect(page.getByRole('status').textContent()).resolves.toContain('expired');
    } finally {
      ctx.now = realNow;
    }
    expect((await page.goto(`${svc.url}/passwordless/link?code=not-a-real-code`))?.status()).toBe(404);
    await expect(page.getByRole('status').textContent()).resolves.toContain('not valid');
    expect(await page.getByRole('button').count()).toBe(0);
    await page.close();
  });
});
