/**
 * `kill -9` of the service process in the middle of a 100,000-user import (20 requests of 5,000, two
 * importers, killed once 8 are acknowledged with another in flight), then of `idstream rebuild` in
 * the middle of a rebuild. After each restart: every acknowledged batch is fully there (by id and by
 * email: every user in the read models the service serves, a sample and a login over HTTP), an
 * interrupted request is present as a gap-free prefix (the service appends a large import in order,
 * in atomic chunks), the read models equal a rebuild from the event log, and every acknowledged
 * batch's `user.bulk.create` webhook arrived (repeats only with the same event id).
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
import { compareWithRebuild, differingDocuments, eventIdsByUser, missingInViews, missingUsers, presentInViews, waitUntil, type AcknowledgedUser } from '../support/crash-invariants.js';

/** The 100,000-user import, in batches of 5,000 (a client importing a large file in chunks). */
const TOTAL_BATCHES = 20;
const BATCH_SIZE = 5_000;
/** The kill comes once this many batches are acknowledged, while the other importers' batches are in flight. */
const KILL_AFTER_BATCHES = 8;
const IMPORTERS = 2;
/** Acknowledged users read back over HTTP at random, besides three of every batch. */
const HTTP_SAMPLE = 1_000;
const PASSWORD = 'imported-password';

let dataDir: string;
const apiKey = `crash-${randomBytes(24).toString('hex')}`;
let receiver: WebhookReceiver;
let service: ServiceProcess | undefined;
let batches: AcknowledgedUser[][];
const acknowledged = new Set<number>();
/** Users of each unacknowledged batch found after the kill (a prefix of the batch). */
const presentAfterKill = new Map<number, number>();

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

/** Milliseconds since the test started, per step: where a slow run spends its time. */
const stages: Record<string, number> = {};
let stageStarted = Date.now();
function stage(name: string): void {
  stages[name] = Date.now() - stageStarted;
  stageStarted = Date.now();
  console.log(`crash-import: ${name} ${stages[name]} ms`);
}

