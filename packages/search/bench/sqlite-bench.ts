/**
 * Measures the embedded search index at scale: bulk apply throughput, the time to open an existing
 * index, its size on disk, and the latency of scenario 6's searches (bench/scenarios/search.ts) on
 * the index alone, without HTTP.
 *
 *   npx tsx packages/search/bench/sqlite-bench.ts [users] [--db path] [--keep] [--samples n]
 *
 * Users default to 100,000. `--db` with `--keep` keeps the file: a later run on the same file with
 * the same user count skips the build, so the queries at 1,000,000 users can be measured again
 * without rebuilding (an index file from an older schema is rebuilt).
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { benchUser, LAST } from '../../../bench/dataset.js';
import { openSqliteSearchIndex } from '../src/sqlite.js';
import type { SearchDocument, SearchIndex, SearchRequest } from '../src/port.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const N = Number(args.find((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith('--')) ?? 100_000);
const keep = args.includes('--keep');
const path = flag('--db') ?? `/tmp/idstream-search-bench-${process.pid}.db`;
const SAMPLES = Number(flag('--samples') ?? 200);
const RUN = 'b1';
const TENANT = '6b9a2f3e-0000-4000-8000-000000000001';
const BATCH = 1000;

function doc(i: number): SearchDocument {
  const u = benchUser(RUN, i);
  return {
    id: u.id, tenantId: TENANT, position: i + 1,
    user: {
      ...u, tenantId: TENANT, active: true, verified: true, insertInstant: 1_700_000_000_000 + i * 1000, lastUpdateInstant: 1_700_000_000_000 + i * 1000,
      registrations: [{ id: `r-${i}`, applicationId: 'a0000000-0000-4000-8000-000000000001', roles: ['user'], insertInstant: 1_700_000_000_000 + i * 1000 }],
    },
  };
}

function pct(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
}

const files = () => [path, `${path}-wal`, `${path}-shm`];
const sizeMiB = () => files().reduce((s, f) => s + (existsSync(f) ? statSync(f).size : 0), 0) / 2 ** 20;
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

let index: SearchIndex;
const existed = existsSync(path);
let t0 = performance.now();
index = openSqliteSearchIndex({ path });
const built = (await index.getCheckpoint('bench')) === N;
console.log(`open ${existed ? 'existing' : 'new'} index: ${(performance.now() - t0).toFixed(1)} ms`);
if (!built) {
  await index.close();
  for (const f of files()) rmSync(f, { force: true });
  index = openSqliteSearchIndex({ path });
  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let last = t0;
  for (let i = 0; i < N; i += BATCH) {
    const upserts = Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => doc(i + k));
    await index.apply({ upserts, deletes: [], checkpoint: { name: 'bench', position: i + upserts.length } });
    if ((i + BATCH) % 100_000 === 0) {
      const now = performance.now();
      console.log(`  ${(i + BATCH).toLocaleString('en-US')} users, last 100k at ${(100_000 / ((now - last) / 1000)).toFixed(0)} docs/s`);
      last = now;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // Docs per CPU-second of this process as well: on a shared machine the wall-clock rate mostly measures the neighbours.
  console.log(`bulk apply ${N} users in ${BATCH}-doc batches: ${(N / seconds).toFixed(0)} docs/s (${seconds.toFixed(1)} s), ${(N / ((cpu.user + cpu.system) / 1e6)).toFixed(0)} docs per CPU-second`);
  await index.close();
}
console.log(`index on disk: ${sizeMiB().toFixed(0)} MiB`);

// Start to ready: reopen the built index and run one query.
t0 = performance.now();
index = openSqliteSearchIndex({ path });
const opened = performance.now() - t0;
await index.search({ tenantId: TENANT, queryString: 'piper', numberOfResults: 1 });
console.log(`reopen: ${opened.toFixed(1)} ms, first query after ${(performance.now() - t0).toFixed(1)} ms, RSS ${rssMiB().toFixed(0)} MiB`);

async function time(label: string, runs: number, request: (i: number) => SearchRequest): Promise<void> {
  const samples: number[] = [];
  let empty = 0;
  // CPU time of this process as well: on a shared machine wall-clock percentiles carry the neighbours' load.
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = await index.search({ tenantId: TENANT, ...request(i) });
    samples.push(performance.now() - start);
    if (result.ids.length === 0) empty++;
  }
  const cpu = process.cpuUsage(cpu0);
  samples.sort((a, b) => a - b);
  const f = (q: number) => pct(samples, q).toFixed(2);
  const cpuMs = (cpu.user + cpu.system) / 1000 / runs;
  console.log(
    `${label.padEnd(44)} p50 ${f(0.5)}  p95 ${f(0.95)}  p99 ${f(0.99)}  max ${samples.at(-1)!.toFixed(2)} ms  CPU ${cpuMs.toFixed(2)} ms/op${empty ? `  (${empty} empty)` : ''}`,
  );
}

const pick = (i: number) => benchUser(RUN, (i * 7919) % N);
console.log(`scenario 6 cases (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}):`);
await time('term "hendricks" (1/12 of users)', SAMPLES, () => ({ queryString: 'hendricks' }));
await time('term, rare (username)', SAMPLES, (i) => ({ queryString: pick(i).username }));
await time('exact email as queryString', SAMPLES, (i) => ({ queryString: pick(i).email }));
await time('exact email as term query', SAMPLES, (i) => ({ query: JSON.stringify({ term: { email: pick(i).email } }) }));
await time('"*" sorted by email, page 1', SAMPLES, () => ({ queryString: '*', sortFields: [{ name: 'email' }], numberOfResults: 25 }));
await time('"*" sorted by insertInstant desc', SAMPLES, () => ({ queryString: '*', sortFields: [{ name: 'insertInstant', order: 'desc' }], numberOfResults: 25 }));
await time('term sorted by lastName, page 3', SAMPLES, (i) => ({ queryString: LAST[i % LAST.length]!.toLowerCase(), sortFields: [{ name: 'lastName' }, { name: 'email' }], startRow: 50, numberOfResults: 25 }));
console.log('more:');
await time('"*" sorted by lastName, page 1', 20, () => ({ queryString: '*', sortFields: [{ name: 'lastName' }], numberOfResults: 25 }));
await time('wildcard "*.<n>@bench.example.com"', 50, (i) => ({ queryString: `*.${(i * 7919) % N}@bench.example.com` }));
await time('"*" sorted by insertInstant asc, page 3', 50, () => ({ queryString: '*', sortFields: [{ name: 'insertInstant' }], startRow: 50 }));
await time('bool data.plan + range data.score', 10, () => ({ query: JSON.stringify({ bool: { filter: [{ term: { 'data.plan': 'silver' } }, { range: { 'data.score': { gte: 90 } } }] } }) }));
console.log(`RSS after queries ${rssMiB().toFixed(0)} MiB`);
await index.close();
if (!keep) for (const f of files()) rmSync(f, { force: true });
