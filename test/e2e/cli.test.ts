/**
 * The `idstream` CLI as an operator runs it: a child process (`node bin/idstream.mjs`) against the
 * whole service on loopback. Import: killed with SIGKILL mid-import and resumed — every user of the
 * file exactly once (no duplicate, no gap), also when the kill fell between the service's answer and
 * the checkpoint write. Kickstart and events export too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { hash } from '@idstream/crypto';
import { rawRequest, startTestService, type TestService } from '../support/harness.js';

const BIN = resolve(import.meta.dirname, '../../bin/idstream.mjs');

let svc: TestService;
let work: string;
let stored: { hash: string; salt: string; factor: number };
beforeAll(async () => {
  svc = await startTestService();
  work = mkdtempSync(join(tmpdir(), 'idstream-cli-'));
  // One pre-hashed password for every user: an import then costs no argon2 per user.
  const h = await hash('imported-password', { scheme: 'salted-sha256', factor: 1 });
  stored = { hash: h.hash, salt: h.salt!, factor: h.factor };
});
afterAll(async () => {
  await svc?.destroy();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function cli(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, IDSTREAM_URL: svc.url, IDSTREAM_API_KEY: svc.apiKey, IDSTREAM_DATA_DIR: svc.dataDir, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

/** A FusionAuth import file; a root option after the array (the CLI reads it in its counting pass). */
function writeImportFile(name: string, count: number, tag: string): { path: string; emails: string[] } {
  const emails = Array.from({ length: count }, (_, i) => `cli-${tag}-${i}@example.com`);
  const users = emails.map((email, i) => ({ email, password: stored.hash, salt: stored.salt, factor: stored.factor, encryptionScheme: 'salted-sha256', data: { row: i }, ...(i % 3 === 0 && { username: `cli-${tag}-${i}` }) }));
  const path = join(work, name);
  writeFileSync(path, JSON.stringify({ users, validateDbConstraints: true }));
  return { path, emails };
}

async function importedEvents(emails: string[]): Promise<Map<string, number>> {
  const wanted = new Set(emails);
  const perEmail = new Map<string, number>();
  for (const event of await svc.service.adapters.eventStore.readAll()) {
    if (event.type !== 'UserImported') continue;
    const email = (event.data as { user: { email?: string } }).user.email;
    if (email && wanted.has(email)) perEmail.set(email, (perEmail.get(email) ?? 0) + 1);
  }
  return perEmail;
}

function expectEachExactlyOnce(perEmail: Map<string, number>, emails: string[]): void {
  const missing = emails.filter((e) => !perEmail.has(e));
  const duplicated = [...perEmail].filter(([, n]) => n !== 1);
  expect({ missing: missing.length, duplicated: duplicated.length }).toEqual({ missing: 0, duplicated: 0 });
}

