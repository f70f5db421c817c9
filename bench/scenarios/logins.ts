/**
 * Scenarios 1–3: password login, logins without hashing, user create — each beside its raw baseline
 * measured in the same run, right after it, so both see the same machine noise.
 */
import { randomUUID } from 'node:crypto';
import { appendAndSign, argon2Hash, argon2Verify } from '../baselines.js';
import { runLoad } from '../load.js';
import { api, cpuOf, cpuPerOp, DEFAULT_TENANT_ID, type RunningService } from '../service.js';
import { progress, type Row } from '../stats.js';

export interface LoginScenarioOptions {
  durationS: number;
  concurrencies: number[];
}

async function createUser(url: string, user: Record<string, unknown>): Promise<string> {
  const created = await api(url, 'POST', '/api/user', { user });
  if (created.status !== 200) throw new Error(`user create failed: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.user.id as string;
}

export async function passwordLogin(service: RunningService, options: LoginScenarioOptions, emit: (row: Row) => void): Promise<void> {
  const email = `login-${randomUUID()}@bench.example.com`;
  await createUser(service.url, { email, password: 'bench-password-1' });
  // Warm-up, not measured: a fresh process compiles the login path's hot functions during its first
  // seconds (measured at c=2 and 4: its first 5 s served 2–6 % fewer logins than seconds 10–15), and
  // a service in use is warm.
  progress('password login warm-up');
  await runLoad({ url: service.url, path: '/api/login', connections: 2, durationS: Math.min(5, options.durationS), body: { loginId: email, password: 'bench-password-1' } });
  const single = await argon2Verify(1, Math.min(3, options.durationS));
  for (const c of options.concurrencies) {
    progress(`password login at concurrency ${c}`);
    const cpuBefore = cpuOf(service.pid);
    const load = await runLoad({ url: service.url, path: '/api/login', connections: c, durationS: options.durationS, body: { loginId: email, password: 'bench-password-1' } });
    const cpu = cpuPerOp(cpuBefore, cpuOf(service.pid), load.ok);
    const raw = await argon2Verify(c, options.durationS);
    const ratio = load.rps / raw.opsPerSecond;
    const p99Bound = c === 4 ? 4 * single.p50Ms : undefined;
    emit({
      scenario: '1 login',
      case: `password, c=${c}`,
      value: load.rps,
      unit: 'login/s',
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      baseline: raw.opsPerSecond,
      baselineLabel: `argon2id verify/s at c=${c}`,
      ratio,
      target: c === 4 ? `≥0.85×, p99≤${p99Bound!.toFixed(0)}ms` : '≥0.85×',
      met: ratio >= 0.85 && (p99Bound === undefined || load.p99Ms <= p99Bound),
      failed: load.failed,
      baselineP50Ms: raw.p50Ms,
      baselineP99Ms: raw.p99Ms,
      oneVerifyMs: single.p50Ms,
      ...cpu,
      notes: cpuNote(cpu),
    });
  }
}

/**
 * The default tenant re-hashes a verified password under argon2id (`modifyEncryptionSchemeOnLogin`);
 * the cheap-login cases need the salted-sha256 hash to stay, so the bench turns that off.
 */
export async function keepImportedHashes(url: string): Promise<void> {
  const patched = await api(url, 'PATCH', `/api/tenant/${DEFAULT_TENANT_ID}`, { tenant: { passwordEncryptionConfiguration: { modifyEncryptionSchemeOnLogin: false } } });
  if (patched.status !== 200) throw new Error(`tenant patch failed: ${patched.status} ${JSON.stringify(patched.body)}`);
}

export async function cheapLogins(service: RunningService, options: LoginScenarioOptions, emit: (row: Row) => void): Promise<void> {
  // A salted-sha256 factor-1 password: verification costs microseconds, so the login path itself shows.
  const email = `cheap-${randomUUID()}@bench.example.com`;
  await createUser(service.url, { email, password: 'bench-password-1', encryptionScheme: 'salted-sha256', factor: 1 });
  const c = 4;
  const raw = await appendAndSign(c, options.durationS);
  for (const noJWT of [true, false]) {
    progress(`salted-sha256 login, noJWT=${noJWT}`);
    const cpuBefore = cpuOf(service.pid);
    const load = await runLoad({ url: service.url, path: '/api/login', connections: c, durationS: options.durationS, body: { loginId: email, password: 'bench-password-1', noJWT } });
    const cpu = cpuPerOp(cpuBefore, cpuOf(service.pid), load.ok);
    emit({
      scenario: '2 login',
      case: `salted-sha256 f=1, noJWT=${noJWT}, c=${c}`,
      value: load.rps,
      unit: 'login/s',
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      baseline: raw.opsPerSecond,
      baselineLabel: 'one SQLite append + one ES256 signature /s',
      ratio: load.rps / raw.opsPerSecond,
      failed: load.failed,
      ...cpu,
      notes: cpuNote(cpu),
    });
  }
  await passwordless(service, options, raw.opsPerSecond, emit);
}

/** Passwordless: codes are single-use, so they are issued up front and each request spends one. */
async function passwordless(service: RunningService, options: LoginScenarioOptions, baseline: number, emit: (row: Row) => void): Promise<void> {
  const app = await api(service.url, 'POST', '/api/application', { application: { name: `bench-${randomUUID()}`, passwordlessConfiguration: { enabled: true } } });
  if (app.status !== 200) {
    emit({ scenario: '2 login', case: 'passwordless', value: NaN, unit: '', notes: `skipped: application create answered ${app.status}` });
    return;
  }
  const applicationId = app.body.application.id as string;
  const email = `pwless-${randomUUID()}@bench.example.com`;
  await createUser(service.url, { email, password: 'bench-password-1' });
  const count = Math.max(200, Math.round(options.durationS * 300));
  progress(`issuing ${count} passwordless codes`);
  const codes: string[] = [];
  const issuers = Array.from({ length: 4 }, async () => {
    while (codes.length < count) {
      const started = await api(service.url, 'POST', '/api/passwordless/start', { applicationId, loginId: email });
      if (started.status !== 200) throw new Error(`passwordless start failed: ${started.status} ${JSON.stringify(started.body)}`);
      codes.push(started.body.code as string);
    }
  });
  await Promise.all(issuers);
  let next = 0;
  progress('passwordless login');
  const cpuBefore = cpuOf(service.pid);
  const load = await runLoad({ url: service.url, path: '/api/passwordless/login', connections: 4, amount: codes.length, bodies: () => ({ code: codes[next++ % codes.length], noJWT: true }) });
  const cpu = cpuPerOp(cpuBefore, cpuOf(service.pid), load.ok);
  emit({
    scenario: '2 login',
    case: 'passwordless, noJWT=true, c=4',
    value: load.rps,
    unit: 'login/s',
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    baseline,
    baselineLabel: 'one SQLite append + one ES256 signature /s',
    ratio: load.rps / baseline,
    failed: load.failed,
    ...cpu,
    notes: `${load.failed ? `${load.failed} non-2xx` : `${load.ok} codes spent`}; ${cpuNote(cpu)}`,
  });
}

export async function userCreate(service: RunningService, options: LoginScenarioOptions, emit: (row: Row) => void): Promise<void> {
  const c = 4;
  progress('user create with a plaintext password');
  const run = randomUUID().slice(0, 8);
  let n = 0;
  const cpuBefore = cpuOf(service.pid);
  const load = await runLoad({ url: service.url, path: '/api/user', connections: c, durationS: options.durationS, bodies: () => ({ user: { email: `create-${run}-${n++}@bench.example.com`, password: 'bench-password-1' } }) });
  const cpu = cpuPerOp(cpuBefore, cpuOf(service.pid), load.ok);
  const raw = await argon2Hash(c, options.durationS);
  emit({
    scenario: '3 create',
    case: `argon2id password, c=${c}`,
    value: load.rps,
    unit: 'user/s',
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    baseline: raw.opsPerSecond,
    baselineLabel: `argon2id hash/s at c=${c}`,
    ratio: load.rps / raw.opsPerSecond,
    failed: load.failed,
    ...cpu,
    notes: cpuNote(cpu),
  });
}

/** The service's CPU per request: its API thread, and all of it (projector thread, pool, GC). */
function cpuNote(cpu: { mainCpuMsPerOp: number; cpuMsPerOp: number }): string {
  return `CPU/op: API thread ${cpu.mainCpuMsPerOp.toFixed(2)} ms, process ${cpu.cpuMsPerOp.toFixed(2)} ms`;
}
