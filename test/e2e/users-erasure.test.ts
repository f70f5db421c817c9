/**
 * Hard delete leaves no byte of the user's email in ANY file of the data directory: the event store,
 * views, search index (FTS5 shadow tables included), job queue, their -wal files and the dev mailbox,
 * after the user was created, registered, logged in (refresh token, login records), sent emails
 * (setup, verification, forgot password, passwordless code), delivered to a webhook, and updated to a
 * second address. Then the id and both addresses can be used again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let receiver: WebhookReceiver;
const none = null as unknown as string;

beforeAll(async () => {
  svc = await startTestService();
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await svc?.destroy();
  await receiver?.close();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Every file (and -wal/-shm) holding any case variant of any needle, as UTF-8 or UTF-16LE. */
function filesContaining(dir: string, needles: string[]): string[] {
  const variants = needles.flatMap((n) => [n, n.toLowerCase(), n.toUpperCase()]).flatMap((v) => [Buffer.from(v, 'utf8'), Buffer.from(v, 'utf16le')]);
  return filesUnder(dir).filter((file) => {
    const bytes = readFileSync(file);
    const lower = Buffer.from(bytes.toString('latin1').toLowerCase(), 'latin1');
    return variants.some((v) => bytes.includes(v) || lower.includes(Buffer.from(v.toString('latin1').toLowerCase(), 'latin1')));
  });
}

describe('hard delete erasure', () => {
  it('leaves no byte of either email (or the name) in any file of the data dir, with -wal files; the id and the emails are free again', async () => {
    const tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
    const client = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
    await client.createWebhook(none, { webhook: { url: receiver.url, global: true, eventsEnabled: { 'user.create': true, 'user.update': true, 'user.login.success': true, 'user.delete': true, 'user.delete.complete': true } } as never });
    const app = (await client.createApplication(none, { application: { name: `erase-${randomUUID()}`, loginConfiguration: { generateRefreshTokens: true, allowTokenRefresh: true }, passwordlessConfiguration: { enabled: true } } as never })).response.application!;
    // Unique tokens: the test looks for them, in any case, in every byte of every file.
    const token = randomBytes(8).toString('hex');
    const first = `Erase.${token}.One@Example.COM`;
    const second = `erase.${token}.two@example.net`;
    const lastName = `Zyx${randomBytes(6).toString('hex')}`;
    const id = randomUUID();

    await client.register(id, { user: { email: first, password: 'password-123-abc', firstName: 'Ermintrude', lastName }, registration: { applicationId: app.id! }, sendSetPasswordEmail: false } as never);
    const login = await client.login({ loginId: first, password: 'password-123-abc', applicationId: app.id! });
    expect(login.response.refreshToken).toBeTruthy();
    await client.resendEmailVerification(first).catch(() => undefined);
    await client.forgotPassword({ loginId: first, sendForgotPasswordEmail: true } as never);
    await client.startPasswordlessLogin({ applicationId: app.id!, loginId: first } as never).catch(() => undefined);
    await client.updateUser(id, { user: { email: second, firstName: 'Ermintrude', lastName } });
    await client.login({ loginId: second, password: 'password-123-abc' });
    await receiver.waitFor((r) => r.filter((x) => JSON.stringify(x.body).includes(token)).length >= 3);
    expect(filesContaining(svc.dataDir, [token]).length).toBeGreaterThan(0);

    await client.deleteUserWithRequest(id, { hardDelete: true } as never);
    expect((await failure(client.retrieveUser(id))).statusCode).toBe(404);
    // The user.delete webhook (ids only) went out: its job and delivery record are in the data dir too.
    const deleted = await receiver.waitFor((r) => r.some((x) => x.body?.event?.type === 'user.delete' && x.body.event.user?.id === id));
    expect(deleted.find((x) => x.body?.event?.type === 'user.delete')!.rawBody.toLowerCase()).not.toContain(token);
    // While running: the answer comes after the write-ahead logs were checkpointed and truncated.
    const running = filesContaining(svc.dataDir, [first, second, token, lastName]);
    expect(running, `files holding the erased user's data while running: ${running.join(', ')}`).toEqual([]);
    await svc.stop();

    const hits = filesContaining(svc.dataDir, [first, second, token, lastName]);
    expect(hits, `files still holding the erased user's data: ${hits.join(', ')}`).toEqual([]);

    // Started again on the same data: the id and both addresses are free.
    svc = await startTestService({ dataDir: svc.dataDir, env: { IDSTREAM_API_KEY: svc.apiKey } });
    const again = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
    expect((await again.createUser(id, { user: { email: second, password: 'password-456-def' } })).response.user?.id).toBe(id);
    expect((await again.createUser(none, { user: { email: first, password: 'password-456-def' } })).statusCode).toBe(200);
    expect((await again.login({ loginId: second, password: 'password-456-def' })).statusCode).toBe(200);
  }, 60_000);
});
