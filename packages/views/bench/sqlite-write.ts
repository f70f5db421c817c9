/**
 * Write throughput of the SQLite view store: `npx tsx packages/views/bench/sqlite-write.ts [total] [batch]`.
 * Documents look like user views (random UUIDv4 ids, two keys, ~400-byte body); a second pass
 * rewrites them all with unchanged keys, as profile updates do. `IDS=sequential` uses ordered ids
 * (as UUIDv7 would be) to show the cost of random B-tree inserts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteViewDatabase, type ViewDocument } from '../src/index.js';

const total = Number(process.argv[2] ?? 200_000);
const batchSize = Number(process.argv[3] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'idstream-views-bench-'));
const db = openSqliteViewDatabase({ path: join(dir, 'views.db') });
const users = db.collection('users_v1');

const sequential = process.env.IDS === 'sequential';
const ids = Array.from({ length: total }, (_, n) =>
  sequential ? `${n.toString(16).padStart(8, '0')}-7c1e-4b8a-9f3d-${(n * 7919).toString(16).padStart(12, '0')}` : randomUUID(),
);

function userDoc(n: number, position: number): ViewDocument {
  const id = ids[n]!;
  const email = `user${n}@example.com`;
  return {
    id,
    tenantId: 'tenant-1',
    position,
    deleted: false,
    keys: [`email:tenant-1:${email}`, `username:tenant-1:user${n}`],
    body: {
      id, email, username: `user${n}`, firstName: 'Ada', lastName: `Lovelace ${n}`, active: true, verified: true,
      insertInstant: 1_700_000_000_000 + n, lastUpdateInstant: 1_700_000_000_000 + position,
      data: { plan: 'pro', locale: 'en-GB' }, registrations: [{ applicationId: 'app-1', roles: ['user'] }],
    },
  };
}

async function pass(label: string, positionOffset: number): Promise<void> {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for (let start = 0; start < total; start += batchSize) {
    const batch: ViewDocument[] = [];
    for (let n = start; n < Math.min(start + batchSize, total); n++) batch.push(userDoc(n, positionOffset + n + 1));
    await users.write(batch, { name: 'bench', position: positionOffset + start + batch.length });
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // CPU time is reported too because the machine may be shared: wall time alone mixes in other load.
  console.log(
    `${label}: ${total} docs in ${seconds.toFixed(2)} s wall = ${Math.round(total / seconds)} docs/s; ` +
      `${cpuSeconds.toFixed(2)} s CPU = ${Math.round(total / cpuSeconds)} docs/CPU-s (batches of ${batchSize})`,
  );
}

try {
  await pass('insert', 0);
  await pass('rewrite', total);
} finally {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}
