/**
 * No password, code, token or key in plaintext anywhere the service writes. The service runs as its
 * own process (`idstream start`, the real logger) with LOG_LEVEL=trace; a full end-to-end flow uses
 * every kind of secret: create with a password, login, refresh, two-factor (TOTP secret, recovery
 * codes, twoFactorId), passwordless code, forgot/change password (changePasswordId, one-time
 * password, new passwords), email verification id, API key create, a webhook with basic auth, a
 * Facebook identity provider with a client_secret. Then every log line, every event (readAll), every
 * row of every table of every SQLite database (events, views and search, jobs) and the raw bytes of
 * every file in the data directory (WAL included) are scanned for each secret: zero hits.
 *
 * The dev mailbox (`<data>/mailbox`) is outgoing mail — its job is to carry a code to its owner — and
 * is the one place not scanned.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { openSqliteEventStore } from '@idstream/eventstore';

const repo = join(import.meta.dirname, '..', '..');
// better-sqlite3 is a dependency of the storage packages, not of the test package.
const Database = createRequire(join(repo, 'packages', 'eventstore', 'package.json'))('better-sqlite3') as new (path: string, options?: { readonly?: boolean }) => {
  prepare(sql: string): { all(): Record<string, unknown>[] };
  close(): void;
};

const dataDir = mkdtempSync(join(tmpdir(), 'idstream-secrets-'));
const superKey = `super-${randomBytes(24).toString('hex')}`;
let child: ChildProcess;
let url: string;
const logLines: string[] = [];
/** Every secret the flow used or was given, by name. */
const secrets: Record<string, string> = { superKey };

