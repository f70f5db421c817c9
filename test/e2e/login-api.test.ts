/**
 * The Login API end to end through FusionAuth's client: every status of `POST /api/login`, tokens
 * verified against the JWKS, refresh tokens (rotation, revocation, logout), two-factor with TOTP and
 * recovery codes, trust cookie, lockout, update login instant, login records, bad input, tenants.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, base64url } from 'jose';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';

let svc: TestService;
let client: FusionAuthClient;
let appId: string;
let tenantId: string;

beforeAll(async () => {
  svc = await startTestService();
  client = svc.client;
  const tenants = await client.retrieveTenants();
  tenantId = tenants.response.tenants![0]!.id!;
  // Tests below add tenants: everything else is scoped to the default tenant.
  client = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
  const app = await client.createApplication(null as unknown as string, {
    application: {
      name: `Login app ${randomUUID()}`,
      roles: [{ name: 'admin' }, { name: 'user' }],
      loginConfiguration: { generateRefreshTokens: true, requireAuthentication: true, allowTokenRefresh: true },
    },
  });
  appId = app.response.application!.id!;
});
afterAll(async () => svc?.destroy());

/** Test setup through the event log: the Users capability's registration and deactivation events. */
async function appendUserEvent(userId: string, type: string, data: Record<string, unknown>): Promise<void> {
  const ctx = svc.service.context;
  const result = await ctx.eventStore.append(`user-${userId}`, [{ id: randomUUID(), type, data }], 'any');
  await ctx.waiters.users.waitFor(result.position);
}

async function register(userId: string, applicationId: string, roles: string[], extra: Record<string, unknown> = {}): Promise<void> {
  await appendUserEvent(userId, 'RegistrationCreated', {
    userId,
    tenantId,
    registration: { id: randomUUID(), applicationId, roles, verified: true, insertInstant: Date.now(), ...extra },
  });
}

async function newUser(user: Record<string, unknown> = {}, password = 'correct horse battery'): Promise<{ id: string; email: string; password: string }> {
  const email = `login-${randomUUID()}@example.com`;
  const created = await client.createUser(null as unknown as string, { user: { email, password, ...user } } as never);
  return { id: created.response.user!.id!, email, password };
}

/** RFC 6238 with HMAC-SHA1, computed here independently of the server. */
function totp(secretBase64: string, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const digest = createHmac('sha1', Buffer.from(secretBase64, 'base64')).update(counter).digest();
  const offset = digest[19]! & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

function setCookies(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of headers.getSetCookie()) {
    const [pair] = line.split(';');
    const index = pair!.indexOf('=');
    out[pair!.slice(0, index)] = line;
  }
  return out;
}

