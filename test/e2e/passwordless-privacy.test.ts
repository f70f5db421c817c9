/**
 * Passwordless codes and privacy: stream names are keyed digests (a 6-digit code is not recoverable
 * from its stream name), a hard delete erases the user's code streams (which hold its id and
 * `state`), email delivery outcomes are events in the user's history, and a lockout (409) applies to
 * passwordless logins too. Mail goes to a real SMTP server on loopback that refuses one domain.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { SMTPServer } from 'smtp-server';
import { passwordlessCodeStream } from '../../services/api/src/application/passwordless.js';
import { failure, rawRequest, type TestService } from '../support/harness.js';
import { createPasswordlessApp, defaultTenantId, seedUser, startPasswordlessService } from '../support/passwordless-fixtures.js';

/** Accepts every message except those for `@bounce.test`, which it refuses for good (550). */
async function startRefusingSmtp() {
  const accepted: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.endsWith('@bounce.test')) {
        callback(Object.assign(new Error(`5.1.1 <${address.address}>: Recipient address rejected: no such mailbox`), { responseCode: 550 }));
        return;
      }
      accepted.push(address.address);
      callback();
    },
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { host: '127.0.0.1', port: (server.server.address() as AddressInfo).port, accepted, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let smtp: Awaited<ReturnType<typeof startRefusingSmtp>>;
let svc: TestService;
let tenantId: string;
let appId: string;
let anonymous: FusionAuthClient;

beforeAll(async () => {
  smtp = await startRefusingSmtp();
  svc = await startPasswordlessService(smtp as never);
  tenantId = await defaultTenantId(svc);
  appId = await createPasswordlessApp(svc);
  anonymous = new FusionAuthClient('', svc.url);
});

afterAll(async () => {
  await svc?.destroy();
  await smtp?.close();
});

async function start(loginId: string, applicationId = appId, state?: Record<string, unknown>): Promise<string> {
  return (await svc.client.startPasswordlessLogin({ applicationId, loginId, ...(state && { state }) })).response.code!;
}

async function history(userId: string): Promise<{ type: string; details?: Record<string, unknown> }[]> {
  const response = await rawRequest(`${svc.url}/api/user/${userId}/history?limit=500`, { apiKey: svc.apiKey });
  expect(response.status).toBe(200);
  return response.body.events;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('code stream names', () => {
  it('a 6-digit code is stored under a keyed digest: no stream is named by its SHA-256', async () => {
    const tenant = await svc.client.createTenant(randomUUID(), {
      tenant: { name: `Six digits ${randomUUID()}`, externalIdentifierConfiguration: { passwordlessLoginGenerator: { length: 6, type: 'randomDigits' as never } } },
    });
    const sixTenant = tenant.response.tenant!.id!;
    const sixApp = await createPasswordlessApp(svc, { tenantId: sixTenant });
    const address = `six-${randomUUID()}@example.com`;
    await seedUser(svc, { tenantId: sixTenant, email: address, registeredTo: [sixApp] });
    const code = await start(address, sixApp);
    expect(code).toMatch(/^\d{6}$/);
    const store = svc.service.adapters.eventStore;
    const unkeyed = `passwordless-${createHash('sha256').update(code).digest('hex')}`;
    const stream = passwordlessCodeStream(svc.service.context, code);
    expect(stream).not.toBe(unkeyed);
    expect(stream).toMatch(/^passwordless-[0-9a-f]{64}$/);
    expect(await store.readStream(unkeyed)).toEqual([]);
    const all = await store.readAll();
    expect(all.some((e) => e.streamName === unkeyed)).toBe(false);
    expect(all.filter((e) => e.streamName === stream).map((e) => e.type)).toEqual(['PasswordlessCodeIssued']);
    expect((await anonymous.passwordlessLogin({ code })).statusCode).toBe(200);
  });
});

describe('email delivery outcomes', () => {
  it('a delivered email, a refused mailbox and a user without an email address are events in the history', async () => {
    const delivered = `ok-${randomUUID()}@example.com`;
    const deliveredId = await seedUser(svc, { tenantId, email: delivered, registeredTo: [appId] });
    await anonymous.sendPasswordlessCode({ code: await start(delivered) });
    const deliveredEvent = await eventually(async () => (await history(deliveredId)).find((e) => e.type === 'PasswordlessEmailDelivered'));
    expect(deliveredEvent.details).toMatchObject({ applicationId: appId, attempt: 1 });
    expect(smtp.accepted).toContain(delivered);
    expect((await history(deliveredId)).map((e) => e.type)).toEqual(expect.arrayContaining(['PasswordlessCodeIssued', 'PasswordlessCodeSent', 'PasswordlessEmailDelivered']));

    // 550 is permanent: one attempt, recorded as failed, without the address in the error.
    const bounced = `gone-${randomUUID()}@bounce.test`;
    const bouncedId = await seedUser(svc, { tenantId, email: bounced, registeredTo: [appId] });
    await anonymous.sendPasswordlessCode({ code: await start(bounced) });
    const failed = await eventually(async () => (await history(bouncedId)).find((e) => e.type === 'PasswordlessEmailFailed'));
    expect(failed.details).toMatchObject({ reason: 'delivery', attempt: 1 });
    expect(String(failed.details?.error)).toContain('550');
    expect(String(failed.details?.error)).not.toContain(bounced);
    expect(JSON.stringify(await history(bouncedId))).not.toContain('sealedCode');

    // A username-only user cannot receive the email.
    const username = `nomail-${randomUUID().slice(0, 8)}`;
    const scoped = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
    const registered = await scoped.register(randomUUID(), { user: { username, password: 'correct horse battery' }, registration: { applicationId: appId } });
    const usernameId = registered.response.user!.id!;
    await anonymous.sendPasswordlessCode({ code: await start(username) });
    const noAddress = await eventually(async () => (await history(usernameId)).find((e) => e.type === 'PasswordlessEmailFailed'));
    expect(noAddress.details).toMatchObject({ reason: 'noEmailAddress' });
  });
});

describe('history of many codes', () => {
  it('shows every code of a user whose index spilled into sealed chunks (more than 64 codes)', async () => {
    const email = `many-codes-${randomUUID()}@example.com`;
    const userId = await seedUser(svc, { tenantId, email, registeredTo: [appId] });
    const codes = 70;
    for (let i = 0; i < codes; i++) await start(email);
    // The code index is eventually consistent: wait until it holds all 70, then every one is in the history.
    const issued = await eventually(async () => {
      const count = (await history(userId)).filter((e) => e.type === 'PasswordlessCodeIssued').length;
      return count === codes ? count : undefined;
    });
    expect(issued).toBe(codes);
  }, 60_000);
});

describe('hard delete', () => {
  it("erases the user's code streams (user id and state), and a stream written after the erasure", async () => {
    const address = `erase-${randomUUID()}@example.com`;
    const userId = await seedUser(svc, { tenantId, email: address, registeredTo: [appId] });
    const codes = [await start(address, appId, { secret: 'state one' }), await start(address, appId, { secret: 'state two' })];
    const store = svc.service.adapters.eventStore;
    const streams = codes.map((code) => passwordlessCodeStream(svc.service.context, code));
    for (const stream of streams) expect((await store.readStream(stream)).length).toBeGreaterThan(0);
    await svc.service.projector!.passwordlessErasure.catchUp();
    expect((await svc.service.readModels.passwordlessCodes.get(userId))?.body.streams).toEqual(expect.arrayContaining(streams));

    await svc.client.deleteUserWithRequest(userId, { hardDelete: true } as never);
    await svc.service.projector!.passwordlessErasure.catchUp();
    for (const stream of streams) expect(await store.readStream(stream)).toEqual([]);
    const all = JSON.stringify(await store.readAll());
    expect(all).not.toContain('state one');
    expect(all).not.toContain('state two');
    expect((await failure(anonymous.passwordlessLogin({ code: codes[0]! }))).statusCode).toBe(404);

    // An email outcome recorded late recreates a stream: it is deleted as soon as it is seen.
    await store.append(streams[0]!, [{ id: randomUUID(), type: 'PasswordlessEmailDelivered', data: { userId, tenantId, applicationId: appId, instant: Date.now(), issuedRevision: 0, attempt: 1 } }], 'any');
    await svc.service.projector!.passwordlessErasure.catchUp();
    expect(await store.readStream(streams[0]!)).toEqual([]);
    expect((await svc.service.readModels.passwordlessCodes.get(userId))?.body).toEqual({ streams: [], erased: true });
  });
});

describe('lockout', () => {
  it('409 with the lock action: a locked account cannot log in with a valid code either', async () => {
    const tenant = await svc.client.createTenant(randomUUID(), {
      tenant: { name: `Lockout ${randomUUID()}`, failedAuthenticationConfiguration: { tooManyAttempts: 2, resetCountInSeconds: 60, actionDuration: 5, actionDurationUnit: 'MINUTES' } } as never,
    });
    const lockTenant = tenant.response.tenant!.id!;
    const lockApp = await createPasswordlessApp(svc, { tenantId: lockTenant });
    const scoped = new FusionAuthClient(svc.apiKey, svc.url, lockTenant);
    const address = `lock-${randomUUID()}@example.com`;
    await scoped.register(randomUUID(), { user: { email: address, password: 'the right password' }, registration: { applicationId: lockApp } });
    for (let i = 0; i < 2; i++) expect((await failure(scoped.login({ loginId: address, password: `wrong-${i}-password`, applicationId: lockApp }))).statusCode).toBe(404);
    const code = await start(address, lockApp);
    const locked = await failure(anonymous.passwordlessLogin({ code }));
    expect(locked.statusCode).toBe(409);
    expect(locked.exception.actions[0]).toMatchObject({ reasonCode: 'failed_authentication', expiry: expect.any(Number) });
    expect(locked.exception.token).toBeUndefined();
  });
});
