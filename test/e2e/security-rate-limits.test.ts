/**
 * Brute force and abuse limits, per tenant, as configured: the failed-login lock
 * (`failedAuthenticationConfiguration` → 409 even with the right password), and the
 * `rateLimitConfiguration` of forgot password, email verification resend, passwordless send and
 * two-factor send (→ 429 `[RateLimited]` with `Retry-After`). Each limit holds per user and per
 * tenant: another user, or a tenant without the setting, is not affected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/harness.js';
import { send, isErrorsJson, type RawAnswer } from '../support/hostile.js';

let svc: TestService;
let strict: { tenantId: string; applicationId: string };
let lenient: { tenantId: string; applicationId: string };
const password = 'correct horse battery';

async function api(method: string, path: string, tenantId: string, body?: unknown, key: string | null = svc.apiKey): Promise<RawAnswer> {
  return send(`${svc.url}${path}`, method, {
    headers: { ...(key && { Authorization: key }), 'Content-Type': 'application/json', 'X-FusionAuth-TenantId': tenantId },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function newUser(scope: { tenantId: string; applicationId: string }) {
  const email = `rl-${randomUUID()}@example.com`;
  const answer = await api('POST', '/api/user/registration', scope.tenantId, { user: { email, password }, registration: { applicationId: scope.applicationId }, skipVerification: true });
  expect(answer.status, answer.text).toBe(200);
  return { email, id: JSON.parse(answer.text).user.id as string };
}

function expectRateLimited(answer: RawAnswer) {
  expect(answer.status, answer.text).toBe(429);
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  const body = JSON.parse(answer.text);
  expect(isErrorsJson(body)).toBe(true);
  expect(body.generalErrors[0].code).toBe('[RateLimited]');
}

beforeAll(async () => {
  svc = await startTestService();
  // The POST /api/tenant helper above sends an empty tenant header; create tenants without it.
  const create = async (settings: Record<string, unknown>) => {
    const tenant = await send(`${svc.url}/api/tenant`, 'POST', { headers: { Authorization: svc.apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ tenant: { name: `limits-${randomUUID()}`, ...settings } }) });
    const tenantId = JSON.parse(tenant.text).tenant.id as string;
    const app = await api('POST', '/api/application', tenantId, { application: { name: 'limits app', passwordlessConfiguration: { enabled: true } } });
    return { tenantId, applicationId: JSON.parse(app.text).application.id as string };
  };
  const limit = (n: number) => ({ enabled: true, limit: n, timePeriodInSeconds: 60 });
  strict = await create({
    failedAuthenticationConfiguration: { tooManyAttempts: 3, resetCountInSeconds: 60, actionDuration: 1, actionDurationUnit: 'MINUTES' },
    rateLimitConfiguration: { forgotPassword: limit(2), sendEmailVerification: limit(1), sendPasswordless: limit(2), sendTwoFactor: limit(1) },
  });
  lenient = await create({ failedAuthenticationConfiguration: { tooManyAttempts: 50, resetCountInSeconds: 60, actionDuration: 1, actionDurationUnit: 'MINUTES' } });
});
afterAll(async () => {
  await svc?.destroy();
});

describe('failed-login lock (failedAuthenticationConfiguration)', () => {
  it('locks after tooManyAttempts wrong passwords: 409 even with the right one; other users and tenants unaffected', async () => {
    const victim = await newUser(strict);
    const bystander = await newUser(strict);
    const elsewhere = await newUser(lenient);
    const login = (scope: { tenantId: string; applicationId: string }, loginId: string, pw: string) => api('POST', '/api/login', scope.tenantId, { loginId, password: pw, applicationId: scope.applicationId });
    for (let i = 0; i < 3; i++) expect((await login(strict, victim.email, `wrong ${i}`)).status).toBe(404);
    const locked = await login(strict, victim.email, password);
    expect(locked.status).toBe(409);
    expect(JSON.parse(locked.text).actions[0].reasonCode).toBe('failed_authentication');
    // Guessing while locked checks nothing and counts nothing: still 409, right or wrong.
    expect((await login(strict, victim.email, 'another guess')).status).toBe(409);
    expect((await login(strict, bystander.email, password)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await login(lenient, elsewhere.email, `wrong ${i}`)).status).toBe(404);
    expect((await login(lenient, elsewhere.email, password)).status).toBe(200);
  });
});

describe('rateLimitConfiguration', () => {
  it('forgotPassword: 429 past the limit for that user; another user and another tenant are not limited', async () => {
    const user = await newUser(strict);
    const other = await newUser(strict);
    const elsewhere = await newUser(lenient);
    const forgot = (scope: { tenantId: string }, loginId: string) => api('POST', '/api/user/forgot-password', scope.tenantId, { loginId, sendForgotPasswordEmail: false });
    expect((await forgot(strict, user.email)).status).toBe(200);
    expect((await forgot(strict, user.email)).status).toBe(200);
    expectRateLimited(await forgot(strict, user.email));
    // Without an API key (the public form) the same limit holds.
    expectRateLimited(await api('POST', '/api/user/forgot-password', strict.tenantId, { loginId: user.email }, null));
    expect((await forgot(strict, other.email)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await forgot(lenient, elsewhere.email)).status).toBe(200);
  });

  it('sendEmailVerification: the second resend within the window is 429', async () => {
    const user = await newUser(strict);
    const resend = () => api('PUT', `/api/user/verify-email?email=${encodeURIComponent(user.email)}&sendVerifyEmail=false`, strict.tenantId);
    expect((await resend()).status).toBe(200);
    expectRateLimited(await resend());
  });

  it('sendPasswordless: 429 past the limit for that user', async () => {
    const user = await newUser(strict);
    const start = async () => JSON.parse((await api('POST', '/api/passwordless/start', strict.tenantId, { applicationId: strict.applicationId, loginId: user.email })).text).code as string;
    const code = await start();
    expect((await api('POST', '/api/passwordless/send', strict.tenantId, { code }, null)).status).toBe(200);
    expect((await api('POST', '/api/passwordless/send', strict.tenantId, { code }, null)).status).toBe(200);
    expectRateLimited(await api('POST', '/api/passwordless/send', strict.tenantId, { code: await start() }, null));
  });

  it('sendTwoFactor: the second code within the window is 429', async () => {
    const user = await newUser(strict);
    const enabled = await api('POST', `/api/user/two-factor/${user.id}`, strict.tenantId, { method: 'email', email: user.email });
    expect(enabled.status, enabled.text).toBe(200);
    const challenged = await api('POST', '/api/login', strict.tenantId, { loginId: user.email, password, applicationId: strict.applicationId });
    expect(challenged.status).toBe(242);
    const twoFactorId = JSON.parse(challenged.text).twoFactorId as string;
    expect((await api('POST', `/api/two-factor/send/${twoFactorId}`, strict.tenantId, {}, null)).status).toBe(200);
    expectRateLimited(await api('POST', `/api/two-factor/send/${twoFactorId}`, strict.tenantId, {}, null));
  });
});
