/**
 * Where an import's CPU goes, thread by thread: starts the service, imports a warm-up of 2,000 users,
 * then N users over HTTP (500 per call, as scenario 4), and prints the users/s until the last one is
 * readable by id, then the CPU each thread of the service spent per user (from /proc/<pid>/task, in
 * 10 ms ticks) and the CPU this process, the load generator, spent building and sending the requests.
 * The API thread is the one whose id is the pid; the next busiest are the search thread and the WAL
 * checkpoint thread; the rest are V8's helpers and the libuv pool. On two cores the sum is what the
 * rate is bound by: at 20,000 users/s both cores together have 100 µs per user.
 *
 *   npx tsx bench/import-cpu-by-thread.ts [users=20000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importUsers } from './scenarios/import.js';
import type { Searchability } from './searchability.js';
import { cpuByThread, startService } from './service.js';

const users = Number(process.argv[2] ?? 20_000);
const dir = mkdtempSync(join(tmpdir(), 'idstream-import-cpu-'));
const service = await startService(dir);
// The clock stops when the last user is readable by id; search goes on and is measured below.
const notWaitingForSearch = { hasEmail: async () => true } as unknown as Searchability;
try {
  for (const [run, count] of [['warm-up', 2_000], ['import', users]] as const) {
    const before = cpuByThread(service.pid);
    const ownBefore = process.cpuUsage();
    const result = await importUsers(service, dir, `${run}-${Date.now()}`, 0, count, notWaitingForSearch, true);
    const own = process.cpuUsage(ownBefore);
    const after = cpuByThread(service.pid);
    const perUser = [...after].map(([tid, ms]) => ({ tid, us: ((ms - (before.get(tid) ?? 0)) * 1000) / count })).filter((t) => t.us > 0);
    const api = perUser.find((t) => t.tid === service.pid)?.us ?? 0;
    const others = perUser.filter((t) => t.tid !== service.pid).sort((a, b) => b.us - a.us);
    const total = perUser.reduce((sum, t) => sum + t.us, 0);
    console.log(
      `${run}: ${(count / result.viewSeconds).toFixed(0)} users/s readable; CPU µs per user: service ${total.toFixed(0)} (API thread ${api.toFixed(0)}, others ${others.map((t) => t.us.toFixed(0)).join(' ')}), load generator ${((own.user + own.system) / count).toFixed(0)}`,
    );
  }
  // What the search thread still had to index when the last user became readable.
  const before = cpuByThread(service.pid);
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const after = cpuByThread(service.pid);
  const tail = [...after].map(([tid, ms]) => ms - (before.get(tid) ?? 0)).filter((ms) => ms > 0).sort((a, b) => b - a);
  console.log(`next 5 s: CPU ms by thread ${tail.join(' ')}`);
} finally {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