function totp(secretBase64: string, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const digest = createHmac('sha1', Buffer.from(secretBase64, 'base64')).update(counter).digest();
  const offset = digest[19]! & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function call(method: string, path: string, body?: unknown, key: string | null = superKey): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...(key && { Authorization: key }), 'Content-Type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function ok(method: string, path: string, body?: unknown, key: string | null = superKey): Promise<any> {
  const answer = await call(method, path, body, key);
  if (answer.status >= 300 && answer.status !== 242) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

beforeAll(async () => {
  child = spawn(process.execPath, [join(repo, 'bin', 'idstream.mjs'), 'start'], {
    env: { ...process.env, LOG_LEVEL: 'trace', HOST: '127.0.0.1', PORT: '0', IDSTREAM_DATA_DIR: dataDir, IDSTREAM_API_KEY: superKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let partial = '';
  const onData = (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    logLines.push(...parts);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const deadline = Date.now() + 60_000;
  while (!url) {
    const ready = logLines.find((l) => l.includes('"idstream ready"'));
    if (ready) url = JSON.parse(ready).url;
    else if (child.exitCode !== null || Date.now() > deadline) throw new Error(`not ready:\n${logLines.slice(-20).join('\n')}`);
    else await new Promise((resolve) => setTimeout(resolve, 25));
  }
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('secrets at rest', () => {
  it('runs a flow that uses every kind of secret', async () => {
    const applicationId = (
      await ok('POST', '/api/application', { application: { name: 'secrets app', loginConfiguration: { generateRefreshTokens: true }, passwordlessConfiguration: { enabled: true } } })
    ).application.id;
    const email = `secret-${randomUUID()}@example.com`;
    secrets.password1 = `first password ${randomBytes(8).toString('hex')}`;
    const userId = (await ok('POST', '/api/user/registration', { user: { email, password: secrets.password1 }, registration: { applicationId }, skipVerification: true })).user.id;

    const login = await ok('POST', '/api/login', { loginId: email, password: secrets.password1, applicationId });
    secrets.accessToken = login.token;
    secrets.refreshToken1 = login.refreshToken;
    const refreshed = await ok('POST', '/api/jwt/refresh', { refreshToken: login.refreshToken }, null);
    secrets.accessToken2 = refreshed.token;
    secrets.refreshToken2 = refreshed.refreshToken;

    const generated = await ok('GET', '/api/two-factor/secret');
    secrets.totpSecret = generated.secret;
    secrets.totpSecretBase32 = generated.secretBase32Encoded;
    const enabled = await ok('POST', `/api/user/two-factor/${userId}`, { method: 'authenticator', secret: generated.secret, code: totp(generated.secret) });
    (enabled.recoveryCodes as string[]).forEach((code, i) => (secrets[`recoveryCode${i}`] = code));
    const challenged = await call('POST', '/api/login', { loginId: email, password: secrets.password1, applicationId });
    expect(challenged.status).toBe(242);
    secrets.twoFactorId = challenged.body.twoFactorId;
    await ok('POST', '/api/two-factor/login', { twoFactorId: secrets.twoFactorId, code: totp(generated.secret), applicationId }, null);
    const again = await call('POST', '/api/login', { loginId: email, password: secrets.password1, applicationId });
    await ok('POST', '/api/two-factor/login', { twoFactorId: again.body.twoFactorId, code: secrets.recoveryCode0, applicationId }, null);

    const started = await ok('POST', '/api/passwordless/start', { applicationId, loginId: email });
    secrets.passwordlessCode = started.code;
    await ok('POST', '/api/passwordless/send', { code: started.code }, null);
    await call('POST', '/api/passwordless/login', { code: started.code }, null);

    secrets.changePasswordId = (await ok('POST', '/api/user/forgot-password', { loginId: email, sendForgotPasswordEmail: false })).changePasswordId;
    secrets.password2 = `second password ${randomBytes(8).toString('hex')}`;
    const changed = await ok('POST', `/api/user/change-password/${secrets.changePasswordId}`, { password: secrets.password2 }, null);
    secrets.oneTimePassword = changed.oneTimePassword;
    await call('POST', '/api/login', { oneTimePassword: changed.oneTimePassword, applicationId }, null);
    secrets.password3 = `third password ${randomBytes(8).toString('hex')}`;
    await ok('POST', '/api/user/change-password', { loginId: email, currentPassword: secrets.password2, password: secrets.password3 });

    secrets.verificationId = (await ok('PUT', `/api/user/verify-email?email=${encodeURIComponent(email)}&sendVerifyEmail=false`)).verificationId;

    secrets.apiKey = `created-${randomBytes(24).toString('hex')}`;
    await ok('POST', '/api/api-key', { apiKey: { key: secrets.apiKey } });
    secrets.webhookPassword = `hook password ${randomBytes(8).toString('hex')}`;
    await ok('POST', '/api/webhook', {
      webhook: { url: 'http://127.0.0.1:9/hook', httpAuthenticationUsername: 'hook-user', httpAuthenticationPassword: secrets.webhookPassword, eventsEnabled: { 'user.create': true, 'user.update': true }, global: true },
    });
    secrets.webhookBasicAuth = Buffer.from(`hook-user:${secrets.webhookPassword}`).toString('base64');
    secrets.facebookClientSecret = `fb-secret-${randomBytes(12).toString('hex')}`;
    await ok('POST', '/api/identity-provider', { identityProvider: { type: 'Facebook', enabled: true, buttonText: 'Facebook', appId: '1234567890', client_secret: secrets.facebookClientSecret } });
    // Something for the webhook to deliver (and retry), so its job payloads exist.
    await ok('POST', '/api/user', { user: { email: `hooked-${randomUUID()}@example.com`, password: `fourth password ${randomBytes(8).toString('hex')}` } });
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    for (const [name, value] of Object.entries(secrets)) expect(value, name).toEqual(expect.any(String));
    expect(Object.keys(secrets).length).toBeGreaterThan(20);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  });

  it('finds none of them in any log line, event, database row or data file', async () => {
    const hits: string[] = [];
    const scan = (where: string, text: string) => {
      for (const [name, value] of Object.entries(secrets)) if (text.includes(value)) hits.push(`${name} in ${where}`);
    };

    // Nothing logs below info today; the request log is the line most likely to carry a secret.
    expect(logLines.filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(20);
    logLines.forEach((line, i) => scan(`log line ${i}: ${line.slice(0, 200)}`, line));

    const eventStore = openSqliteEventStore({ path: join(dataDir, 'events.db') });
    const events = await eventStore.readAll();
    await eventStore.close();
    for (const event of events) scan(`event ${event.type} on ${event.streamName}`, JSON.stringify(event));

    let rows = 0;
    let jobRows = 0;
    const databases = readdirSync(dataDir).filter((f) => f.endsWith('.db'));
    for (const file of databases) {
      const db = new Database(join(dataDir, file), { readonly: true });
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
        for (const row of db.prepare(`SELECT * FROM "${name.replace(/"/g, '""')}"`).all()) {
          rows++;
          if (name === 'job_queue') jobRows++;
          scan(`${file} table ${name}`, JSON.stringify(row, (_k, v) => (v && typeof v === 'object' && v.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v)));
        }
      }
      db.close();
    }

    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) {
          if (entry !== 'mailbox') walk(path);
        } else files.push(path);
      }
    };
    walk(dataDir);
    for (const file of files) scan(`file ${relative(dataDir, file)}`, readFileSync(file).toString('latin1'));

    console.log(
      `secrets at rest: ${Object.keys(secrets).length} secrets scanned in ${logLines.length} log lines, ${events.length} events, ${rows} rows of ${databases.length} databases (${jobRows} job payloads), ${files.length} files: ${hits.length} hits`,
    );
    expect(events.length).toBeGreaterThan(20);
    // The webhook (basic auth) and the emails really produced job payloads to scan.
    expect(jobRows).toBeGreaterThan(0);
    expect(hits).toEqual([]);
  });
});
