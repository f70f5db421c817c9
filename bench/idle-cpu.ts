/**
 * What the service costs while nobody calls it: starts it on an empty data directory, lets it settle
 * for 3 s, then prints the CPU the API thread and the whole process used per second over 10 s (from
 * /proc, in 10 ms ticks). Every wake-up it makes while idle (polls, timers) is also paid by each
 * request at low rates, so this is the floor under a password login's CPU at 30 logins/s.
 *
 *   npx tsx bench/idle-cpu.ts [--profile]    # profile: .bench/profiles/
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuOf, startService } from './service.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-idle-'));
const service = await startService(dir, process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${join(import.meta.dirname, '..', '.bench', 'profiles')}`] : []);
await new Promise((resolve) => setTimeout(resolve, 3000));
const before = cpuOf(service.pid);
await new Promise((resolve) => setTimeout(resolve, 10000));
const after = cpuOf(service.pid);
console.log(`idle: API thread ${((after.mainMs - before.mainMs) / 10).toFixed(1)} ms/s, process ${((after.totalMs - before.totalMs) / 10).toFixed(1)} ms/s`);
await service.stop();
rmSync(dir, { recursive: true, force: true });
