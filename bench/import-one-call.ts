/**
 * Import N pre-hashed users in ONE `POST /api/user/import` call against the service in its own
 * process, and report users/s until the call answers (the user views are at the import's position)
 * and until all of them are searchable (`PUT /api/user/search`, then a `*` total).
 *
 *   npx tsx bench/import-one-call.ts [users=100000] [--profile] [--answer-only]   # profile: .bench/profiles/
 *
 * `--answer-only` stops the service as soon as the import answers (after checking the last user is
 * readable by id and by email), so a profile covers the import call alone, not the search catch-up.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash } from '@idstream/crypto';
import { benchUser } from './dataset.js';
import { BENCH_API_KEY, memoryOf, startService } from './service.js';

/** CPU seconds (user + system) the service process has used so far, from /proc (clock ticks of 10 ms). */
const cpuSecondsOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
};
const total = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
const profileDir = join(import.meta.dirname, '..', '.bench', 'profiles');
const profile = process.argv.includes('--profile');
const answerOnly = process.argv.includes('--answer-only');
if (profile) mkdirSync(profileDir, { recursive: true });
const dataDir = mkdtempSync(join(tmpdir(), 'idstream-import-'));
const service = await startService(dataDir, profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
const call = (method: string, path: string, body?: string) =>
  fetch(`${service.url}${path}`, { method, headers: { Authorization: BENCH_API_KEY, 'Content-Type': 'application/json' }, ...(body !== undefined && { body }) });
/** fetch gives up on a response that takes over 300 s (undici's headers timeout); a million users can take longer. */
const postLong = (path: string, body: string) =>
  new Promise<{ status: number; text(): Promise<string> }>((resolve, reject) => {
    const req = request(`${service.url}${path}`, { method: 'POST', headers: { Authorization: BENCH_API_KEY, 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: async () => Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
try {
  const stored = await hash('bench-password-1', { scheme: 'salted-sha256', factor: 1 });
  const users = Array.from({ length: total }, (_, i) => {
    const u = benchUser('imp', i);
    return { ...u, verified: true, password: stored.hash, salt: stored.salt, encryptionScheme: stored.encryptionScheme, factor: stored.factor };
  });
  const body = JSON.stringify({ users });
  const cpuBefore = cpuSecondsOf(service.pid);
  const started = performance.now();
  const res = await postLong('/api/user/import', body);
  const answered = (performance.now() - started) / 1000;
  const answeredCpu = cpuSecondsOf(service.pid) - cpuBefore;
  if (res.status !== 200) throw new Error(`import: ${res.status} ${(await res.text()).slice(0, 500)}`);
  // Read-your-writes: the answer promises every user readable; the last one is checked by id and by email.
  const last = users[users.length - 1]!;
  const byId = await call('GET', `/api/user/${last.id}`);
  const byEmail = await call('GET', `/api/user?email=${encodeURIComponent(last.email)}`);
  if (byId.status !== 200 || byEmail.status !== 200) throw new Error(`read-your-writes miss: by id ${byId.status}, by email ${byEmail.status}`);
  const answer = { users: total, bodyMiB: +(body.length / 2 ** 20).toFixed(1), answeredSeconds: +answered.toFixed(2), usersPerSecond: Math.round(total / answered),
    // On a shared machine the service's CPU time is the steadier figure: users per CPU-second until the answer.
    answeredCpuSeconds: +answeredCpu.toFixed(2), usersPerCpuSecond: Math.round(total / answeredCpu), readYourWrites: 'ok' };
  if (answerOnly) {
    console.log(JSON.stringify({ ...answer, servicePeakRssMiB: Math.round(memoryOf(service.pid).peakMiB) }));
  } else {
    const refresh = await call('PUT', '/api/user/search');
    const searchable = (performance.now() - started) / 1000;
    const found = (await (await call('POST', '/api/user/search', JSON.stringify({ search: { queryString: '*', numberOfResults: 1, accurateTotal: true } }))).json()) as { total: number };
    console.log(JSON.stringify({
      ...answer,
      searchableSeconds: +searchable.toFixed(2),
      searchableUsersPerSecond: Math.round(total / searchable),
      refreshStatus: refresh.status,
      searchTotal: found.total,
      servicePeakRssMiB: Math.round(memoryOf(service.pid).peakMiB),
    }));
  }
} finally {
  await service.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