function importBatch(url: string, b: number, from = 0): Promise<Response> {
  const users = (batches[b]!.slice(from) as (AcknowledgedUser & { hash: string; salt: string })[]).map((u) => ({ id: u.id, email: u.email, password: u.hash, salt: u.salt, encryptionScheme: 'salted-sha256', factor: 1 }));
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
    stage('service started');

    // 1. Two importers in parallel; the test records each batch the service acknowledged.
    const started = Date.now();
    let nextBatch = 0;
    let killedAt = 0;
    const sent = new Set<number>();
    const inFlight = new Set<number>();
    let inFlightAtKill: number[] = [];
    const live = service;
    const importer = async () => {
      while (nextBatch < TOTAL_BATCHES && !killedAt) {
        const b = nextBatch++;
        sent.add(b);
        inFlight.add(b);
        try {
          const response = await importBatch(live.url, b);
          if (response.status === 200) acknowledged.add(b);
          else expect.fail(`batch ${b}: ${response.status} ${await response.text()}`);
        } catch {
          return; // the connection died with the process: this batch is unacknowledged
        } finally {
          inFlight.delete(b);
        }
        if (acknowledged.size >= KILL_AFTER_BATCHES && !killedAt) {
          killedAt = Date.now();
          inFlightAtKill = [...inFlight];
          await live.kill9();
        }
      }
    };
    await Promise.all(Array.from({ length: IMPORTERS }, importer));
    expect(killedAt).toBeGreaterThan(0);
    // Mid-import: some batches acknowledged, at least one being written when the process died.
    expect(inFlightAtKill.length).toBeGreaterThan(0);
    expect(inFlightAtKill.every((b) => !acknowledged.has(b))).toBe(true);
    const unacknowledged = [...sent].filter((b) => !acknowledged.has(b));
    stage('imported until the kill');

    // 2. Restart on the same data. Over HTTP, a sample (first, middle and last user of every
    //    acknowledged batch, and 1,000 more at random) by id and by email, and a login; every
    //    acknowledged user is checked in the read models once the service is stopped (step 5).
    const restartStarted = Date.now();
    service = await spawnService({ dataDir, apiKey });
    const restartMs = Date.now() - restartStarted;
    stage('restarted');
    // Ready is not caught up: events appended before the kill but never projected are applied after
    // the start. A create answers once the user views hold it, and both the views and the search
    // index apply the log in order: once this user is found by search, both hold everything before it.
    const sentinelEmail = `sentinel-${randomUUID()}@example.com`;
    const sentinel = await fetch(`${service.url}/api/user`, { method: 'POST', headers: { Authorization: apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ user: { email: sentinelEmail, password: PASSWORD } }) });
    expect(sentinel.status).toBe(200);
    const caughtUpMs = await waitUntil(async () => {
      const found = await fetch(`${service!.url}/api/user/search`, { method: 'POST', headers: { Authorization: apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ search: { queryString: sentinelEmail } }) });
      return found.status === 200 && ((await found.json()) as { total?: number }).total === 1;
    }, 300_000, 'search index caught up with the log after the restart');
    stage('read models caught up');
    const ackUsers = [...acknowledged].flatMap((b) => batches[b]!);
    // A delivery in flight at the kill is retried when its job lease (30 s) expires: wait in parallel.
    const webhooksArrived = waitUntil(() => {
      const byUser = eventIdsByUser(receiver.received, 'user.bulk.create');
      return ackUsers.every((u) => byUser.has(u.id));
    }, 120_000, 'user.bulk.create for every acknowledged user');
    void webhooksArrived.catch(() => undefined);
    const checkStarted = Date.now();
    const sample = [...new Set([
      ...[...acknowledged].flatMap((b) => [0, BATCH_SIZE / 2, BATCH_SIZE - 1].map((i) => batches[b]![i]!)),
      ...Array.from({ length: HTTP_SAMPLE }, () => ackUsers[Math.floor(Math.random() * ackUsers.length)]!),
    ])];
    const missing = await missingUsers(service.url, apiKey, sample);
    expect(missing.byId).toEqual([]);
    expect(missing.byEmail).toEqual([]);
    const checkMs = Date.now() - checkStarted;
    const login = await fetch(`${service.url}/api/login`, { method: 'POST', headers: { Authorization: apiKey, 'Content-Type': 'application/json' }, body: JSON.stringify({ loginId: ackUsers.at(-1)!.email, password: PASSWORD }) });
    expect(login.status).toBe(200);
    stage('HTTP sample checked');

    // 3. Every acknowledged batch's user.bulk.create arrives; a repeat carries the same event id.
    const webhookMs = await webhooksArrived;
    const byUser = eventIdsByUser(receiver.received, 'user.bulk.create');
    expect(ackUsers.filter((u) => byUser.get(u.id)!.size !== 1)).toEqual([]);
    stage('webhooks arrived');

    // 4. The service writes a large import in atomic appends, in request order (README: "atomic
    //    batches"): a request the kill interrupted is present as a prefix of itself, never
    //    with a gap — over HTTP for its first and last user, in the read models for all (step 5).
    const edgesPresent = new Map<number, number>();
    for (const b of unacknowledged) {
      const edges = [batches[b]![0]!, batches[b]![BATCH_SIZE - 1]!];
      const statuses = await Promise.all(edges.map(async (u) => (await fetch(`${service!.url}/api/user/${u.id}`, { headers: { Authorization: apiKey } })).status));
      edgesPresent.set(b, statuses.filter((status) => status === 200).length);
    }
    expect(await service.stop()).toBe(0);
    service = undefined;
    stage('stopped');

    // 5. With the service stopped: every acknowledged user in the served read models by id and by
    //    email; each interrupted batch all or nothing; the read models equal a rebuild from the log.
    const viewsCheckStarted = Date.now();
    const inViews = await missingInViews(dataDir, ackUsers);
    expect(inViews.byId).toEqual([]);
    expect(inViews.byEmail).toEqual([]);
    const gaps: number[] = [];
    for (const b of unacknowledged) {
      const ids = batches[b]!.map((u) => u.id);
      const present = await presentInViews(dataDir, ids);
      if ((await presentInViews(dataDir, ids.slice(0, present))) !== present) gaps.push(b);
      presentAfterKill.set(b, present);
      expect(edgesPresent.get(b), `batch ${b}: HTTP and read models disagree`).toBe(present === 0 ? 0 : present === BATCH_SIZE ? 2 : 1);
    }
    expect(gaps).toEqual([]);
    const unacknowledgedPresent = [...presentAfterKill.values()].reduce((sum, n) => sum + n, 0);
    const viewsCheckMs = Date.now() - viewsCheckStarted;
    stage('read models checked');
    const comparison = await compareWithRebuild(dataDir);
    expect(comparison.viewMismatches.length, `first differing ids: ${comparison.viewMismatches.slice(0, 5).join(', ')}`).toBe(0);
    expect(comparison.searchMismatch).toBe(false);
    expect(comparison.documents).toBe(ackUsers.length + unacknowledgedPresent + 1);
    expect(comparison.searchDocuments).toBe(comparison.documents);
    stage('compared with a rebuild');

    console.log(JSON.stringify({
      scenario: 'kill -9 during import',
      importedBeforeKillMs: killedAt - started,
      acknowledgedBatches: acknowledged.size,
      acknowledgedUsers: ackUsers.length,
      batchesInFlightAtKill: inFlightAtKill.length,
      unacknowledgedBatches: unacknowledged.length,
      usersOfUnacknowledgedBatchesPresent: [...presentAfterKill.values()],
      readModelsCaughtUpAfterReadyMs: caughtUpMs,
      restartMs,
      usersCheckedOverHttpByIdAndEmail: sample.length,
      httpCheckMs: checkMs,
      usersCheckedInReadModelsByIdAndEmail: ackUsers.length,
      readModelCheckMs: viewsCheckMs,
      webhooksCaughtUpAfterReadyMs: webhookMs,
      bulkWebhookDeliveries: receiver.received.length,
      viewDocumentsCompared: comparison.documents,
      searchDocumentsCompared: comparison.searchDocuments,
      rebuildMs: comparison.rebuildMs,
      stages,
    }));
  }, 600_000);
});

