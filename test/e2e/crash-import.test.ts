/**
 * `kill -9` of the service process in the middle of a large import, then of `idstream rebuild` in
 * the middle of a rebuild. After each restart: every acknowledged import batch is fully there (by id
 * and by email), an unacknowledged batch is all-or-nothing, the read models equal a rebuild from the
 * event log, and every acknowledged batch's `user.bulk.create` webhook arrived (repeats only with
 * the same event id).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { hash } from '@idstream/crypto';
import { openSqliteViewDatabase } from '@idstream/views';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { spawnCli, runCli, spawnService, type ServiceProcess } from '../support/service-process.js';
import { compareWithRebuild, differingDocuments, eventIdsByUser, missingUsers, waitUntil, type AcknowledgedUser } from '../support/crash-invariants.js';

const TOTAL_BATCHES = 40;
const BATCH_SIZE = 500;
/** The kill comes once this many batches are acknowledged (with more in flight). */
const KILL_AFTER_BATCHES = 6;
const PASSWORD = 'imported-password';

let dataDir: string;
const apiKey = `crash-${randomBytes(24).toString('hex')}`;
let receiver: WebhookReceiver;
let service: ServiceProcess | undefined;
let batches: AcknowledgedUser[][];
const acknowledged = new Set<number>();

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'idstream-crash-import-'));
  receiver = await startWebhookReceiver();
  // Pre-hashed (FusionAuth's salted-sha256): the import measures the write path, not the hashing.
  const stored = await hash(PASSWORD, { scheme: 'salted-sha256', factor: 1 });
  batches = Array.from({ length: TOTAL_BATCHES }, (_, b) =>
    Array.from({ length: BATCH_SIZE }, (_, i) => ({ id: randomUUID(), email: `crash-${b}-${i}-${randomUUID().slice(0, 8)}@example.com`, hash: stored.hash, salt: stored.salt })),
  ) as never;
});

afterAll(async () => {
  if (service) await service.kill9();
  await receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function importBatch(url: string, b: number): Promise<Response> {
  const users = (batches[b] as (AcknowledgedUser & { hash: string; salt: string })[]).map((u) => ({ id: u.id, email: u.email, password: u.hash, salt: u.salt, encryptionScheme: 'salted-sha256', factor: 1 }));
  return fetch(`${url}/api/user/import`, { method: 'POST', headers: { Authorization: apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ users }) });
}

describe('kill -9 during a large import', () => {
  it('keeps every acknowledged batch, whole, with its webhook; the read models equal a rebuild', async () => {
    service = await spawnService({ dataDir, apiKey });
    const hook = await fetch(`${service.url}/api/webhook`, {
      method: 'POST',
      headers: { Authorization: apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ webhook: { url: receiver.url, global: true, eventsEnabled: { 'user.bulk.create': true } } }),
    });
    expect(hook.status).toBe(200);

    // 1. Two importers in parallel; the test records each batch the service acknowledged.
    const started = Date.now();
    let nextBatch = 0;
    let killedAt = 0;
    const sent = new Set<number>();
    const live = service;
    const importer = async () => {
      while (nextBatch < TOTAL_BATCHES && !killedAt) {
        const b = nextBatch++;
        sent.add(b);
        try {
          const response = await importBatch(live.url, b);
          if (response.status === 200) acknowledged.add(b);
          else expect.fail(`batch ${b}: ${response.status} ${await response.text()}`);
        } catch {
          return; // the connection died with the process: this batch is unacknowledged
        }
        if (acknowledged.size >= KILL_AFTER_BATCHES && !killedAt) {
          killedAt = Date.now();
          await live.kill9();
        }
      }
    };
    await Promise.all([importer(), importer()]);
    expect(killedAt).toBeGreaterThan(0);
    const unacknowledged = [...sent].filter((b) => !acknowledged.has(b));

    // 2. Restart on the same data; every acknowledged user is there by id and by email.
    const restartStarted = Date.now();
    service = await spawnService({ dataDir, apiKey });
    const restartMs = Date.now() - restartStarted;
    const ackUsers = [...acknowledged].flatMap((b) => batches[b]!);
    // A delivery in flight at the kill is retried when its job lease (30 s) expires: wait in parallel.
    const webhooksArrived = waitUntil(() => ackUsers.every((u) => eventIdsByUser(receiver.received, 'user.bulk.create').has(u.id)), 60_000, 'user.bulk.create for every acknowledged user');
    void webhooksArrived.catch(() => undefined);
    const checkStarted = Date.now();
    const missing = await missingUsers(service.url, apiKey, ackUsers);
    expect(missing.byId).toEqual([]);
    expect(missing.byEmail).toEqual([]);
    const checkMs = Date.now() - checkStarted;
    const login = await fetch(`${service.url}/api/login`, { method: 'POST', headers: { Authorization: apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ loginId: ackUsers.at(-1)!.email, password: PASSWORD }) });
    expect(login.status).toBe(200);

    // 3. A batch is one atomic append: one the kill interrupted is either wholly there or absent.
    const partial: number[] = [];
    for (const b of unacknowledged) {
      const present = (await Promise.all(batches[b]!.map(async (u) => (await fetch(`${service!.url}/api/user/${u.id}`, { headers: { Authorization: apiKey } })).status === 200))).filter(Boolean).length;
      if (present !== 0 && present !== BATCH_SIZE) partial.push(b);
    }
    expect(partial).toEqual([]);

    // 4. Every acknowledged batch's user.bulk.create arrives; a repeat carries the same event id.
    const webhookMs = await webhooksArrived;
    const byUser = eventIdsByUser(receiver.received, 'user.bulk.create');
    expect(ackUsers.filter((u) => byUser.get(u.id)!.size !== 1)).toEqual([]);

    // 5. The read models equal a rebuild from the log.
    expect(await service.stop()).toBe(0);
    service = undefined;
    const comparison = await compareWithRebuild(dataDir);
    expect(comparison.viewMismatches.length, `first differing ids: ${comparison.viewMismatches.slice(0, 5).join(', ')}`).toBe(0);
    expect(comparison.searchMismatch).toBe(false);
    expect(comparison.documents).toBeGreaterThanOrEqual(ackUsers.length);
    expect(comparison.searchDocuments).toBe(comparison.documents);

    console.log(JSON.stringify({
      scenario: 'kill -9 during import',
      importedBeforeKillMs: killedAt - started,
      acknowledgedBatches: acknowledged.size,
      acknowledgedUsers: ackUsers.length,
      unacknowledgedBatches: unacknowledged.length,
      restartMs,
      usersCheckedByIdAndEmail: ackUsers.length,
      checkMs,
      webhooksCaughtUpAfterReadyMs: webhookMs,
      bulkWebhookDeliveries: receiver.received.length,
      viewDocumentsCompared: comparison.documents,
      searchDocumentsCompared: comparison.searchDocuments,
      rebuildMs: comparison.rebuildMs,
    }));
  }, 150_000);
});

