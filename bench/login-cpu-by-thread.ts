/**
 * Where a password login's CPU goes, thread by thread: starts the service, then runs closed-loop
 * logins in back-to-back segments (no idle gap, so the JIT settles) and prints, per segment, the
 * logins/s and the CPU each thread of the service spent per login (from /proc/<pid>/task, in 10 ms
 * ticks: segments of a few hundred logins are needed). The API thread is the one whose id is the pid;
 * the four busiest others are the libuv pool running argon2id; the rest are the search thread, V8's
 * helper threads and the WAL checkpointer. Run it from two checkouts in alternation to compare.
 *
 *   npx tsx bench/login-cpu-by-thread.ts [segments=3] [connections=4] [seconds=5] [--profile] [--scheme salted-sha256 [--factor 1]]
 *
 * `--profile` also writes the service's V8 CPU profiles to `.bench/profiles/` (logins only, no
 * baseline periods in them: read them with `bench/profile-summary.ts`). `--scheme` stores the user's
 * password with another scheme than the tenant's argon2id, at factor 1 unless `--factor` says otherwise: with `salted-sha256` the login does all the
 * same work but a verify, which shows what the API thread costs when no verify runs beside it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad } from './load.js';
import { keepImportedHashes } from './scenarios/logins.js';
import { api, cpuByThread, startService } from './service.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { profile: { type: 'boolean', default: false }, scheme: { type: 'string' }, factor: { type: 'string', default: '1' } },
});
const [segments, connections, seconds] = [Number(positionals[0] ?? 3), Number(positionals[1] ?? 4), Number(positionals[2] ?? 5)];
const profileDir = join(import.meta.dirname, '..', '.bench', 'profiles');
const profile = values.profile!;
const scheme = values.scheme;
const factor = Number(values.factor);

const dir = mkdtempSync(join(tmpdir(), 'idstream-login-cpu-'));
if (profile) mkdirSync(profileDir, { recursive: true });
const service = await startService(dir, profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
try {
  const email = `login-${randomUUID()}@bench.example.com`;
  if (scheme) await keepImportedHashes(service.url);
  const created = await api(service.url, 'POST', '/api/user', { user: { email, password: 'bench-password-1', ...(scheme && { encryptionScheme: scheme, factor }) } });
  if (created.status !== 200) throw new Error(`user create failed: ${created.status}`);
  for (let segment = 0; segment < segments; segment++) {
    const before = cpuByThread(service.pid);
    const systemBefore = cpuByThread(service.pid, 'system');
    const load = await runLoad({ url: service.url, path: '/api/login', connections, durationS: seconds, body: { loginId: email, password: 'bench-password-1' } });
    const after = cpuByThread(service.pid);
    const systemAfter = cpuByThread(service.pid, 'system');
    // Kernel time (syscalls: SQLite's WAL writes, sockets, thread wake-ups) counts in the totals; the
    // API thread's share of it is printed too, as it differs most between machines.
    const apiSystem = ((systemAfter.get(service.pid) ?? 0) - (systemBefore.get(service.pid) ?? 0)) / load.ok;
    const perLogin = [...after].map(([tid, ms]) => ({ tid, ms: (ms - (before.get(tid) ?? 0)) / load.ok })).filter((t) => t.ms > 0);
    const api = perLogin.find((t) => t.tid === service.pid)?.ms ?? 0;
    const others = perLogin.filter((t) => t.tid !== service.pid).sort((a, b) => b.ms - a.ms);
    const pool = others.slice(0, 4).reduce((sum, t) => sum + t.ms, 0);
    const rest = others.slice(4);
    const total = perLogin.reduce((sum, t) => sum + t.ms, 0);
    console.log(
      `segment ${segment}: ${load.rps.toFixed(1)} logins/s (c=${connections}, ${load.failed} failed), CPU ms per login: total ${total.toFixed(2)}, ` +
        `API thread ${api.toFixed(2)} (kernel ${apiSystem.toFixed(2)}), libuv pool ${pool.toFixed(2)}, others ${rest.map((t) => t.ms.toFixed(2)).join(' ')}`,
    );
  }
} finally {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
