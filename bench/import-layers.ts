/**
 * Each layer of an import alone, in-process, on fresh SQLite files: what one user costs in the event
 * store append (the use case's atomic batch of `UserImported` + two reservations, with its ordered event ids), in reading the log
 * back, and in the user views' apply (the projection runner's fold + the views adapter's write). A raw
 * baseline measured in the same run — plain `INSERT`s of the same JSON into one rowid table, one
 * transaction per batch — puts every figure in proportion on a noisy machine. `floorUserRowAndKeyTable` is
 * the least an import can write and keep its guarantees (see its comment).
 *
 *   npx tsx bench/import-layers.ts [users=100000] [batch=2000]
 */
import type BetterSqlite3 from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash } from '@idstream/crypto';
import { reservationStream, userStream } from '@idstream/domain';
import { openSqliteEventStore, type AppendRequest, type RecordedEvent } from '@idstream/eventstore';
import { ViewProjectionHandler } from '../packages/projection-runner/src/index.js';
import { openSqliteViewDatabase } from '../packages/views/src/index.js';
import { userViewProjection, type UserViewBody } from '../projections/user-views/src/index.js';
import { orderedUuid } from '../services/api/src/application/ordered-uuid.js';
import { benchUser } from './dataset.js';
import { DEFAULT_TENANT_ID } from './service.js';

// better-sqlite3 is a dependency of the storage packages, not of the workspace root.
const Database = createRequire(join(import.meta.dirname, '..', 'packages', 'eventstore', 'package.json'))('better-sqlite3') as typeof BetterSqlite3;
const [total, batchSize] = [Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 2_000)];
const dir = mkdtempSync(join(tmpdir(), 'idstream-layers-'));
const password = await hash('bench-password-1', { scheme: 'salted-sha256', factor: 1 });
const now = Date.now();
const importId = randomUUID();

function batchRequests(from: number, to: number): AppendRequest[] {
  const requests: AppendRequest[] = [];
  for (let i = from; i < to; i++) {
    const u = benchUser('layers', i);
    const user = { ...u, tenantId: DEFAULT_TENANT_ID, active: true, verified: true, verifiedInstant: now, insertInstant: now, lastUpdateInstant: now, passwordChangeRequired: false, passwordLastUpdateInstant: now, registrations: [] };
    requests.push({ streamName: userStream(user.id), expectedRevision: 'no_stream', events: [{ id: orderedUuid(), type: 'UserImported', data: { user, importId, password } }] });
    for (const field of ['email', 'username'] as const) {
      requests.push({ streamName: reservationStream(DEFAULT_TENANT_ID, field, user[field]), expectedRevision: 'no_stream', events: [{ id: orderedUuid(), type: 'UniqueValueReserved', data: { ownerId: user.id, field } }] });
    }
  }
  return requests;
}

const batches = Array.from({ length: Math.ceil(total / batchSize) }, (_, b) => batchRequests(b * batchSize, Math.min(total, (b + 1) * batchSize)));
const perUser = (ms: number) => +((ms * 1000) / total).toFixed(1);
const results: Record<string, number> = {};
/** Wall and CPU (user + system) microseconds per user of `fn`: on a shared machine the CPU figure is the steadier one. */
async function measure(name: string, fn: () => unknown): Promise<void> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await fn();
  results[`${name}UsPerUser`] = perUser(performance.now() - t);
  const used = process.cpuUsage(cpu);
  results[`${name}CpuUsPerUser`] = +((used.user + used.system) / total).toFixed(1);
}

try {
  // Baseline: the same event JSON into one plain rowid table, one transaction per batch.
  {
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE raw (position INTEGER PRIMARY KEY, stream TEXT NOT NULL, data TEXT NOT NULL)');
    const insert = db.prepare<[string, string]>('INSERT INTO raw (stream, data) VALUES (?, ?)');
    const write = db.transaction((requests: AppendRequest[]) => {
      for (const r of requests) for (const e of r.events) insert.run(r.streamName, JSON.stringify(e.data));
    });
    await measure('baselineRawInsert', () => {
      for (const batch of batches) write.immediate(batch);
    });
    db.close();
  }

  // The storage floor of an import that keeps its guarantees: one row per user in the events table's
  // layout (its indexes: position, event id, stream name and revision) and the two unique values in a
  // key table of their own (WITHOUT ROWID), one transaction per batch. Against `append`, it shows what
  // moving the reservations out of the log would save; against the raw baseline, what the random-key
  // index inserts cost.
  {
    const db = new Database(join(dir, 'floor.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = ${-1024 * 64}`);
    db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_name TEXT NOT NULL, revision INTEGER NOT NULL, id TEXT NOT NULL UNIQUE,
               type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, recorded_at INTEGER NOT NULL, UNIQUE (stream_name, revision));
             CREATE TABLE unique_values (key TEXT PRIMARY KEY, owner TEXT NOT NULL) WITHOUT ROWID;`);
    const insertEvent = db.prepare<[string, string, string, string, number]>('INSERT INTO events (stream_name, revision, id, type, data, metadata, recorded_at) VALUES (?, 0, ?, ?, ?, \'{}\', ?)');
    const claim = db.prepare<[string, string]>('INSERT INTO unique_values (key, owner) VALUES (?, ?)');
    const write = db.transaction((requests: AppendRequest[]) => {
      for (let i = 0; i < requests.length; i += 3) {
        const user = requests[i]!;
        const event = user.events[0]!;
        insertEvent.run(user.streamName, event.id, event.type, JSON.stringify(event.data), now);
        const owner = (event.data as { user: { id: string } }).user.id;
        claim.run(requests[i + 1]!.streamName, owner);
        claim.run(requests[i + 2]!.streamName, owner);
      }
    });
    await measure('floorUserRowAndKeyTable', () => {
      for (const batch of batches) write.immediate(batch);
    });
    db.close();
  }

  const store = openSqliteEventStore({ path: join(dir, 'events.db') });
  await measure('append', async () => {
    for (const batch of batches) await store.appendMultiple(batch);
  });
  const events: RecordedEvent[] = [];
  await measure('readAll', async () => {
    for (let after = 0; ;) {
      const page = await store.readAll({ after, maxCount: 1_000 });
      if (page.length === 0) break;
      events.push(...page);
      after = page[page.length - 1]!.position;
    }
  });

  const views = openSqliteViewDatabase({ path: join(dir, 'views.db') });
  const handler = new ViewProjectionHandler('users_v1', views, [{ collection: views.collection<UserViewBody>('users_v1'), projection: userViewProjection }]);
  await measure('userViewsApply', async () => {
    for (let i = 0; i < events.length; i += 5_000) await handler.applyBatch(events.slice(i, i + 5_000));
  });
  const users = views.collection<UserViewBody>('users_v1');
  if ((await users.count()) !== total) throw new Error(`views hold ${await users.count()} users, expected ${total}`);

  console.log(JSON.stringify({ users: total, batchSize, ...results, appendCpuRatio: +(results.appendCpuUsPerUser! / results.baselineRawInsertCpuUsPerUser!).toFixed(2), loadAverage: loadavg().map((l) => +l.toFixed(2)) }));
  await views.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