describe('kill -9 during a projection rebuild', () => {
  it('a rerun of the interrupted rebuild ends equal to the live views, and the service starts and serves', async () => {
    // Grow the log with the batches never sent, so the rebuild runs long enough to be interrupted.
    service = await spawnService({ dataDir, apiKey });
    const url = service.url;
    for (let b = 0; b < TOTAL_BATCHES; b++) {
      if (acknowledged.has(b)) continue;
      const response = await importBatch(url, b);
      if (response.status === 200) acknowledged.add(b);
    }
    expect(await service.stop()).toBe(0);
    service = undefined;

    const viewsPath = join(dataDir, 'views.db');
    let db = await openSqliteViewDatabase({ path: viewsPath });
    const live = (await db.getAlias('users'))!;
    const next = live.replace(/_v(\d+)$/, (_, n: string) => `_v${Number(n) + 1}`);
    await db.close();

    // 1. Kill the rebuild once its new collection has a checkpoint, i.e. part-way through.
    const rebuild = spawnCli(dataDir, ['rebuild', 'user-views']);
    db = await openSqliteViewDatabase({ path: viewsPath });
    let checkpointAtKill: number | undefined;
    await waitUntil(async () => {
      checkpointAtKill = await db.getCheckpoint(`user-views:${next}`);
      // (The rebuild first resets the checkpoint to 0; a position above it means batches were applied.)
      return (checkpointAtKill ?? 0) > 0 || rebuild.child.exitCode !== null;
    }, 60_000, 'rebuild progress');
    rebuild.child.kill('SIGKILL');
    expect(await rebuild.exited).toBe('SIGKILL');
    expect(await db.getAlias('users')).toBe(live);
    const head = (await db.getCheckpoint(`user-views:${live}`))!;
    expect(checkpointAtKill).toBeGreaterThan(0);
    expect(checkpointAtKill).toBeLessThan(head);
    await db.close();

    // 2. Run it again: it starts over and ends equal to the live collection.
    const rerunStarted = Date.now();
    expect((await runCli(dataDir, ['rebuild', 'user-views'])).stdout).toContain(`rebuilt into ${next}`);
    const rerunMs = Date.now() - rerunStarted;
    db = await openSqliteViewDatabase({ path: viewsPath });
    expect(await db.getAlias('users')).toBe(next);
    const [before, after] = [await db.collection(live).list(), await db.collection(next).list()];
    const differing = await differingDocuments(before, after);
    expect(differing.length, `first differing ids: ${differing.slice(0, 5).join(', ')}`).toBe(0);
    await db.close();

    // 3. The service starts on the rebuilt views and serves every acknowledged user.
    service = await spawnService({ dataDir, apiKey });
    const sample = [...acknowledged].map((b) => batches[b]![b % BATCH_SIZE]!);
    const missing = await missingUsers(service.url, apiKey, sample);
    expect(missing).toEqual({ byId: [], byEmail: [] });
    console.log(JSON.stringify({ scenario: 'kill -9 during rebuild user-views', documents: after.length, checkpointAtKill, head, rerunMs }));
  }, 120_000);
});
