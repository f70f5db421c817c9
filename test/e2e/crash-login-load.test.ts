/**
 * `kill -9` of the service process under a login load with concurrent creates. After the restart:
 * every acknowledged create is there by id and by email, the read models equal a rebuild from the
 * event log, every acknowledged user's `user.create` webhook and setup-password email arrive (a
 * repeated webhook carries the same event id), and logins work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';
import { spawnService, type ServiceProcess } from '../support/service-process.js';
import { compareWithRebuild, eventIdsByUser, missingUsers, waitUntil, type AcknowledgedUser } from '../support/crash-invariants.js';

const LOAD_MS = 5_000;
const WORKERS = 6;
const LOGIN_USERS = 12;

let dataDir: string;
const apiKey = `crash-${randomBytes(24).toString('hex')}`;
let receiver: WebhookReceiver;
let smtp: SmtpCapture;
let service: ServiceProcess | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'idstream-crash-load-'));
  [receiver, smtp] = await Promise.all([startWebhookReceiver(), startSmtpCapture()]);
});

afterAll(async () => {
  if (service) await service.kill9();
  await Promise.all([receiver?.close(), smtp?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const env = () => ({ SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) });

function post(url: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { Authorization: apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

describe('kill -9 during a login load with creates', () => {
  it('keeps every acknowledged create with its webhook and email; the read models equal a rebuild; logins work after', async () => {
    service = await spawnService({ dataDir, apiKey, env: env() });
    const live = service;
    // A cheap tenant hash (FusionAuth's PBKDF2 at 1,000 rounds): the load is writes, not argon2id.
    const tenantId = ((await (await fetch(`${live.url}/api/tenant`, { headers: { Authorization: apiKey } })).json()) as { tenants: { id: string }[] }).tenants[0]!.id;
    const patched = await fetch(`${live.url}/api/tenant/${tenantId}`, {
      method: 'PATCH',
      headers: { Authorization: apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ tenant: { passwordEncryptionConfiguration: { encryptionScheme: 'salted-pbkdf2-hmac-sha256', encryptionSchemeFactor: 1000 } } }),
    });
    expect(patched.status).toBe(200);
    expect((await post(live.url, '/api/webhook', { webhook: { url: receiver.url, global: true, eventsEnabled: { 'user.create': true, 'user.login.success': true } } })).status).toBe(200);
    const loginUsers = await Promise.all(Array.from({ length: LOGIN_USERS }, async (_, i) => {
      const email = `load-${i}-${randomUUID()}@example.com`;
      const created = await post(live.url, '/api/user', { user: { email, password: `load-password-${i}` } });
      expect(created.status).toBe(200);
      return { email, password: `load-password-${i}` };
    }));

    // 1. Logins and creates (with a setup-password email) from several clients until the kill.
    const creates: AcknowledgedUser[] = [];
    let logins = 0;
    let failures = 0;
    let killed = false;
    const started = Date.now();
    const worker = async (w: number) => {
      for (let n = 0; !killed; n++) {
        try {
          if (n % 3 === 2) {
            const email = `created-${w}-${n}-${randomUUID()}@example.com`;
            const response = await post(live.url, '/api/user', { user: { email }, sendSetPasswordEmail: true });
            if (response.status === 200) creates.push({ id: ((await response.json()) as { user: { id: string } }).user.id, email });
            else failures++;
          } else {
            const user = loginUsers[(w + n) % LOGIN_USERS]!;
            const response = await post(live.url, '/api/login', { loginId: user.email, password: user.password });
            await response.arrayBuffer();
            if (response.status === 200) logins++;
            else failures++;
          }
        } catch {
          return; // the process died under this request: unacknowledged
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
    killed = true;
    expect(await live.kill9()).toBe('SIGKILL');
    await load;
    expect(failures).toBe(0);
    expect(creates.length).toBeGreaterThan(20);

    // 2. Restart: acknowledged creates present; side effects for each of them arrive.
    const restartStarted = Date.now();
    service = await spawnService({ dataDir, apiKey, env: env() });
    const restartMs = Date.now() - restartStarted;
    const loginEventIds = () => new Set(receiver.received.filter((r) => r.body?.event?.type === 'user.login.success').map((r) => r.body.event.id)).size;
    const webhooksArrived = waitUntil(
      () => creates.every((u) => eventIdsByUser(receiver.received, 'user.create').has(u.id)) && loginEventIds() >= logins,
      60_000,
      'user.create for every acknowledged create, user.login.success for every acknowledged login',
    );
    const emailsArrived = waitUntil(() => {
      const to = new Set(smtp.messages.flatMap((m) => m.to));
      return creates.every((u) => to.has(u.email));
    }, 60_000, 'a setup-password email for every acknowledged create');
    void webhooksArrived.catch(() => undefined);
    void emailsArrived.catch(() => undefined);
    const missing = await missingUsers(service.url, apiKey, creates);
    expect(missing).toEqual({ byId: [], byEmail: [] });
    for (const user of loginUsers.slice(0, 3)) expect((await post(service.url, '/api/login', { loginId: user.email, password: user.password })).status).toBe(200);
    const webhookMs = await webhooksArrived;
    const emailMs = await emailsArrived;
    const byUser = eventIdsByUser(receiver.received, 'user.create');
    expect(creates.filter((u) => byUser.get(u.id)!.size !== 1)).toEqual([]);
    const loginEvents = receiver.received.filter((r) => r.body?.event?.type === 'user.login.success');

    // 3. The read models equal a rebuild from the log.
    expect(await service.stop()).toBe(0);
    service = undefined;
    const comparison = await compareWithRebuild(dataDir);
    expect(comparison.viewMismatches.length, `first differing ids: ${comparison.viewMismatches.slice(0, 5).join(', ')}`).toBe(0);
    expect(comparison.searchMismatch).toBe(false);
    expect(comparison.documents).toBeGreaterThanOrEqual(creates.length + LOGIN_USERS);

    console.log(JSON.stringify({
      scenario: 'kill -9 during login load',
      loadMs: LOAD_MS,
      acknowledgedLogins: logins,
      acknowledgedCreates: creates.length,
      restartMs,
      webhooksCaughtUpAfterReadyMs: webhookMs,
      emailsCaughtUpAfterReadyMs: emailMs,
      userCreateDeliveries: receiver.received.filter((r) => r.body?.event?.type === 'user.create').length,
      loginSuccessDeliveries: loginEvents.length,
      emailsReceived: smtp.messages.length,
      viewDocumentsCompared: comparison.documents,
      rebuildMs: comparison.rebuildMs,
    }));
  }, 150_000);
});
