/**
 * `pnpm bench [-- --quick] [--users 100000[,1000000]] [--duration 10] [--only 1,4,6] [--keep] [--profile]`
 * `pnpm bench -- --only 6,7 --users 1000000 --reuse <kept dir> --run <its run id>`: measure again on a
 * data directory a `--keep` run left (it printed both), without importing again.
 *
 * Starts the service in its own process on a fresh data directory (embedded storage, or the
 * production adapters whose URLs are set), drives it from this process over loopback, prints one
 * row per measurement and writes everything to `.bench/results-<timestamp>.json`. Every throughput
 * stands beside a raw baseline measured in the same run; the ratio is the figure to compare.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { cheapLogins, keepImportedHashes, passwordLogin, userCreate } from './scenarios/logins.js';
import { hasImportRoute, importUsers, sleep } from './scenarios/import.js';
import { projectionLag } from './scenarios/lag.js';
import { searchLatency } from './scenarios/search.js';
import { openSearchability } from './searchability.js';
import { memoryOf, startService, type RunningService } from './service.js';
import { printHeader, printRow, progress, type Row } from './stats.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    users: { type: 'string' },
    duration: { type: 'string' },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'search-samples': { type: 'string' },
    reuse: { type: 'string' },
    run: { type: 'string' },
  },
});

const quick = values.quick!;
const scales = (values.users ?? (quick ? '20000' : '100000,1000000')).split(',').map((s) => Number(s.replace(/_/g, '')));
if (scales.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--users takes positive integers, e.g. --users 100000,1000000');
const durationS = Number(values.duration ?? (quick ? 2 : 10));
const only = values.only ? new Set(values.only.split(',').map(Number)) : undefined;
const wants = (n: number) => !only || only.has(n);
const searchSamples = Number(values['search-samples'] ?? (quick ? 40 : 200));

// --profile: the service writes a V8 CPU profile when it stops (read it with bench/profile-summary.ts).
const profileDir = join(import.meta.dirname, '..', '.bench', 'profiles');
const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

const rows: Row[] = [];
const emit = (row: Row) => {
  rows.push(row);
  printRow(row);
};

const adapters = {
  eventStore: process.env.KURRENTDB_URL ? 'kurrentdb' : 'sqlite',
  views: process.env.MONGODB_URL ? 'mongodb' : 'sqlite',
  search: process.env.ELASTICSEARCH_URL ? 'elasticsearch' : 'sqlite-fts5',
  jobs: process.env.REDIS_URL ? 'bullmq' : 'sqlite',
};
if (values.reuse && !values.run) throw new Error('--reuse needs --run: the run id the kept directory was imported with');
const dataDir = values.reuse ?? mkdtempSync(join(tmpdir(), 'idstream-bench-'));
const startedAt = new Date();
progress(`data dir ${dataDir}; adapters ${JSON.stringify(adapters)}; scales ${scales.join(', ')}; ${durationS}s per load step`);

let service: RunningService | undefined;
let importPath: string | undefined;
let searchVia: string | undefined;
try {
  service = await startService(dataDir, nodeArgs);
  printHeader();
  emit({ scenario: '7 start', case: values.reuse ? 'start to ready, reused data directory (first start of this code on it)' : 'start to ready, empty store', value: service.readyMs, unit: 'ms' });
  const loginOptions = { durationS, concurrencies: [1, 2, 4, 8, 16] };
  if (wants(1)) await passwordLogin(service, loginOptions, emit);
  await keepImportedHashes(service.url);
  if (wants(2)) await cheapLogins(service, loginOptions, emit);
  if (wants(3)) await userCreate(service, loginOptions, emit);
  let searchable = await openSearchability(service.url, dataDir);
  searchVia = searchable.via;
  if (wants(5)) await projectionLag(service, searchable, Math.max(5, durationS), 200, emit);

  const run = values.run ?? randomUUID().slice(0, 6);
  // A reused directory already holds the largest scale's users of its run.
  let imported = values.reuse ? Math.max(...scales) : 0;
  if (wants(4) || wants(6) || wants(7)) {
    const useHttp = await hasImportRoute(service.url);
    importPath = useHttp ? 'POST /api/user/import' : 'platform (appendMultiple from the bench process + the service projector)';
    for (const scale of scales) {
      if (scale > imported) {
        progress(`importing ${(scale - imported).toLocaleString('en-US')} users (${importPath})`);
        const result = await importUsers(service, dataDir, run, imported, scale, searchable, useHttp);
        imported = scale;
        const rate = result.users / result.viewSeconds;
        emit({
          scenario: '4 import',
          case: `${result.users.toLocaleString('en-US')} pre-hashed → ${scale.toLocaleString('en-US')} (${result.path})`,
          value: rate,
          unit: 'user/s',
          target: '≥20,000/s',
          met: rate >= 20_000,
          writeRate: result.users / result.writeSeconds,
          searchableRate: result.users / result.searchSeconds,
          peakRssMiB: result.peakRssMiB,
          notes: `written ${(result.users / result.writeSeconds).toFixed(0)}/s, searchable ${(result.users / result.searchSeconds).toFixed(0)}/s, service peak RSS ${result.peakRssMiB.toFixed(0)} MiB`,
        });
      }
      if (wants(6)) await searchLatency(searchable, run, scale, imported, searchSamples, emit);
    }
  }

  if (wants(7)) {
    await searchable.close();
    progress('restarting the service to time start to ready');
    await service.stop();
    service = await startService(dataDir, nodeArgs);
    await sleep(3000);
    const memory = memoryOf(service.pid);
    emit({ scenario: '7 start', case: `start to ready, ${imported.toLocaleString('en-US')} imported users`, value: service.readyMs, unit: 'ms', target: '≤5,000ms', met: service.readyMs <= 5000, idleRssMiB: memory.rssMiB, notes: `idle RSS ${memory.rssMiB.toFixed(0)} MiB` });
    searchable = await openSearchability(service.url, dataDir);
  }
  await searchable.close();
} finally {
  await service?.stop();
  if (!values.keep && !values.reuse) rmSync(dataDir, { recursive: true, force: true });
  else progress(`kept ${dataDir} (run ${values.run ?? 'see the import lines'})`);
}

const out = join(import.meta.dirname, '..', '.bench');
mkdirSync(out, { recursive: true });
const file = join(out, `results-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform };
writeFileSync(file, JSON.stringify({ startedAt, finishedAt: new Date(), machine, adapters, args: values, durationS, scales, importPath, searchVia, rows }, null, 2));
progress(`wrote ${file}`);