async function loginRaw(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${svc.url}/api/login`, { method: 'POST', headers: { Authorization: svc.apiKey, 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('POST /api/login', () => {
  it('200: user, JWT verified against the JWKS with FusionAuth claims, refresh token, cookies', async () => {
    const user = await newUser();
    await register(user.id, appId, ['admin']);
    const response = await loginRaw({ loginId: user.email, password: user.password, applicationId: appId, ipAddress: '203.0.113.7', metaData: { device: { name: 'Laptop', type: 'BROWSER' } } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, any>;
    expect(body.user.id).toBe(user.id);
    expect(body.refreshToken).toEqual(expect.any(String));
    expect(body.refreshTokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.tokenExpirationInstant).toBeGreaterThan(Date.now());
    const cookies = setCookies(response.headers);
    expect(cookies.access_token).toMatch(/HttpOnly/);
    expect(cookies.access_token).toMatch(/SameSite=Lax/);
    expect(cookies.refresh_token).toMatch(/Max-Age=\d+/);

    const jwks = await rawRequest(`${svc.url}/.well-known/jwks.json`);
    const { payload } = await jwtVerify(body.token, createLocalJWKSet(jwks.body));
    expect(payload).toMatchObject({ aud: appId, sub: user.id, applicationId: appId, roles: ['admin'], email: user.email, email_verified: true, authenticationType: 'PASSWORD', tid: tenantId });
    for (const claim of ['iss', 'iat', 'exp', 'jti', 'auth_time']) expect(payload[claim]).toBeDefined();
    expect(body.tokenExpirationInstant).toBe((payload.exp as number) * 1000);
  });

  it('without applicationId: a JWT without aud/applicationId and no refresh token; noJWT gives neither and no cookie', async () => {
    const user = await newUser();
    const plain = await client.login({ loginId: user.email, password: user.password });
    expect(plain.statusCode).toBe(200);
    expect(plain.response.refreshToken).toBeUndefined();
    const claims = decodeJwt(plain.response.token!);
    expect(claims.aud).toBeUndefined();
    expect(claims.applicationId).toBeUndefined();
    const noJwt = await loginRaw({ loginId: user.email, password: user.password, noJWT: true });
    expect(noJwt.status).toBe(200);
    const body = (await noJwt.json()) as Record<string, unknown>;
    expect(body.token).toBeUndefined();
    expect(noJwt.headers.getSetCookie()).toHaveLength(0);
  });

  it('202 not registered (JWT without roles, no refresh token); 404 wrong password and unknown user', async () => {
    const user = await newUser();
    const response = await client.login({ loginId: user.email, password: user.password, applicationId: appId });
    expect(response.statusCode).toBe(202);
    expect(response.response.refreshToken).toBeUndefined();
    expect(decodeJwt(response.response.token!).roles).toEqual([]);
    expect((await failure(client.login({ loginId: user.email, password: 'wrong password!' }))).statusCode).toBe(404);
    expect((await failure(client.login({ loginId: `nobody-${randomUUID()}@example.com`, password: 'whatever1' }))).statusCode).toBe(404);
  });

  it('203 change password required (Administrative) with a changePasswordId', async () => {
    const user = await newUser({ passwordChangeRequired: true });
    const response = await client.login({ loginId: user.email, password: user.password });
    expect(response.statusCode).toBe(203);
    expect(response.response.changePasswordId).toEqual(expect.any(String));
    expect(response.response.changePasswordReason).toBe('Administrative');
    expect(response.response.token).toBeUndefined();
  });

  it('410 expired, 423 deactivated, 213 registration not verified', async () => {
    const expired = await newUser({ expiry: Date.now() - 1000 });
    expect((await failure(client.login({ loginId: expired.email, password: expired.password }))).statusCode).toBe(410);
    const inactive = await newUser();
    await appendUserEvent(inactive.id, 'UserDeactivated', { userId: inactive.id, tenantId, instant: Date.now() });
    expect((await failure(client.login({ loginId: inactive.email, password: inactive.password }))).statusCode).toBe(423);

    const verifyingApp = await client.createApplication(null as unknown as string, { application: { name: `Verify ${randomUUID()}`, verifyRegistration: true } as never });
    const unverified = await newUser();
    await register(unverified.id, verifyingApp.response.application!.id!, [], { verified: false });
    const response = await client.login({ loginId: unverified.email, password: unverified.password, applicationId: verifyingApp.response.application!.id! });
    expect(response.statusCode).toBe(213);
    expect(response.response.user?.id).toBe(unverified.id);
  });

  it('401 without an API key unless the application allows it; 400 Errors JSON for bad input', async () => {
    const user = await newUser();
    const anonymous = new FusionAuthClient('', svc.url);
    expect((await failure(anonymous.login({ loginId: user.email, password: user.password, applicationId: appId }))).statusCode).toBe(401);
    const open = await client.createApplication(null as unknown as string, { application: { name: `Open ${randomUUID()}`, loginConfiguration: { requireAuthentication: false } } as never });
    expect((await anonymous.login({ loginId: user.email, password: user.password, applicationId: open.response.application!.id! })).statusCode).toBe(202);

    const malformed = await rawRequest(`${svc.url}/api/login`, { method: 'POST', apiKey: svc.apiKey, body: '{"loginId": ', headers: { 'Content-Type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.generalErrors[0].code).toBe('[invalidJSON]');
    const wrongTypes = await rawRequest(`${svc.url}/api/login`, { method: 'POST', apiKey: svc.apiKey, body: JSON.stringify({ loginId: 5, password: true, applicationId: 'nope', noJWT: 'yes' }), headers: { 'Content-Type': 'application/json' } });
    expect(wrongTypes.status).toBe(400);
    expect(Object.keys(wrongTypes.body.fieldErrors).sort()).toEqual(['applicationId', 'loginId', 'noJWT', 'password']);
    const missing = await rawRequest(`${svc.url}/api/login`, { method: 'POST', apiKey: svc.apiKey, body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(missing.body.fieldErrors.loginId[0].code).toBe('[blank]loginId');
  });

  it('409 with the lock action after too many failures; the right password is refused while locked', async () => {
    const tenant = await svc.client.createTenant(null as unknown as string, {
      tenant: { name: `Lockout ${randomUUID()}`, failedAuthenticationConfiguration: { tooManyAttempts: 3, resetCountInSeconds: 60, actionDuration: 5, actionDurationUnit: 'MINUTES' } } as never,
    });
    const scoped = new FusionAuthClient(svc.apiKey, svc.url, tenant.response.tenant!.id!);
    const email = `lock-${randomUUID()}@example.com`;
    await scoped.createUser(null as unknown as string, { user: { email, password: 'the right password' } });
    for (let i = 0; i < 3; i++) expect((await failure(scoped.login({ loginId: email, password: `wrong-${i}-password` }))).statusCode).toBe(404);
    const locked = await failure(scoped.login({ loginId: email, password: 'the right password' }));
    expect(locked.statusCode).toBe(409);
    expect(locked.exception.actions[0]).toMatchObject({ reasonCode: 'failed_authentication', expiry: expect.any(Number) });
  });
});

describe('one-time password, email verification', () => {
  it('oneTimePassword logs in once (404 the second time); 212 with emailVerificationId under FormField', async () => {
    const user = await newUser();
    const otp = `otp-${randomUUID()}`;
    const { createHash } = await import('node:crypto');
    // The Users capability issues it on a password change; here the event is appended directly.
    await appendUserEvent(user.id, 'OneTimePasswordIssued', { userId: user.id, tenantId, hash: createHash('sha256').update(otp).digest('base64url'), expiresAt: Date.now() + 60_000, refreshTokenAllowed: false });
    const first = await client.login({ oneTimePassword: otp } as never);
    expect(first.statusCode).toBe(200);
    expect(decodeJwt(first.response.token!).authenticationType).toBe('ONE_TIME_PASSWORD');
    expect((await failure(client.login({ oneTimePassword: otp } as never))).statusCode).toBe(404);

    const tenant = await svc.client.createTenant(null as unknown as string, { tenant: { name: `Verify ${randomUUID()}`, emailConfiguration: { verifyEmail: true, verificationStrategy: 'FormField' } } as never });
    const scoped = new FusionAuthClient(svc.apiKey, svc.url, tenant.response.tenant!.id!);
    const email = `unverified-${randomUUID()}@example.com`;
    await scoped.createUser(null as unknown as string, { user: { email, password: 'unverified password' } });
    const response = await scoped.login({ loginId: email, password: 'unverified password' });
    expect(response.statusCode).toBe(212);
    expect(response.response.emailVerificationId).toEqual(expect.any(String));
    expect(response.response.user?.verified).toBe(false);
  });
});

describe('one-time password state', () => {
  it('the forgot-password state comes back on the one-time-password login; a change by JWT brings none', async () => {
    const user = await newUser();
    const state = { redirect_uri: 'https://app.example.com/after', nonce: randomUUID() };
    const forgot = await client.forgotPassword({ loginId: user.email, sendForgotPasswordEmail: false, state } as never);
    const changed = await client.changePassword(forgot.response.changePasswordId!, { password: 'a brand new password' } as never);
    const login = await client.login({ oneTimePassword: changed.response.oneTimePassword! } as never);
    expect(login.statusCode).toBe(200);
    expect(login.response.state).toEqual(state);

    const other = await newUser();
    const jwt = (await client.login({ loginId: other.email, password: other.password })).response.token!;
    const byJwt = await client.changePasswordUsingJWT(jwt, { currentPassword: other.password, password: 'another new password' } as never);
    const plain = await client.login({ oneTimePassword: byJwt.response.oneTimePassword! } as never);
    expect(plain.statusCode).toBe(200);
    expect(plain.response.state).toBeUndefined();
  });
});

describe('refresh tokens and the JWT API', () => {
  it('exchange, one-time-use rotation, list, revoke by id/user/token, logout', async () => {
    const app = await client.createApplication(null as unknown as string, {
      application: {
        name: `OTU ${randomUUID()}`,
        loginConfiguration: { generateRefreshTokens: true },
        jwtConfiguration: { enabled: true, timeToLiveInSeconds: 600, refreshTokenTimeToLiveInMinutes: 60, refreshTokenUsagePolicy: 'OneTimeUse', refreshTokenExpirationPolicy: 'SlidingWindow' },
      } as never,
    });
    const otuApp = app.response.application!.id!;
    const user = await newUser();
    await register(user.id, otuApp, []);
    const login = await client.login({ loginId: user.email, password: user.password, applicationId: otuApp });
    const first = login.response.refreshToken!;
    const exchanged = await client.exchangeRefreshTokenForJWT({ refreshToken: first });
    expect(exchanged.statusCode).toBe(200);
    expect(exchanged.response.refreshToken).not.toBe(first);
    expect(exchanged.response.refreshTokenId).toBe(login.response.refreshTokenId);
    expect(decodeJwt(exchanged.response.token!).authenticationType).toBe('REFRESH_TOKEN');
    // The spent value is refused; the rotated one works.
    const reused = await failure(client.exchangeRefreshTokenForJWT({ refreshToken: first }));
    expect(reused.statusCode).toBe(400);
    expect(reused.exception.fieldErrors.refreshToken[0].code).toBe('[invalid]refreshToken');
    const second = await client.exchangeRefreshTokenForJWT({ refreshToken: exchanged.response.refreshToken! });
    expect(second.statusCode).toBe(200);

    const listed = await client.retrieveRefreshTokens(user.id);
    expect(listed.response.refreshTokens?.map((t) => t.id)).toEqual([login.response.refreshTokenId]);
    expect(listed.response.refreshTokens?.[0]?.applicationId).toBe(otuApp);
    expect((await client.retrieveRefreshTokenById(login.response.refreshTokenId!)).response.refreshToken?.id).toBe(login.response.refreshTokenId);

    await client.revokeRefreshTokenById(login.response.refreshTokenId!);
    expect((await failure(client.exchangeRefreshTokenForJWT({ refreshToken: second.response.refreshToken! }))).statusCode).toBe(400);
    expect((await client.retrieveRefreshTokens(user.id)).response.refreshTokens).toEqual([]);

    // Reusable tokens of the shared app: revoke by user, by token, and logout with global.
    await register(user.id, appId, ['user']);
    const a = await client.login({ loginId: user.email, password: user.password, applicationId: appId });
    const b = await client.login({ loginId: user.email, password: user.password, applicationId: appId });
    expect((await client.exchangeRefreshTokenForJWT({ refreshToken: a.response.refreshToken! })).response.refreshToken).toBe(a.response.refreshToken);
    await client.revokeRefreshTokenByToken(a.response.refreshToken!);
    expect((await failure(client.exchangeRefreshTokenForJWT({ refreshToken: a.response.refreshToken! }))).statusCode).toBe(400);
    expect((await client.exchangeRefreshTokenForJWT({ refreshToken: b.response.refreshToken! })).statusCode).toBe(200);
    const c = await client.login({ loginId: user.email, password: user.password, applicationId: appId });
    const logout = await fetch(`${svc.url}/api/logout?global=true&refreshToken=${encodeURIComponent(c.response.refreshToken!)}`, { method: 'POST' });
    expect(logout.status).toBe(200);
    const cleared = setCookies(logout.headers);
    expect(cleared.access_token).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await client.retrieveRefreshTokens(user.id)).response.refreshTokens).toEqual([]);
    expect((await client.logout(false, 'not-a-token')).statusCode).toBe(200);

    const d = await client.login({ loginId: user.email, password: user.password, applicationId: appId });
    await client.revokeRefreshTokensByUserId(user.id);
    expect((await failure(client.exchangeRefreshTokenForJWT({ refreshToken: d.response.refreshToken! }))).statusCode).toBe(400);
  });

  it('validate: a login JWT is valid; alg none and HS256 signed with the public key are refused', async () => {
    const user = await newUser();
    const login = await client.login({ loginId: user.email, password: user.password });
    const valid = await client.validateJWT(login.response.token!);
    expect(valid.response.jwt?.sub).toBe(user.id);

    const payload = { ...decodeJwt(login.response.token!), exp: Math.floor(Date.now() / 1000) + 600 };
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify(payload))}.`;
    expect((await failure(client.validateJWT(unsigned))).statusCode).toBe(401);
    const { kid } = decodeProtectedHeader(login.response.token!);
    const jwks = await rawRequest(`${svc.url}/.well-known/jwks.json`);
    const publicJwk = jwks.body.keys.find((k: { kid: string }) => k.kid === kid);
    const confused = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid: kid! }).sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
    expect((await failure(client.validateJWT(confused))).statusCode).toBe(401);
    expect((await failure(client.validateJWT('garbage'))).statusCode).toBe(401);
  });

  it('400 Errors JSON on bad input to the JWT API; 401 without a key', async () => {
    const missing = await rawRequest(`${svc.url}/api/jwt/refresh`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    expect(missing.status).toBe(400);
    expect(missing.body.fieldErrors.refreshToken[0].code).toBe('[blank]refreshToken');
    const malformed = await rawRequest(`${svc.url}/api/jwt/refresh`, { method: 'POST', body: '[', headers: { 'Content-Type': 'application/json' } });
    expect(malformed.status).toBe(400);
    const typed = await rawRequest(`${svc.url}/api/jwt/refresh`, { method: 'POST', body: '{"refreshToken": 12}', headers: { 'Content-Type': 'application/json' } });
    expect(typed.body.fieldErrors.refreshToken[0].code).toBe('[couldNotConvert]refreshToken');
    expect((await rawRequest(`${svc.url}/api/jwt/refresh?userId=bad`, { apiKey: svc.apiKey })).status).toBe(400);
    expect((await rawRequest(`${svc.url}/api/jwt/refresh`, { method: 'DELETE', apiKey: svc.apiKey })).body.fieldErrors.token[0].code).toBe('[blank]token');
    expect((await rawRequest(`${svc.url}/api/jwt/refresh?userId=${randomUUID()}`)).status).toBe(401);
  });
});

