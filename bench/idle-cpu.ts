/**
 * What the service costs while nobody calls it: starts it on an empty data directory, lets it settle
 * for 3 s, then prints the CPU the API thread and the whole process used per second over 10 s (from
 * /proc, in 10 ms ticks). Every wake-up it makes while idle (polls, timers) is also paid by each
 * request at low rates, so this is the floor under a password login's CPU at 30 logins/s.
 *
 *   npx tsx bench/idle-cpu.ts [--profile]    # profile: .bench/profiles/
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from './service.js';
const dir = mkdtempSync(join(tmpdir(), 'idstream-idle-'));
const service = await startService(dir, process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${join(import.meta.dirname, '..', '.bench', 'profiles')}`] : []);
/** CPU milliseconds (utime + stime) of one thread of the service. */
const cpu = (tid: number) => { const f = readFileSync(`/proc/${service.pid}/task/${tid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(x[11]) + Number(x[12])) * 10; };
const procCpu = () => { const f = readFileSync(`/proc/${service.pid}/stat`, 'utf8'); const x = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(x[11]) + Number(x[12])) * 10; };
await new Promise((r) => setTimeout(r, 3000));
const [a, pa] = [cpu(service.pid), procCpu()];
await new Promise((r) => setTimeout(r, 10000));
console.log(`idle: API thread ${((cpu(service.pid) - a) / 10).toFixed(1)} ms/s, process ${((procCpu() - pa) / 10).toFixed(1)} ms/s`);
await service.stop();
rmSync(dir, { recursive: true, force: true });
