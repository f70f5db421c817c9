/**
 * Passwordless API end to end through FusionAuth's client: start → send (email read from a real SMTP
 * server on loopback) → login, every login status, TTL, single use under a 20-way race, `state`,
 * send rate limits (429), tenant isolation and Errors JSON for bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { passwordlessCodeStream, passwordlessLogin } from '../../services/api/src/application/passwordless.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { passwordlessLinkOf, startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';
import { createPasswordlessApp, defaultTenantId, seedUser, startPasswordlessService } from '../support/passwordless-fixtures.js';

let smtp: SmtpCapture;
let svc: TestService;
let tenantId: string;
let appId: string;
/** The service's API without an API key: send and login need none. */
let anonymous: FusionAuthClient;

beforeAll(async () => {
  smtp = await startSmtpCapture();
  svc = await startPasswordlessService(smtp);
  tenantId = await defaultTenantId(svc);
  appId = await createPasswordlessApp(svc);
  anonymous = new FusionAuthClient('', svc.url);
});

afterAll(async () => {
  await svc?.destroy();
  await smtp?.close();
});

const email = () => `pl-${randomUUID()}@example.com`;

async function registeredUser(applicationId = appId, tenant = tenantId): Promise<{ id: string; email: string }> {
  const address = email();
  return { id: await seedUser(svc, { tenantId: tenant, email: address, registeredTo: [applicationId] }), email: address };
}

async function start(loginId: string, state?: Record<string, unknown>, applicationId = appId): Promise<string> {
  const started = await svc.client.startPasswordlessLogin({ applicationId, loginId, ...(state && { state }) });
  expect(started.statusCode).toBe(200);
  return started.response.code!;
}

