/**
 * Measures the embedded search index at scale: bulk apply throughput, term search and exact email
 * latency. Run: `npx tsx packages/search/bench/sqlite-bench.ts [users]` (default 100,000).
 */
import { rmSync } from 'node:fs';
import { openSqliteSearchIndex } from '../src/sqlite.js';
import type { SearchDocument } from '../src/port.js';

const N = Number(process.argv[2] ?? 100_000);
const path = `/tmp/idstream-search-bench-${process.pid}.db`;
const FIRST = ['John', 'Mary', 'Alice', 'Bob', 'Piper', 'Dinesh', 'Gilfoyle', 'Monica', 'Richard', 'Jared', 'Erlich', 'Laurie'];
const LAST = ['Smith', 'Jones', 'Hendricks', 'Chugtai', 'Bachman', 'Hall', 'Dunn', 'Bream', 'Belson', 'Gavin', 'Yang', 'Ruiz'];
const TENANT = '6b9a2f3e-0000-4000-8000-000000000001';

function user(i: number): SearchDocument {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  return {
    id, tenantId: TENANT, position: i + 1,
    user: {
      id, tenantId: TENANT, email: `${first}.${last}.${i}@example.com`.toLowerCase(), username: `${first}${i}`,
      firstName: first, lastName: last, fullName: `${first} ${last}`, active: true, insertInstant: 1_700_000_000_000 + i,
      data: { plan: i % 3 ? 'gold' : 'silver', score: i % 100 },
      registrations: [{ applicationId: 'a0000000-0000-4000-8000-000000000001', roles: ['user'] }],
    },
  };
}

function p(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
}

async function time(label: string, runs: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  console.log(`${label.padEnd(48)} p50 ${p(samples, 0.5).toFixed(2)} ms  p95 ${p(samples, 0.95).toFixed(2)} ms  max ${samples.at(-1)!.toFixed(2)} ms`);
}

const index = openSqliteSearchIndex({ path });
const start = performance.now();
for (let i = 0; i < N; i += 1000) {
  const upserts = Array.from({ length: Math.min(1000, N - i) }, (_, k) => user(i + k));
  await index.apply({ upserts, deletes: [], checkpoint: { name: 'bench', position: i + upserts.length } });
}
const seconds = (performance.now() - start) / 1000;
console.log(`bulk apply ${N} users in 1,000-doc batches: ${(N / seconds).toFixed(0)} docs/s`);

const rnd = (i: number) => (i * 7919) % N;
await time('term queryString (e.g. "hendricks.4")', 200, (i) => index.search({ tenantId: TENANT, queryString: `${LAST[i % LAST.length]!.toLowerCase()}.${rnd(i) % 1000}` }));
await time('term queryString, common ("piper"), 25 rows', 200, () => index.search({ tenantId: TENANT, queryString: 'piper' }));
await time('term queryString "piper" sorted by email', 100, () => index.search({ tenantId: TENANT, queryString: 'piper', sortFields: [{ name: 'email' }] }));
await time('wildcard queryString "*.4@example.com"', 100, (i) => index.search({ tenantId: TENANT, queryString: `*.${rnd(i)}@example.com` }));
await time('exact email (queryString)', 500, (i) => index.search({ tenantId: TENANT, queryString: user(rnd(i)).user.email as string }));
await time('exact email (term query)', 500, (i) => index.search({ tenantId: TENANT, query: JSON.stringify({ term: { email: user(rnd(i)).user.email } }) }));
await time('"*" first page (default id order)', 100, () => index.search({ tenantId: TENANT, queryString: '*' }));
await time('"*" sorted by insertInstant desc', 20, () => index.search({ tenantId: TENANT, queryString: '*', sortFields: [{ name: 'insertInstant', order: 'desc' }] }));
await time('"*" sorted by insertInstant asc, page 3', 20, () => index.search({ tenantId: TENANT, queryString: '*', sortFields: [{ name: 'insertInstant' }], startRow: 50 }));
await time('"*" sorted by lastName', 20, () => index.search({ tenantId: TENANT, queryString: '*', sortFields: [{ name: 'lastName' }] }));
await time('bool data.plan + range data.score', 20, () => index.search({ tenantId: TENANT, query: JSON.stringify({ bool: { filter: [{ term: { 'data.plan': 'silver' } }, { range: { 'data.score': { gte: 90 } } }] } }) }));
await index.close();
rmSync(path, { force: true });
rmSync(`${path}-wal`, { force: true });
rmSync(`${path}-shm`, { force: true });