describe('kill -9 during a projection rebuild', () => {
  it('a rerun of the interrupted rebuild ends equal to the live views, and the service starts and serves', async () => {
    // Grow the log with the batches never sent, so the rebuild runs long enough to be interrupted.
    // A failed first test may have left its service running: never two on one data directory.
    if (service) await service.kill9();
    stageStarted = Date.now();
    service = await spawnService({ dataDir, apiKey });
    const url = service.url;
    // Like a client resuming: what the kill interrupted from where it stopped, then the rest.
    for (let b = 0; b < TOTAL_BATCHES; b++) {
      if (acknowledged.has(b) || presentAfterKill.get(b) === BATCH_SIZE) continue;
      const response = await importBatch(url, b, presentAfterKill.get(b) ?? 0);
      expect(response.status, `batch ${b}`).toBe(200);
      acknowledged.add(b);
    }
    expect(await service.stop()).toBe(0);
    service = undefined;
    stage('imported the rest');

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
    }, 300_000, 'rebuild progress');
    rebuild.child.kill('SIGKILL');
    expect(await rebuild.exited).toBe('SIGKILL');
    expect(await db.getAlias('users')).toBe(live);
    const head = (await db.getCheckpoint(`user-views:${live}`))!;
    expect(checkpointAtKill).toBeGreaterThan(0);
    expect(checkpointAtKill).toBeLessThan(head);
    await db.close();
    stage('rebuild killed');

    // 2. Run it again: it starts over and ends equal to the live collection.
    const rerunStarted = Date.now();
    expect((await runCli(dataDir, ['rebuild', 'user-views'])).stdout).toContain(`rebuilt into ${next}`);
    const rerunMs = Date.now() - rerunStarted;
    db = await openSqliteViewDatabase({ path: viewsPath });
    expect(await db.getAlias('users')).toBe(next);
    const [before, after] = [await db.collection(live).list(), await db.collection(next).list()];
    // The whole 100,000 are in the log now (and the sentinel): acknowledged before the kill, in flight at it, or imported after.
    expect(after.length).toBe(TOTAL_BATCHES * BATCH_SIZE + 1);
    const differing = await differingDocuments(before, after);
    expect(differing.length, `first differing ids: ${differing.slice(0, 5).join(', ')}`).toBe(0);
    await db.close();
    stage('rebuild rerun and compared');

    // 3. The service starts on the rebuilt views and serves every acknowledged user.
    service = await spawnService({ dataDir, apiKey });
    const sample = [...acknowledged].map((b) => batches[b]![b % BATCH_SIZE]!);
    const missing = await missingUsers(service.url, apiKey, sample);
    expect(missing).toEqual({ byId: [], byEmail: [] });
    stage('restarted and served');
    console.log(JSON.stringify({ scenario: 'kill -9 during rebuild user-views', documents: after.length, checkpointAtKill, head, rerunMs, stages }));
  }, 600_000);
});
