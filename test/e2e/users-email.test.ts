/**
 * Emails and password flows against a real SMTP capture server on loopback: verification (+ resend),
 * setup password, forgot password, and change password by id, by JWT and by API key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';

interface Mail { to: string; subject: string; text: string }
const mails: Mail[] = [];
let smtp: SMTPServer;
let svc: TestService;
let client: FusionAuthClient;
let tenantId: string;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, _session, callback) {
      simpleParser(stream).then((parsed) => {
        mails.push({ to: (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)?.text ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '' });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  svc = await startTestService({ env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port) } });
  tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  await svc.client.patchTenant(tenantId, { tenant: { emailConfiguration: { verifyEmail: true } } } as never);
  client = new FusionAuthClient(svc.apiKey, svc.url).setTenantId(tenantId);
});
afterAll(async () => {
  await svc?.destroy();
  await new Promise<void>((resolve) => smtp?.close(() => resolve()));
});

async function mailTo(address: string, subject: string): Promise<Mail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = mails.find((m) => m.to === address && m.subject.includes(subject));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no "${subject}" email to ${address}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const idIn = (mail: Mail) => /\n\n([A-Za-z0-9_-]{43})\n/.exec(mail.text)![1]!;
const anonymous = () => new FusionAuthClient(null as unknown as string, svc.url).setTenantId(tenantId);

describe('email verification', () => {
  it('sends a verification email on create; the id retrieves and verifies the user; resend with and without email', async () => {
    const address = `verify-${randomUUID()}@example.com`;
    const user = (await client.createUser(null as unknown as string, { user: { email: address, password: 'password-123' } })).response.user!;
    expect(user.verified).toBe(false);
    const verificationId = idIn(await mailTo(address, 'Verify'));
    expect((await client.retrieveUserByVerificationId(verificationId)).response.user?.id).toBe(user.id);
    await anonymous().verifyEmailAddress({ verificationId });
    const verified = (await client.retrieveUser(user.id!)).response.user!;
    expect(verified.verified).toBe(true);
    expect(verified.verifiedInstant).toBeGreaterThan(0);
    // Used: gone.
    expect((await failure(anonymous().verifyEmailAddress({ verificationId }))).statusCode).toBe(404);
    expect((await failure(client.retrieveUserByVerificationId(verificationId))).statusCode).toBe(404);

    const silent = await rawRequest(`${svc.url}/api/user/verify-email?email=${encodeURIComponent(address)}&sendVerifyEmail=false`, { method: 'PUT', apiKey: svc.apiKey, headers: { 'X-FusionAuth-TenantId': tenantId } });
    expect(silent.body.verificationId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const resent = await anonymous().resendEmailVerification(address);
    expect(resent.response).toBeFalsy();
    await mailTo(address, 'Verify');
    expect((await failure(anonymous().resendEmailVerification(`nobody-${randomUUID()}@example.com`))).statusCode).toBe(404);
    expect((await rawRequest(`${svc.url}/api/user/verify-email`, { method: 'PUT', apiKey: svc.apiKey, headers: { 'X-FusionAuth-TenantId': tenantId } })).status).toBe(400);
    expect((await rawRequest(`${svc.url}/api/user/verify-email`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"verificationId": 5}' })).status).toBe(400);
  });

  it('an administrator verifies by user id', async () => {
    const user = (await client.createUser(null as unknown as string, { user: { email: `admin-verify-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
    await client.verifyEmailAddressByUserId({ userId: user.id! } as never);
    expect((await client.retrieveUser(user.id!)).response.user?.verified).toBe(true);
  });
});

describe('passwords', () => {
  it('setup-password email on create; setting the password verifies the email and returns a one-time password', async () => {
    const address = `setup-${randomUUID()}@example.com`;
    const created = await client.createUser(null as unknown as string, { user: { email: address }, sendSetPasswordEmail: true } as never);
    expect(created.response.token).toBeUndefined();
    const mail = await mailTo(address, 'Set up');
    expect(mails.some((m) => m.to === address && m.subject.includes('Verify'))).toBe(false);
    const changePasswordId = idIn(mail);
    expect((await client.retrieveUserByChangePasswordId(changePasswordId)).response.user?.email).toBe(address);
    const changed = await anonymous().changePassword(changePasswordId, { password: 'my-new-password' });
    expect(changed.response.oneTimePassword).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await client.retrieveUser(created.response.user!.id!)).response.user?.verified).toBe(true);
    expect((await client.login({ loginId: address, password: 'my-new-password' })).statusCode).toBe(200);
    expect((await failure(anonymous().changePassword(changePasswordId, { password: 'again-password' }))).statusCode).toBe(404);
  });

  it('forgot password (email, API key with changePasswordId), then change by id, by JWT and by API key', async () => {
    const address = `forgot-${randomUUID()}@example.com`;
    await client.createUser(null as unknown as string, { user: { email: address, password: 'password-one' }, skipVerification: true } as never);
    const plain = await anonymous().forgotPassword({ loginId: address });
    expect(plain.statusCode).toBe(200);
    const emailed = idIn(await mailTo(address, 'Reset'));
    const keyed = await client.forgotPassword({ loginId: address, sendForgotPasswordEmail: false, state: { from: 'test' } } as never);
    expect(keyed.response.changePasswordId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only the newest change-password id is outstanding.
    expect((await failure(anonymous().changePassword(emailed, { password: 'password-two' }))).statusCode).toBe(404);
    expect((await failure(anonymous().changePassword(keyed.response.changePasswordId!, { password: 'password-two', currentPassword: 'wrong' }))).statusCode).toBe(404);
    expect((await failure(anonymous().changePassword(keyed.response.changePasswordId!, { password: 'x' }))).exception.fieldErrors.password[0].code).toBe('[tooShort]password');
    await anonymous().changePassword(keyed.response.changePasswordId!, { password: 'password-two' });
    const login = await client.login({ loginId: address, password: 'password-two' });

    const byJwt = await anonymous().changePasswordByJWT(login.response.token!, { currentPassword: 'password-two', password: 'password-three' } as never);
    expect(byJwt.response.oneTimePassword).toBeTruthy();
    expect((await failure(anonymous().changePasswordByJWT(login.response.token!, { password: 'password-four' } as never))).statusCode).toBe(400);

    const byKey = await client.changePasswordByIdentity({ loginId: address, currentPassword: 'password-three', password: 'password-four' });
    expect(byKey.response).toBeFalsy();
    expect((await failure(client.changePasswordByIdentity({ loginId: address, currentPassword: 'wrong', password: 'password-five' }))).statusCode).toBe(400);
    expect((await client.login({ loginId: address, password: 'password-four' })).statusCode).toBe(200);

    expect((await failure(anonymous().forgotPassword({ loginId: `nobody-${randomUUID()}@example.com` }))).statusCode).toBe(404);
    const noEmail = `nomail-${randomUUID().slice(0, 8)}`;
    await client.createUser(null as unknown as string, { user: { username: noEmail, password: 'password-123' } });
    expect((await failure(anonymous().forgotPassword({ loginId: noEmail }))).statusCode).toBe(422);
    expect((await rawRequest(`${svc.url}/api/user/forgot-password`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-FusionAuth-TenantId': tenantId }, body: '{}' })).status).toBe(400);
    expect((await rawRequest(`${svc.url}/api/user/change-password`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"password": 1}' })).status).toBe(400);
  });

  it('checks a change-password id (GET): 200 while outstanding, 404 once used, replaced or unknown; by JWT and by login id too', async () => {
    const address = `check-${randomUUID()}@example.com`;
    await client.createUser(null as unknown as string, { user: { email: address, password: 'password-one' }, skipVerification: true } as never);
    const first = (await client.forgotPassword({ loginId: address, sendForgotPasswordEmail: false } as never)).response.changePasswordId!;
    expect((await anonymous().checkChangePasswordUsingId(first)).statusCode).toBe(200);
    expect((await anonymous().checkChangePasswordUsingIdAndIPAddress(first, '10.0.0.1')).statusCode).toBe(200);
    const second = (await client.forgotPassword({ loginId: address, sendForgotPasswordEmail: false } as never)).response.changePasswordId!;
    expect((await failure(anonymous().checkChangePasswordUsingId(first))).statusCode).toBe(404);
    expect((await anonymous().checkChangePasswordUsingId(second)).statusCode).toBe(200);
    await anonymous().changePassword(second, { password: 'password-two' });
    expect((await failure(anonymous().checkChangePasswordUsingId(second))).statusCode).toBe(404);
    expect((await failure(anonymous().checkChangePasswordUsingId('not-an-id'))).statusCode).toBe(404);

    const login = await client.login({ loginId: address, password: 'password-two' });
    expect((await anonymous().checkChangePasswordUsingJWT(login.response.token!)).statusCode).toBe(200);
    expect((await failure(anonymous().checkChangePasswordUsingJWT('not.a.jwt'))).statusCode).toBe(401);
    expect((await client.checkChangePasswordUsingLoginId(address)).statusCode).toBe(200);
    expect((await failure(client.checkChangePasswordUsingLoginId(`nobody-${randomUUID()}@example.com`))).statusCode).toBe(404);
    expect((await failure(anonymous().checkChangePasswordUsingLoginId(address))).statusCode).toBe(401);
    const bare = await rawRequest(`${svc.url}/api/user/change-password`, {});
    expect(bare.status).toBe(400);
    expect(bare.body.fieldErrors.loginId[0].code).toBe('[blank]loginId');
  });
});
