/**
 * How busy the whole machine is while the service serves password logins, beside raw argon2id
 * verify at the same concurrency: the share of both cores in use (from /proc/stat, so every process
 * counts), the service's CPU per login and the load generator's (this process). At c=2 the service
 * left 10–16 % of the machine idle where raw verify left 2–10 % (session 12): the logins/s lost there
 * are not CPU spent, they are CPU nobody used. `--batch main|all` first switches the service's API
 * thread, or all its threads, to SCHED_BATCH (no wake-up preemption) with `chrt`: the experiment of
 * docs/benchmarks.md, session 12.
 *
 *   npx tsx bench/login-machine-busy.ts [concurrency=2] [seconds=8] [rounds=3] [--batch main|all]
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { argon2Verify } from './baselines.js';
import { runLoad } from './load.js';
import { api, cpuOf, startService } from './service.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { batch: { type: 'string' } } });
const [concurrency, seconds, rounds] = [Number(positionals[0] ?? 2), Number(positionals[1] ?? 8), Number(positionals[2] ?? 3)];
const cores = availableParallelism();

/** Busy and total jiffies of all CPUs so far (idle and iowait count as not busy). */
function machineJiffies(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

/** Percent of all cores busy between two readings: 100 × cores means every core all the time. */
const busyPercent = (before: { busy: number; total: number }, after: { busy: number; total: number }) => (100 * cores * (after.busy - before.busy)) / (after.total - before.total);
const ownCpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

const dir = mkdtempSync(join(tmpdir(), 'idstream-login-busy-'));
const service = await startService(dir);
try {
  if (values.batch === 'main' || values.batch === 'all') {
    execFileSync('chrt', [...(values.batch === 'all' ? ['-a'] : []), '-b', '-p', '0', String(service.pid)]);
  } else if (values.batch !== undefined) throw new Error('--batch is main or all');
  const email = `login-${randomUUID()}@bench.example.com`;
  const created = await api(service.url, 'POST', '/api/user', { user: { email, password: 'bench-password-1' } });
  if (created.status !== 200) throw new Error(`user create failed: ${created.status}`);
  const body = { loginId: email, password: 'bench-password-1' };
  await runLoad({ url: service.url, path: '/api/login', connections: concurrency, durationS: 4, body });
  for (let round = 0; round < rounds; round++) {
    let machine = machineJiffies();
    let own = ownCpuMs();
    const serviceCpu = cpuOf(service.pid);
    const load = await runLoad({ url: service.url, path: '/api/login', connections: concurrency, durationS: seconds, body });
    const serviceBusy = busyPercent(machine, machineJiffies());
    const serviceMs = (cpuOf(service.pid).totalMs - serviceCpu.totalMs) / load.ok;
    const generatorMs = (ownCpuMs() - own) / load.ok;
    machine = machineJiffies();
    own = ownCpuMs();
    const raw = await argon2Verify(concurrency, seconds);
    const rawBusy = busyPercent(machine, machineJiffies());
    const rawMs = (ownCpuMs() - own) / (raw.opsPerSecond * seconds);
    console.log(
      `c=${concurrency} service ${load.rps.toFixed(1)} logins/s (${load.failed} failed, p99 ${load.p99Ms} ms), machine ${serviceBusy.toFixed(0)} % of ${100 * cores}, ` +
        `CPU ms per login: service ${serviceMs.toFixed(2)}, load generator ${generatorMs.toFixed(2)} | raw verify ${raw.opsPerSecond.toFixed(1)} /s, ` +
        `machine ${rawBusy.toFixed(0)} %, ${rawMs.toFixed(2)} ms CPU each | ratio ${(load.rps / raw.opsPerSecond).toFixed(2)}`,
    );
  }
} finally {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
