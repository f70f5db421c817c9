/**
 * Two-factor codes by email, end to end: `POST /api/two-factor/send/{twoFactorId}` puts a job on the
 * queue, the worker sends the code to a real SMTP server on loopback, and the code completes the
 * login; `user.two-factor.method.add|remove` reach a webhook receiver; a hard delete takes the
 * user's login records with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let smtp: SmtpCapture;
let hooks: WebhookReceiver;
let client: FusionAuthClient;
let tenantId: string;
const PASSWORD = 'two-factor-password';

beforeAll(async () => {
  smtp = await startSmtpCapture();
  hooks = await startWebhookReceiver();
  svc = await startTestService({ env: { SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) } });
  tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  client = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
  await svc.client.createWebhook(null as unknown as string, {
    webhook: { global: true, url: hooks.url, eventsEnabled: { 'user.two-factor.method.add': true, 'user.two-factor.method.remove': true } } as never,
  });
});
afterAll(async () => {
  await svc?.destroy();
  await smtp?.close();
  await hooks?.close();
});

async function userWithEmailMethod() {
  const email = `tfa-${randomUUID()}@example.com`;
  const user = (await client.createUser(null as unknown as string, { user: { email, password: PASSWORD } })).response.user!;
  const enabled = await client.enableTwoFactor(user.id!, { method: 'email', email } as never);
  expect(enabled.response.recoveryCodes).toHaveLength(10);
  const methodId = (await client.retrieveUser(user.id!)).response.user!.twoFactor!.methods![0]!.id!;
  return { user, email, methodId, recoveryCodes: enabled.response.recoveryCodes! };
}

describe('two-factor codes by email', () => {
  it('send → the code arrives over SMTP → it completes the login once; a wrong code is 421', async () => {
    const { email, methodId } = await userWithEmailMethod();
    const challenged = await client.login({ loginId: email, password: PASSWORD });
    expect(challenged.statusCode).toBe(242);
    expect(challenged.response.methods).toEqual([expect.objectContaining({ id: methodId, method: 'email', email })]);
    const twoFactorId = challenged.response.twoFactorId!;

    expect((await client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId })).statusCode).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(email), 15_000);
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    expect(code).toBeDefined();
    // The code is in the email only: neither the event log nor the job carries it in plaintext.
    const events = await svc.service.context.eventStore.readAll();
    expect(JSON.stringify(events.filter((e) => e.type === 'TwoFactorCodeSent'))).not.toContain(code);

    const wrong = code === '000000' ? '111111' : '000000';
    expect((await failure(client.twoFactorLogin({ twoFactorId, code: wrong }))).statusCode).toBe(421);
    const completed = await client.twoFactorLogin({ twoFactorId, code: code! });
    expect(completed.statusCode).toBe(200);
    expect(completed.response.token).toEqual(expect.any(String));
    expect((await failure(client.twoFactorLogin({ twoFactorId, code: code! }))).statusCode).toBe(404);
  });

  it('a code asked for after the login completed is not sent; send for an unknown twoFactorId is 404, bad input 400', async () => {
    const { email, methodId } = await userWithEmailMethod();
    const first = (await client.login({ loginId: email, password: PASSWORD })).response.twoFactorId!;
    await client.sendTwoFactorCodeForLoginUsingMethod(first, { methodId });
    const mail = await smtp.waitFor((m) => m.to.includes(email), 15_000);
    await client.twoFactorLogin({ twoFactorId: first, code: /\b(\d{6})\b/.exec(mail.text)![1]! });
    expect((await failure(client.sendTwoFactorCodeForLoginUsingMethod(first, { methodId }))).statusCode).toBe(404);

    const unknownMethod = (await client.login({ loginId: email, password: PASSWORD })).response.twoFactorId!;
    const bad = await rawRequest(`${svc.url}/api/two-factor/send/${unknownMethod}`, { method: 'POST', body: '{"methodId": 7}', headers: { 'Content-Type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.fieldErrors.methodId[0].code).toBe('[couldNotConvert]methodId');
    const missing = await rawRequest(`${svc.url}/api/two-factor/send/${unknownMethod}`, { method: 'POST', body: '{"methodId": "none"}', headers: { 'Content-Type': 'application/json' } });
    expect(missing.status).toBe(400);
    expect((await rawRequest(`${svc.url}/api/two-factor/send/${randomUUID()}`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })).status).toBe(404);
    expect(smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
  });

  it('user.two-factor.method.add and .remove webhooks carry the method (never a secret)', async () => {
    const { user, email, methodId, recoveryCodes } = await userWithEmailMethod();
    await client.disableTwoFactor(user.id!, methodId, recoveryCodes[0]!);
    const received = await hooks.waitFor((all) => all.filter((r) => r.body.event.user?.id === user.id).length >= 2, 15_000);
    const mine = received.filter((r) => r.body.event.user?.id === user.id || r.body.event.method?.id === methodId).map((r) => r.body.event);
    const added = mine.find((e) => e.type === 'user.two-factor.method.add');
    const removed = mine.find((e) => e.type === 'user.two-factor.method.remove');
    expect(added).toMatchObject({ tenantId, method: { id: methodId, method: 'email', email } });
    expect(removed).toMatchObject({ tenantId, method: { id: methodId } });
    expect(JSON.stringify(mine)).not.toMatch(/recoveryCode|sealed|secret/i);
  });
});

describe('hard delete', () => {
  it('a hard-deleted user\'s login records are gone from search and export', async () => {
    const email = `records-${randomUUID()}@example.com`;
    const user = (await client.createUser(null as unknown as string, { user: { email, password: PASSWORD } })).response.user!;
    for (let i = 0; i < 3; i++) expect((await client.login({ loginId: email, password: PASSWORD })).statusCode).toBe(200);
    const records = async () => (await client.searchLoginRecords({ search: { userId: user.id!, numberOfResults: 100, retrieveTotal: true } } as never)).response.logins?.length ?? 0;
    await until(async () => (await records()) === 3);

    await client.deleteUserWithRequest(user.id!, { hardDelete: true } as never);
    await until(async () => (await records()) === 0);
    const exported = await fetch(`${svc.url}/api/system/login-record/export?userId=${user.id}`, { headers: { Authorization: svc.apiKey } });
    expect(exported.status).toBe(200);
    expect(Buffer.from(await exported.arrayBuffer()).includes(Buffer.from(user.id!))).toBe(false);
  });

  it('a hard delete removes the user\'s pending two-factor logins and trusted computers from the event log', async () => {
    const { user, email, methodId } = await userWithEmailMethod();
    const twoFactorId = (await client.login({ loginId: email, password: PASSWORD })).response.twoFactorId!;
    await client.sendTwoFactorCodeForLoginUsingMethod(twoFactorId, { methodId });
    const code = /\b(\d{6})\b/.exec((await smtp.waitFor((m) => m.to.includes(email), 15_000)).text)![1]!;
    const trusted = await client.twoFactorLogin({ twoFactorId, code, trustComputer: true } as never);
    expect(trusted.response.twoFactorTrustId).toEqual(expect.any(String));
    await client.login({ loginId: email, password: PASSWORD, ipAddress: '203.0.113.7' } as never);
    const twoFactorEvents = async () =>
      (await svc.service.context.eventStore.readAll()).filter((e) => /^twofactor(trust)?-/.test(e.streamName) && (e.data as { userId?: string }).userId === user.id).length;
    expect(await twoFactorEvents()).toBeGreaterThanOrEqual(4);

    await client.deleteUserWithRequest(user.id!, { hardDelete: true } as never);
    await until(async () => (await twoFactorEvents()) === 0);
    expect((await failure(client.twoFactorLogin({ twoFactorId, code }))).statusCode).toBe(404);
  });
});

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