describe('passwordless login statuses', () => {
  it('200: a registered user logs in with the code; the JWT says PASSWORDLESS; state comes back unchanged', async () => {
    const user = await registeredUser();
    const state = { client_id: appId, redirect_uri: 'https://app.example/callback', nested: { list: [1, 'two', null], flag: false }, state: 'CSRF123' };
    const code = await start(user.email, state);
    expect(code).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url: FusionAuth's default form
    const login = await anonymous.passwordlessLogin({ code });
    expect(login.statusCode).toBe(200);
    expect(login.response.user?.id).toBe(user.id);
    expect(login.response.state).toEqual(state);
    const claims = decodeJwt(login.response.token!);
    expect(claims).toMatchObject({ sub: user.id, applicationId: appId, authenticationType: 'PASSWORDLESS' });
    expect(login.response.tokenExpirationInstant).toBeGreaterThan(Date.now());
    // The login is recorded: the user's lastLoginInstant moved.
    expect((await svc.client.retrieveUser(user.id)).response.user?.lastLoginInstant).toBeGreaterThan(0);
  });

  it('a code works once: the second use is 404', async () => {
    const user = await registeredUser();
    const code = await start(user.email);
    expect((await anonymous.passwordlessLogin({ code })).statusCode).toBe(200);
    expect((await failure(anonymous.passwordlessLogin({ code }))).statusCode).toBe(404);
  });

  it('202: authenticated but not registered for the application; noJWT leaves the token out', async () => {
    const created = await svc.client.createUser(null as unknown as string, { user: { email: email(), password: 'not-registered-1' } });
    const code = await start(created.response.user!.email!);
    const login = await anonymous.passwordlessLogin({ code, noJWT: true });
    expect(login.statusCode).toBe(202);
    expect(login.response.user?.id).toBe(created.response.user!.id);
    expect(login.response.token).toBeUndefined();
  });

  it('423 for a deactivated user and 410 for an expired one', async () => {
    const inactive = email();
    await seedUser(svc, { tenantId, email: inactive, active: false, registeredTo: [appId] });
    expect((await failure(anonymous.passwordlessLogin({ code: await start(inactive) }))).statusCode).toBe(423);

    const expired = await svc.client.createUser(null as unknown as string, { user: { email: email(), password: 'expired-user-1', expiry: Date.now() - 1000 } });
    expect((await failure(anonymous.passwordlessLogin({ code: await start(expired.response.user!.email!) }))).statusCode).toBe(410);
  });

  it('the shared login state machine: 242 keeps state for the two-factor step, 203, 212 and 213', async () => {
    const twoFactor = email();
    await seedUser(svc, { tenantId, email: twoFactor, registeredTo: [appId], extra: { twoFactor: { methods: [{ id: 'EM01', method: 'email', email: twoFactor }] } } });
    const challenged = await anonymous.passwordlessLogin({ code: await start(twoFactor, { step: 'mfa' }) });
    expect(challenged.statusCode).toBe(242);
    expect(challenged.response.twoFactorId).toBeTruthy();
    expect(challenged.response.methods?.[0]).toMatchObject({ id: 'EM01', method: 'email' });
    expect(challenged.response.token).toBeUndefined();
    const pending = await svc.service.adapters.eventStore.readAll();
    expect(pending.find((e) => e.type === 'TwoFactorLoginStarted' && (e.data as { authenticationType?: string }).authenticationType === 'PASSWORDLESS')?.data).toMatchObject({ state: { step: 'mfa' } });

    const mustChange = email();
    await seedUser(svc, { tenantId, email: mustChange, registeredTo: [appId], extra: { passwordChangeRequired: true } });
    const changed = await anonymous.passwordlessLogin({ code: await start(mustChange) });
    expect(changed.statusCode).toBe(203);
    expect(changed.response.changePasswordReason).toBe('Administrative');

    const verifying = await svc.client.createTenant(null as unknown as string, { tenant: { name: `Verifying ${randomUUID()}`, emailConfiguration: { verifyEmail: true } } });
    const verifyingTenant = verifying.response.tenant!.id!;
    const verifyingApp = await createPasswordlessApp(svc, { tenantId: verifyingTenant, verifyRegistration: true });
    const unverified = email();
    await seedUser(svc, { tenantId: verifyingTenant, email: unverified, registeredTo: [verifyingApp], extra: { verified: false } });
    expect((await anonymous.passwordlessLogin({ code: await start(unverified, undefined, verifyingApp) })).statusCode).toBe(212);
    const unverifiedRegistration = email();
    await seedUser(svc, { tenantId: verifyingTenant, email: unverifiedRegistration, registeredTo: [verifyingApp], registrationVerified: false });
    const pendingRegistration = await anonymous.passwordlessLogin({ code: await start(unverifiedRegistration, { r: 1 }, verifyingApp) });
    expect(pendingRegistration.statusCode).toBe(213);
    expect(pendingRegistration.response.state).toEqual({ r: 1 });
  });

  it('404 for an unknown code, and start answers 404 for an unknown loginId', async () => {
    expect((await failure(anonymous.passwordlessLogin({ code: 'no-such-code' }))).statusCode).toBe(404);
    expect((await failure(svc.client.startPasswordlessLogin({ applicationId: appId, loginId: email() }))).statusCode).toBe(404);
  });
});

describe('code lifetime and form', () => {
  it('expires after the default 180 s (clock injected), answering 404', async () => {
    const user = await registeredUser();
    const code = await start(user.email);
    const ctx = svc.service.context;
    const realNow = ctx.now;
    try {
      ctx.now = () => realNow() + 179_000;
      const sent = await anonymous.sendPasswordlessCode({ code });
      expect(sent.statusCode).toBe(200);
      ctx.now = () => realNow() + 181_000;
      expect((await failure(anonymous.passwordlessLogin({ code }))).statusCode).toBe(404);
    } finally {
      ctx.now = realNow;
    }
  });

  it("follows the tenant's TTL and generator settings", async () => {
    const tenant = await svc.client.createTenant(null as unknown as string, {
      tenant: { name: `Short codes ${randomUUID()}`, externalIdentifierConfiguration: { passwordlessLoginTimeToLiveInSeconds: 30, passwordlessLoginGenerator: { length: 8, type: 'randomDigits' as never } } },
    });
    const shortTenant = tenant.response.tenant!.id!;
    const shortApp = await createPasswordlessApp(svc, { tenantId: shortTenant });
    const user = await registeredUser(shortApp, shortTenant);
    const first = await start(user.email, undefined, shortApp);
    expect(first).toMatch(/^\d{8}$/);
    const ctx = svc.service.context;
    const realNow = ctx.now;
    try {
      ctx.now = () => realNow() + 31_000;
      expect((await failure(anonymous.passwordlessLogin({ code: first }))).statusCode).toBe(404);
    } finally {
      ctx.now = realNow;
    }
    const second = await start(user.email, undefined, shortApp);
    ctx.now = () => realNow() + 29_000;
    try {
      expect((await anonymous.passwordlessLogin({ code: second })).statusCode).toBe(200);
    } finally {
      ctx.now = realNow;
    }
  });
});