describe('idstream import', () => {
  it('resumes after SIGKILL mid-import with no duplicate and no gap', async () => {
    const { path, emails } = writeImportFile('kill.json', 1_200, 'kill');
    const checkpoint = `${path}.idstream-checkpoint.json`;
    const first = cli(['import', path, '--batch-size', '50']);
    // Kill it once some batches are acknowledged, while it is still sending.
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const state = existsSync(checkpoint) ? JSON.parse(readFileSync(checkpoint, 'utf8')) : undefined;
      if (state?.acknowledgedBatches >= 4) break;
      if (first.child.exitCode !== null) throw new Error(`import ended before the kill: ${(await first.done).stderr}`);
    }
    first.child.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = JSON.parse(readFileSync(checkpoint, 'utf8'));
    expect(atKill.completed).toBeUndefined();
    expect(atKill.importedUsers).toBeLessThan(1_200);

    const second = await cli(['import', path, '--batch-size', '50']).done;
    expect(second.stderr).toContain('import (resumed)');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/imported 1200 users in 24 batches/);
    expectEachExactlyOnce(await importedEvents(emails), emails);

    // The imported users log in with their original password.
    const login = await svc.client.login({ loginId: emails[1_199]!, password: 'imported-password' });
    expect(login.statusCode).toBe(200);
    // The progress bar reported users, a rate and an ETA.
    expect(second.stderr).toMatch(/\d+\/1200 users \d+\/s ETA \d+/);

    // Running it again does nothing: the checkpoint says it is complete.
    const third = await cli(['import', path, '--batch-size', '50']).done;
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('already imported: 1200 users');
  });

  it('a batch the service applied but the CLI never saw acknowledged is not sent twice', async () => {
    const { path, emails } = writeImportFile('inflight.json', 300, 'inflight');
    const checkpoint = `${path}.idstream-checkpoint.json`;
    // Run once fully to learn the ids the CLI gives, then simulate: batches 0..2 applied, the
    // checkpoint written before batch 2's answer (in flight), then the process died.
    const full = await cli(['import', path, '--batch-size', '100']).done;
    expect(full.code, full.stderr).toBe(0);
    const done = JSON.parse(readFileSync(checkpoint, 'utf8'));
    writeFileSync(checkpoint, JSON.stringify({ ...done, acknowledgedBatches: 2, importedUsers: 200, inFlightBatch: 2, completed: undefined }));
    const resumed = await cli(['import', path, '--batch-size', '100']).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('imported 300 users in 3 batches (0 in this run, resumed at batch 3)');
    expectEachExactlyOnce(await importedEvents(emails), emails);
  });

  it('refuses to resume into a changed file or with another batch size, and reports rejected rows by their place in the file', async () => {
    const { path } = writeImportFile('changed.json', 10, 'changed');
    const checkpoint = `${path}.idstream-checkpoint.json`;
    writeFileSync(checkpoint, JSON.stringify({ format: 'idstream-import-checkpoint/1', size: 1, mtimeMs: 1, importId: randomUUID(), batchSize: 500, acknowledgedBatches: 1, importedUsers: 5 }));
    const changed = await cli(['import', path]).done;
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('changed since the interrupted import');
    rmSync(checkpoint);

    const bad = join(work, 'bad.json');
    writeFileSync(bad, JSON.stringify({ users: [...Array.from({ length: 5 }, (_, i) => ({ email: `ok-${randomUUID()}-${i}@example.com`, password: stored.hash, salt: stored.salt, encryptionScheme: 'salted-sha256', factor: 1 })), { email: 'not-an-email', password: 'x' }] }));
    const rejected = await cli(['import', bad, '--batch-size', '3']).done;
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('users[5].email');

    const notJson = join(work, 'not.json');
    writeFileSync(notJson, '{"users": [{"email": ');
    const broken = await cli(['import', notJson]).done;
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/not valid JSON/);
    const usage = await cli(['import']).done;
    expect(usage.code).toBe(64);
  });
});

describe('idstream kickstart and events export', () => {
  it('applies a Kickstart file to the running service, then exports its events as JSON lines resumable by cursor', async () => {
    const superKey = `kick-${randomUUID()}-${randomUUID()}`;
    const appId = randomUUID();
    const file = join(work, 'kickstart.json');
    writeFileSync(file, JSON.stringify({
      variables: { appId, adminEmail: `admin-${randomUUID()}@example.com` },
      apiKeys: [{ key: superKey, description: 'CLI kickstart' }],
      requests: [
        { method: 'POST', url: '/api/application/#{appId}', body: { application: { name: `kick-${appId}`, roles: [{ name: 'admin' }] } } },
        { method: 'POST', url: '/api/user', tenantId: '#{FUSIONAUTH_TENANT_ID}', body: { user: { email: `first-${randomUUID()}@example.com`, password: 'kickstart-password' } } },
        { method: 'POST', url: '/api/user', tenantId: '#{FUSIONAUTH_TENANT_ID}', body: { user: { email: '#{adminEmail}', password: 'kickstart-password' } } },
      ],
    }));
    const applied = await cli(['kickstart', file]).done;
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('1 API keys, 3 requests');
    expect((await rawRequest(`${svc.url}/api/application/${appId}`, { apiKey: superKey })).status).toBe(200);

    const exported = await cli(['events', 'export', '--type', 'user.create']).done;
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { cursor: string; event: { type: string; user?: { email?: string } } });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.event.type === 'user.create' && /^\d+\.\d+$/.test(l.cursor))).toBe(true);
    expect(lines.at(-1)!.event.user?.email).toMatch(/^admin-/);
    // Continuing after the second-last cursor gives exactly the last line.
    const rest = await cli(['events', 'export', '--type', 'user.create', '--after', lines.at(-2)!.cursor]).done;
    expect(rest.stdout.trim().split('\n').map((l) => JSON.parse(l).cursor)).toEqual([lines.at(-1)!.cursor]);
    const badCursor = await cli(['events', 'export', '--after', 'yesterday']).done;
    expect(badCursor.code).toBe(1);
    expect(badCursor.stderr).toContain('--after');
  });
});