describe('two-factor', () => {
  it('TOTP: enable, 242, 421 on a bad code, 200 with trust, trust cookie skips the challenge, recovery code, disable', async () => {
    const user = await newUser();
    await register(user.id, appId, ['user']);
    const secret = (await client.generateTwoFactorSecret()).response.secret!;
    expect((await failure(client.enableTwoFactor(user.id, { method: 'authenticator', secret, code: '000000' === totp(secret) ? '111111' : '000000' }))).statusCode).toBe(421);
    const enabled = await client.enableTwoFactor(user.id, { method: 'authenticator', secret, code: totp(secret) });
    const recoveryCodes = enabled.response.recoveryCodes!;
    expect(recoveryCodes).toHaveLength(10);
    const retrieved = await client.retrieveUser(user.id);
    const methodId = retrieved.response.user!.twoFactor!.methods![0]!.id!;
    expect(retrieved.response.user!.twoFactor!.methods![0]).toMatchObject({ method: 'authenticator', authenticator: { algorithm: 'HmacSHA1', codeLength: 6, timeStep: 30 } });
    expect(JSON.stringify(retrieved.response)).not.toContain(secret);

    const challenged = await client.login({ loginId: user.email, password: user.password, applicationId: appId });
    expect(challenged.statusCode).toBe(242);
    const twoFactorId = challenged.response.twoFactorId!;
    expect(challenged.response.methods?.[0]?.id).toBe(methodId);
    expect(challenged.response.token).toBeUndefined();
    expect((await failure(client.twoFactorLogin({ twoFactorId, code: totp(secret, Date.now() + 300_000) }))).statusCode).toBe(421);

    const completed = await fetch(`${svc.url}/api/two-factor/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ twoFactorId, code: totp(secret), trustComputer: true }) });
    expect(completed.status).toBe(200);
    const body = (await completed.json()) as Record<string, any>;
    expect(body.twoFactorTrustId).toEqual(expect.any(String));
    expect(body.refreshToken).toEqual(expect.any(String));
    expect(decodeJwt(body.token).applicationId).toBe(appId);
    const trustCookie = setCookies(completed.headers)['fusionauth.trust']!;
    expect(trustCookie).toMatch(/HttpOnly/);
    // Used once: the same twoFactorId is gone.
    expect((await failure(client.twoFactorLogin({ twoFactorId, code: totp(secret) }))).statusCode).toBe(404);

    const trusted = await loginRaw({ loginId: user.email, password: user.password, applicationId: appId }, { Cookie: trustCookie.split(';')[0]! });
    expect(trusted.status).toBe(200);
    expect((await client.login({ loginId: user.email, password: user.password, twoFactorTrustId: body.twoFactorTrustId })).statusCode).toBe(200);

    // A recovery code completes a login once.
    const again = await client.login({ loginId: user.email, password: user.password });
    const byRecovery = await client.twoFactorLogin({ twoFactorId: again.response.twoFactorId!, code: recoveryCodes[0]! });
    expect(byRecovery.statusCode).toBe(200);
    const third = await client.login({ loginId: user.email, password: user.password });
    expect((await failure(client.twoFactorLogin({ twoFactorId: third.response.twoFactorId!, code: recoveryCodes[0]! }))).statusCode).toBe(421);

    const regenerated = await client.generateTwoFactorRecoveryCodes(user.id);
    expect(regenerated.response.recoveryCodes).toHaveLength(10);
    await client.disableTwoFactor(user.id, methodId, totp(secret));
    expect((await client.login({ loginId: user.email, password: user.password })).statusCode).toBe(200);
    expect((await client.retrieveUser(user.id)).response.user!.twoFactor).toBeUndefined();
  });

  it('400 Errors JSON and 404 on the two-factor endpoints', async () => {
    const user = await newUser();
    const noMethod = await rawRequest(`${svc.url}/api/user/two-factor/${user.id}`, { method: 'POST', apiKey: svc.apiKey, body: '{"method": 3}', headers: { 'Content-Type': 'application/json' } });
    expect(noMethod.status).toBe(400);
    expect(noMethod.body.fieldErrors.method[0].code).toBe('[couldNotConvert]method');
    const badSecret = await rawRequest(`${svc.url}/api/user/two-factor/${user.id}`, { method: 'POST', apiKey: svc.apiKey, body: '{"method": "authenticator", "code": "123456"}', headers: { 'Content-Type': 'application/json' } });
    expect(badSecret.body.fieldErrors.secret[0].code).toBe('[invalid]secret');
    expect((await rawRequest(`${svc.url}/api/user/two-factor/not-a-uuid`, { method: 'POST', apiKey: svc.apiKey, body: '{}' })).status).toBe(400);
    expect((await rawRequest(`${svc.url}/api/user/two-factor/${user.id}`, { method: 'DELETE', apiKey: svc.apiKey })).body.fieldErrors.methodId[0].code).toBe('[blank]methodId');
    const login = await rawRequest(`${svc.url}/api/two-factor/login`, { method: 'POST', body: '{"twoFactorId": 1}', headers: { 'Content-Type': 'application/json' } });
    expect(Object.keys(login.body.fieldErrors).sort()).toEqual(['code', 'twoFactorId']);
    expect((await failure(client.twoFactorLogin({ twoFactorId: 'unknown', code: '123456' }))).statusCode).toBe(404);
    expect((await failure(client.sendTwoFactorCodeForLoginUsingMethod('unknown', { methodId: 'ABCD' }))).statusCode).toBe(404);
    expect((await failure(client.enableTwoFactor(randomUUID(), { method: 'email', email: 'x@example.com' }))).statusCode).toBe(404);
  });
});

describe('update login instant, login records, tenants', () => {
  it('loginPing 200/202/404 and by JWT; login records search and export', async () => {
    const user = await newUser();
    await register(user.id, appId, []);
    const otherApp = await client.createApplication(null as unknown as string, { application: { name: `Other ${randomUUID()}` } });
    expect((await client.loginPing(user.id, appId, '198.51.100.1')).statusCode).toBe(200);
    expect((await client.loginPing(user.id, otherApp.response.application!.id!, '198.51.100.1')).statusCode).toBe(202);
    expect((await failure(client.loginPing(randomUUID(), appId, '198.51.100.1'))).statusCode).toBe(404);
    const login = await client.login({ loginId: user.email, password: user.password, applicationId: appId, ipAddress: '192.0.2.9' });
    const byJwt = await rawRequest(`${svc.url}/api/login`, { method: 'PUT', headers: { Authorization: `Bearer ${login.response.token}` } });
    expect(byJwt.status).toBe(200);
    expect((await rawRequest(`${svc.url}/api/login/not-a-uuid`, { method: 'PUT', apiKey: svc.apiKey })).status).toBe(400);
    const user2 = (await client.retrieveUser(user.id)).response.user!;
    expect(user2.registrations?.find((r) => r.applicationId === appId)?.lastLoginInstant).toBeGreaterThan(0);

    // Records follow eventually: poll until the four logins of this user are there.
    let records: any;
    for (let i = 0; i < 50; i++) {
      records = (await client.searchLoginRecords({ search: { userId: user.id, numberOfResults: 10 }, retrieveTotal: true } as never)).response;
      if (records.total === 4) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(records.total).toBe(4);
    expect(records.logins.map((l: any) => l.instant)).toEqual([...records.logins.map((l: any) => l.instant)].sort((a: number, b: number) => a - b));
    expect(records.logins.find((l: any) => l.ipAddress === '192.0.2.9')).toMatchObject({ userId: user.id, applicationId: appId, loginId: user.email, applicationName: expect.any(String) });
    const byGet = await rawRequest(`${svc.url}/api/system/login-record/search?userId=${user.id}&applicationId=${appId}&numberOfResults=1`, { apiKey: svc.apiKey });
    expect(byGet.body.logins).toHaveLength(1);
    expect(byGet.body.total).toBeUndefined();
    expect((await rawRequest(`${svc.url}/api/system/login-record/search?start=yesterday`, { apiKey: svc.apiKey })).body.fieldErrors.start[0].code).toBe('[couldNotConvert]start');

    const exported = await fetch(`${svc.url}/api/system/login-record/export?userId=${user.id}&zoneId=UTC&dateTimeSecondsFormat=${encodeURIComponent("yyyy-MM-dd'T'HH:mm:ss")}`, { headers: { Authorization: svc.apiKey } });
    expect(exported.headers.get('content-type')).toBe('application/zip');
    const zip = Buffer.from(await exported.arrayBuffer());
    const nameLength = zip.readUInt16LE(26);
    const compressedSize = zip.readUInt32LE(18);
    const csv = inflateRawSync(zip.subarray(30 + nameLength, 30 + nameLength + compressedSize)).toString('utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('"User Id ","Time ","Application Id ","IP Address ","City ","Country ","Zipcode ","Region ","Latitude ","Longitude "');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(new RegExp(`^${user.id},\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2},`));
    const badZone = await rawRequest(`${svc.url}/api/system/login-record/export`, { method: 'POST', apiKey: svc.apiKey, body: JSON.stringify({ criteria: {}, zoneId: 'Mars/Olympus' }), headers: { 'Content-Type': 'application/json' } });
    expect(badZone.body.fieldErrors.zoneId[0].code).toBe('[invalid]zoneId');
  });

  it('a tenant-locked key sees neither the other tenant\'s users nor their refresh tokens', async () => {
    const user = await newUser();
    await register(user.id, appId, []);
    const login = await client.login({ loginId: user.email, password: user.password, applicationId: appId });
    const other = await svc.client.createTenant(null as unknown as string, { tenant: { name: `Isolated ${randomUUID()}` } });
    const key = await svc.client.createAPIKey(null as unknown as string, { apiKey: { tenantId: other.response.tenant!.id! } } as never);
    const locked = new FusionAuthClient(key.response.apiKey!.key!, svc.url);
    expect((await failure(locked.retrieveRefreshTokens(user.id))).statusCode).toBe(404);
    expect((await failure(locked.retrieveRefreshTokenById(login.response.refreshTokenId!))).statusCode).toBe(404);
    await locked.revokeRefreshTokensByUserId(user.id);
    expect((await client.exchangeRefreshTokenForJWT({ refreshToken: login.response.refreshToken! })).statusCode).toBe(200);
    expect((await failure(locked.loginPing(user.id, appId, '198.51.100.2'))).statusCode).toBe(404);
    expect((await failure(locked.login({ loginId: user.email, password: user.password }))).statusCode).toBe(404);
    const records = await locked.searchLoginRecords({ search: { userId: user.id } } as never);
    expect(records.response.logins).toEqual([]);
  });

  it('an unknown loginId costs as long as a wrong password under the tenant\'s own scheme (bcrypt here, not argon2id)', async () => {
    // bcrypt cost 10 takes ~80 ms here, argon2id ~13 ms: a dummy under argon2id would tell which accounts exist.
    const tenant = await svc.client.createTenant(null as unknown as string, {
      tenant: {
        name: `Timing ${randomUUID()}`,
        passwordEncryptionConfiguration: { encryptionScheme: 'bcrypt', encryptionSchemeFactor: 10, modifyEncryptionSchemeOnLogin: true },
        failedAuthenticationConfiguration: { tooManyAttempts: 1000, resetCountInSeconds: 60, actionDuration: 1, actionDurationUnit: 'MINUTES' },
      } as never,
    });
    const scoped = new FusionAuthClient(svc.apiKey, svc.url, tenant.response.tenant!.id!);
    const email = `timing-${randomUUID()}@example.com`;
    const created = await scoped.createUser(null as unknown as string, { user: { email, password: 'right-password-1' } });
    expect((await scoped.retrieveUser(created.response.user!.id!)).response.user?.encryptionScheme).toBe('bcrypt');
    const timed = async (loginId: string) => {
      const started = performance.now();
      expect((await failure(scoped.login({ loginId, password: 'wrong-password-1' }))).statusCode).toBe(404);
      return performance.now() - started;
    };
    await timed(`nobody-${randomUUID()}@example.com`); // the first one also hashes the tenant's dummy
    const ratios: number[] = [];
    for (let i = 0; i < 6; i++) ratios.push((await timed(`nobody-${randomUUID()}@example.com`)) / (await timed(email)));
    const median = ratios.sort((x, y) => x - y)[3]!;
    console.info(`unknown loginId / wrong password time, median of 6 interleaved pairs: ${median.toFixed(2)}`);
    expect(median).toBeGreaterThan(0.5);
    expect(median).toBeLessThan(2);
  });
});
