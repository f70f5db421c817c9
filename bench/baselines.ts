/**
 * Raw baselines measured in the bench process, in the same run as the service figures: what the
 * machine can do without the service around it. Each runs `concurrency` loops until the deadline.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, hash, signJwt, verify, type StoredPassword } from '@idstream/crypto';
import { openSqliteEventStore } from '@idstream/eventstore';
import { percentile } from './stats.js';

export interface BaselineResult {
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measure(concurrency: number, durationS: number, op: () => Promise<unknown>): Promise<BaselineResult> {
  const samples: number[] = [];
  const deadline = performance.now() + durationS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await op();
        samples.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { opsPerSecond: samples.length / seconds, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99) };
}

/** argon2id verify with Idstream's default parameters (OWASP m=19456, t=2, p=1) on the libuv pool. */
export async function argon2Verify(concurrency: number, durationS: number): Promise<BaselineResult> {
  const stored: StoredPassword = await hash('bench-password-1', { scheme: 'argon2id' });
  return measure(concurrency, durationS, async () => {
    if (!(await verify('bench-password-1', stored))) throw new Error('baseline verify failed');
  });
}

export async function argon2Hash(concurrency: number, durationS: number): Promise<BaselineResult> {
  return measure(concurrency, durationS, () => hash('bench-password-1', { scheme: 'argon2id' }));
}

/** One event append (SQLite, its own temp file) plus one ES256 JWT signature (the default signing key's algorithm): a login's fixed work. */
export async function appendAndSign(concurrency: number, durationS: number): Promise<BaselineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'idstream-bench-baseline-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.db') });
  const key = await generateSigningKey('ES256', 'bench');
  try {
    return await measure(concurrency, durationS, async () => {
      const userId = randomUUID();
      await store.append(`login-${userId}`, [{ id: randomUUID(), type: 'LoginSucceeded', data: { userId, instant: Date.now(), ipAddress: '127.0.0.1' } }], 'any');
      await signJwt(key, { sub: userId, email: 'bench@example.com' }, { expiresInSeconds: 3600 });
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function appendOnly(concurrency: number, durationS: number): Promise<BaselineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'idstream-bench-baseline-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.db') });
  try {
    return await measure(concurrency, durationS, async () => {
      const userId = randomUUID();
      await store.append(`login-${userId}`, [{ id: randomUUID(), type: 'LoginSucceeded', data: { userId, instant: Date.now() } }], 'any');
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
