/**
 * How far a password login is from its floor: at each concurrency, the service's logins/s, a minimal
 * login server's (`bench/login-floor-server.ts`: body parse, argon2id verify, one SQLite append, one
 * ES256 signature, nothing else) and raw argon2id verify, one after the other in the same run, each as
 * a ratio to raw verify. The service's gap to the floor is what its own work costs; the floor's gap to
 * 1 is what no implementation in Node on this machine avoids (HTTP, the load generator, one append).
 * At c=4 it also prints scenario 1's p99 bound (4 × one verify alone) beside the three p99s.
 *
 *   npx tsx bench/login-floor.ts [seconds=10] [concurrencies=1,2,4]
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argon2Verify } from './baselines.js';
import { runLoad } from './load.js';
import { api, startService } from './service.js';

const seconds = Number(process.argv[2] ?? 10);
const concurrencies = (process.argv[3] ?? '1,2,4').split(',').map(Number);

const floor = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'login-floor-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
const floorUrl = await new Promise<string>((resolve, reject) => {
  floor.stdout!.on('data', (chunk: Buffer) => {
    const port = /PORT (\d+)/.exec(chunk.toString())?.[1];
    if (port) resolve(`http://127.0.0.1:${port}`);
  });
  floor.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
});
const dir = mkdtempSync(join(tmpdir(), 'idstream-login-floor-'));
const service = await startService(dir);
try {
  const email = `floor-${randomUUID()}@bench.example.com`;
  const created = await api(service.url, 'POST', '/api/user', { user: { email, password: 'bench-password-1' } });
  if (created.status !== 200) throw new Error(`user create failed: ${created.status}`);
  const login = (url: string, connections: number) => runLoad({ url, path: '/api/login', connections, durationS: seconds, body: { loginId: email, password: 'bench-password-1' } });
  // Unmeasured warm-up of both servers (JIT, page caches), as scenario 1 does.
  await login(service.url, 2);
  await login(floorUrl, 2);
  // Scenario 1's p99 bound at c=4: four times one verify alone.
  const oneVerifyMs = (await argon2Verify(1, Math.min(3, seconds))).p50Ms;
  for (const c of concurrencies) {
    const ours = await login(service.url, c);
    const min = await login(floorUrl, c);
    const raw = await argon2Verify(c, seconds);
    const failed = ours.failed + min.failed;
    console.log(JSON.stringify({
      connections: c,
      serviceLoginsPerS: +ours.rps.toFixed(1),
      floorLoginsPerS: +min.rps.toFixed(1),
      rawVerifyPerS: +raw.opsPerSecond.toFixed(1),
      serviceRatio: +(ours.rps / raw.opsPerSecond).toFixed(2),
      floorRatio: +(min.rps / raw.opsPerSecond).toFixed(2),
      p99Ms: { service: ours.p99Ms, floor: min.p99Ms, rawVerify: +raw.p99Ms.toFixed(1), ...(c === 4 && { bound: +(4 * oneVerifyMs).toFixed(1) }) },
      ...(failed > 0 && { failed }),
    }));
  }
} finally {
  floor.kill('SIGTERM');
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