describe('single use under a race', () => {
  it('20 concurrent logins with one code: exactly one 200, nineteen 404', async () => {
    const user = await registeredUser();
    const code = await start(user.email);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => rawRequest(`${svc.url}/api/passwordless/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 404)).toHaveLength(19);
  });

  it('20 concurrent uses inside one process all read the code before any writes: still exactly one succeeds', async () => {
    // HTTP parsing can serialise requests on an in-process store; calling the use case directly makes
    // every attempt read the stream before the first append, so only the conditional write decides.
    const user = await registeredUser();
    const code = await start(user.email);
    const ctx = svc.service.context;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => passwordlessLogin(ctx, { code, noJWT: true, info: {}, withEncryptionScheme: false })),
    );
    expect(outcomes.filter((o) => o.outcome.status === 200)).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome.status === 404)).toHaveLength(19);
    const stream = await svc.service.adapters.eventStore.readStream(passwordlessCodeStream(ctx, code));
    expect(stream.filter((e) => e.type === 'PasswordlessCodeConsumed')).toHaveLength(1);
  });
});

describe('email delivery over SMTP', () => {
  it('send emails a started code with a magic link; the emailed code logs in; the event store holds no plaintext code', async () => {
    const user = await registeredUser();
    const code = await start(user.email, { from: 'send' });
    expect((await anonymous.sendPasswordlessCode({ code })).statusCode).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(user.email));
    const emailed = passwordlessLinkOf(mail);
    expect(emailed.code).toBe(code);
    expect(emailed.link.startsWith(`${svc.url}/passwordless/link?code=`)).toBe(true);
    expect(mail.text).toContain(code);
    expect(mail.raw.from?.text).toContain('login@idstream.test');
    const all = JSON.stringify(await svc.service.adapters.eventStore.readAll());
    expect(all).not.toContain(code);
    const login = await anonymous.passwordlessLogin({ code: emailed.code });
    expect(login.statusCode).toBe(200);
    expect(login.response.state).toEqual({ from: 'send' });
  });

  it('the older combined send makes a code and emails it; state survives; an unknown loginId is 200 and sends nothing', async () => {
    const user = await registeredUser();
    const sent = await anonymous.sendPasswordlessCode({ applicationId: appId, loginId: user.email, state: { legacy: true } });
    expect(sent.statusCode).toBe(200);
    const { code } = passwordlessLinkOf(await smtp.waitFor((m) => m.to.includes(user.email)));
    const login = await anonymous.passwordlessLogin({ code });
    expect(login.statusCode).toBe(200);
    expect(login.response.state).toEqual({ legacy: true });

    const nobody = email();
    expect((await anonymous.sendPasswordlessCode({ applicationId: appId, loginId: nobody })).statusCode).toBe(200);
    await expect(smtp.waitFor((m) => m.to.includes(nobody), 1500)).rejects.toThrow(/no matching email/);
  });

  it('a used or unknown code cannot be sent: 400 [invalid]code', async () => {
    const user = await registeredUser();
    const code = await start(user.email);
    await anonymous.passwordlessLogin({ code });
    const used = await failure(anonymous.sendPasswordlessCode({ code }));
    expect(used.statusCode).toBe(400);
    expect(used.exception.fieldErrors.code[0].code).toBe('[invalid]code');
  });
});

describe('dev mailbox', () => {
  it('without SMTP_HOST the email is written to <dataDir>/mailbox as an .eml file', async () => {
    const dev = await startTestService({ env: { IDSTREAM_PUBLIC_URL: 'https://login.idstream.test' } });
    try {
      const devTenant = await defaultTenantId(dev);
      const devApp = await createPasswordlessApp(dev, { tenantId: devTenant });
      const address = email();
      await seedUser(dev, { tenantId: devTenant, email: address, registeredTo: [devApp] });
      expect((await new FusionAuthClient('', dev.url).sendPasswordlessCode({ applicationId: devApp, loginId: address })).statusCode).toBe(200);
      const mailbox = join(dev.dataDir, 'mailbox');
      let files: string[] = [];
      for (let i = 0; i < 100 && files.length === 0; i++) {
        files = existsSync(mailbox) ? readdirSync(mailbox).filter((f) => f.endsWith('.eml')) : [];
        if (files.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(files).toHaveLength(1);
      const parsed = await simpleParser(readFileSync(join(mailbox, files[0]!)));
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').toBe(address);
      const code = new URL(/https:\/\/login\.idstream\.test\/passwordless\/link\?code=\S+/.exec(parsed.text ?? '')![0]).searchParams.get('code')!;
      expect((await new FusionAuthClient('', dev.url).passwordlessLogin({ code })).statusCode).toBe(200);
    } finally {
      await dev.destroy();
    }
  });
});

describe('send rate limits', () => {
  it('past the tenant limit per user the send is 429 with Retry-After', async () => {
    const tenant = await svc.client.createTenant(null as unknown as string, {
      tenant: { name: `Limited ${randomUUID()}`, rateLimitConfiguration: { sendPasswordless: { enabled: true, limit: 2, timePeriodInSeconds: 60 } } },
    });
    const limitedTenant = tenant.response.tenant!.id!;
    const limitedApp = await createPasswordlessApp(svc, { tenantId: limitedTenant });
    const user = await registeredUser(limitedApp, limitedTenant);
    const code = await start(user.email, undefined, limitedApp);
    expect((await anonymous.sendPasswordlessCode({ code })).statusCode).toBe(200);
    expect((await anonymous.sendPasswordlessCode({ applicationId: limitedApp, loginId: user.email })).statusCode).toBe(200);
    const limited = await rawRequest(`${svc.url}/api/passwordless/send`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
    expect(limited.status).toBe(429);
    expect(limited.body.generalErrors[0].code).toBe('[RateLimited]');
    expect((await failure(anonymous.sendPasswordlessCode({ applicationId: limitedApp, loginId: user.email }))).statusCode).toBe(429);
    // Another user of the tenant is not affected.
    const other = await registeredUser(limitedApp, limitedTenant);
    expect((await anonymous.sendPasswordlessCode({ applicationId: limitedApp, loginId: other.email })).statusCode).toBe(200);
  });

  it('the per-IP limit applies across users (ipAddressLimit), and a forged X-Forwarded-For does not dodge it', async () => {
    const tenant = await svc.client.createTenant(null as unknown as string, {
      tenant: { name: `IP limited ${randomUUID()}`, rateLimitConfiguration: { sendPasswordless: { enabled: true, limit: 5, timePeriodInSeconds: 60, ipAddressLimit: 2 } as never } },
    });
    const ipTenant = tenant.response.tenant!.id!;
    const ipApp = await createPasswordlessApp(svc, { tenantId: ipTenant });
    const send = async () => {
      const user = await registeredUser(ipApp, ipTenant);
      return rawRequest(`${svc.url}/api/passwordless/send`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': `203.0.113.${Math.floor(Math.random() * 250)}` }, body: JSON.stringify({ applicationId: ipApp, loginId: user.email }) });
    };
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(200);
    expect((await send()).status).toBe(429);
  });
});

describe('configuration, isolation and bad input', () => {
  it('an application without passwordless enabled is refused: 400 [disabled]applicationId', async () => {
    const disabledApp = await createPasswordlessApp(svc, { tenantId, enabled: false });
    const user = await registeredUser(disabledApp);
    const refused = await failure(svc.client.startPasswordlessLogin({ applicationId: disabledApp, loginId: user.email }));
    expect(refused.statusCode).toBe(400);
    expect(refused.exception.fieldErrors.applicationId[0].code).toBe('[disabled]applicationId');
    expect((await failure(anonymous.sendPasswordlessCode({ applicationId: disabledApp, loginId: user.email }))).statusCode).toBe(400);
  });

  it('start needs an API key; a key locked to another tenant sees neither the application nor the code', async () => {
    expect((await failure(anonymous.startPasswordlessLogin({ applicationId: appId, loginId: 'x@example.com' }))).statusCode).toBe(401);
    const other = await svc.client.createTenant(null as unknown as string, { tenant: { name: `Other ${randomUUID()}` } });
    const otherTenant = other.response.tenant!.id!;
    const lockedKey = `locked-${randomUUID()}`;
    await svc.client.createAPIKey(null as unknown as string, { apiKey: { key: lockedKey, tenantId: otherTenant } });
    const locked = new FusionAuthClient(lockedKey, svc.url);
    const user = await registeredUser();
    const denied = await failure(locked.startPasswordlessLogin({ applicationId: appId, loginId: user.email }));
    expect(denied.statusCode).toBe(400);
    expect(denied.exception.fieldErrors.applicationId[0].code).toBe('[invalid]applicationId');

    const code = await start(user.email);
    const scoped = new FusionAuthClient('', svc.url, otherTenant);
    expect((await failure(scoped.passwordlessLogin({ code }))).statusCode).toBe(404);
    expect((await failure(scoped.sendPasswordlessCode({ code }))).statusCode).toBe(400);
    // The refused attempts consumed nothing.
    expect((await anonymous.passwordlessLogin({ code })).statusCode).toBe(200);
  });

  it('malformed JSON, wrong types and missing fields are 400 with the Errors JSON', async () => {
    const post = (path: string, body: string, withKey = false) =>
      rawRequest(`${svc.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, ...(withKey && { apiKey: svc.apiKey }) });

    for (const [path, withKey] of [['/api/passwordless/start', true], ['/api/passwordless/send', false], ['/api/passwordless/login', false]] as const) {
      const malformed = await post(path, '{"code": ', withKey);
      expect(malformed.status, path).toBe(400);
      expect(malformed.body.generalErrors[0].code).toBe('[invalidJSON]');
      const notObject = await post(path, '[1,2]', withKey);
      expect(notObject.status, path).toBe(400);
      expect(notObject.body.generalErrors).toBeDefined();
    }

    const startMissing = await post('/api/passwordless/start', '{}', true);
    expect(startMissing.status).toBe(400);
    expect(Object.keys(startMissing.body.fieldErrors).sort()).toEqual(['applicationId', 'loginId']);
    expect(startMissing.body.fieldErrors.applicationId[0].code).toBe('[blank]applicationId');

    const startTypes = await post('/api/passwordless/start', JSON.stringify({ applicationId: 'not-a-uuid', loginId: 42, state: 'nope' }), true);
    expect(startTypes.status).toBe(400);
    expect(startTypes.body.fieldErrors.applicationId[0].code).toBe('[couldNotConvert]applicationId');
    expect(startTypes.body.fieldErrors.loginId[0].code).toBe('[couldNotConvert]loginId');
    expect(startTypes.body.fieldErrors.state[0].code).toBe('[couldNotConvert]state');

    const unknownApp = await post('/api/passwordless/start', JSON.stringify({ applicationId: randomUUID(), loginId: 'a@example.com' }), true);
    expect(unknownApp.status).toBe(400);
    expect(unknownApp.body.fieldErrors.applicationId[0].code).toBe('[invalid]applicationId');

    const sendEmpty = await post('/api/passwordless/send', '{}');
    expect(sendEmpty.status).toBe(400);
    expect(sendEmpty.body.fieldErrors.code[0].code).toBe('[blank]code');
    const sendTypes = await post('/api/passwordless/send', JSON.stringify({ code: 12 }));
    expect(sendTypes.status).toBe(400);
    expect(sendTypes.body.fieldErrors.code[0].code).toBe('[couldNotConvert]code');
    const legacyMissing = await post('/api/passwordless/send', JSON.stringify({ loginId: 'a@example.com' }));
    expect(legacyMissing.status).toBe(400);
    expect(legacyMissing.body.fieldErrors.applicationId[0].code).toBe('[blank]applicationId');

    const loginEmpty = await post('/api/passwordless/login', '{}');
    expect(loginEmpty.status).toBe(400);
    expect(loginEmpty.body.fieldErrors.code[0].code).toBe('[blank]code');
    const loginTypes = await post('/api/passwordless/login', JSON.stringify({ code: ['x'], noJWT: 'yes', metaData: 3 }));
    expect(loginTypes.status).toBe(400);
    expect(Object.keys(loginTypes.body.fieldErrors).sort()).toEqual(['code', 'metaData', 'noJWT']);
  });
});
