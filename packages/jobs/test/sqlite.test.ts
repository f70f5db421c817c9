import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { currentLeaseOwner, leaseOwnerIsGone } from '../src/lease-owner.js';
import type { JobQueue } from '../src/port.js';
import { openSqliteJobQueue } from '../src/sqlite.js';
import { jobQueueContract, spawnCrashWorker, waitFor } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-jobs-'));
const path = join(dir, 'jobs.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

jobQueueContract('SQLite job queue contract', () => openSqliteJobQueue({ path, pollIntervalMs: 50 }), {
  childConfig: () => ({ adapter: 'sqlite', path }),
  // Dead holders are looked for once a second.
  redeliveryAfterDeathMs: 5_000,
});

describe('SQLite job queue: leases of dead workers', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const open = (): JobQueue => {
    const jq = openSqliteJobQueue({ path, pollIntervalMs: 50 });
    cleanups.push(() => jq.close());
    return jq;
  };

  it('names this process as the holder of its leases', () => {
    // Linux (these machines, the Docker image): the lease owner is named, else dead holders could only time out.
    expect(currentLeaseOwner).toMatch(/^pid:\[\d+\]:\d+:\d+$/);
    expect(leaseOwnerIsGone(currentLeaseOwner!)).toBe(false);
  });

  it('counts the try a killed worker lost, as an expired lease does', { timeout: 30_000 }, async () => {
    const jq = open();
    const queue = `q-${randomUUID()}`;
    await jq.enqueue([{ id: 'orphan', queue, payload: { n: 1 } }]);
    const child = spawnCrashWorker({ adapter: 'sqlite', path, queue, leaseMs: 60_000 });
    cleanups.push(() => child.kill());
    await waitFor(() => child.output().includes('started orphan 1'), 15_000, 'the child to take the job');
    await child.kill();
    const attempts: number[] = [];
    jq.work(queue, async (_payload, context) => void attempts.push(context.attempt));
    await waitFor(async () => (await jq.counts(queue)).completed === 1, 5_000, 'the job');
    expect(attempts).toEqual([2]);
  });

  it('judges a holder gone by pid and start time, and never one in another pid namespace', () => {
    const [namespace, pid, start] = /^(.+):(\d+):(\d+)$/.exec(currentLeaseOwner!)!.slice(1);
    // This pid with another start time is a later process that reuses it: the holder is gone.
    expect(leaseOwnerIsGone(`${namespace}:${pid}:${Number(start) + 1}`)).toBe(true);
    // A pid nothing runs under (above Linux's largest pid_max).
    expect(leaseOwnerIsGone(`${namespace}:4194305:${start}`)).toBe(true);
    // Another pid namespace (a container on the same volume): its pids mean nothing here.
    expect(leaseOwnerIsGone(`pid:[1]:4194305:${start}`)).toBe(false);
    expect(leaseOwnerIsGone('not a lease owner')).toBe(false);
  });

  it('adds the lease owner column to a queue file written before it existed, keeping its jobs', async () => {
    const oldPath = join(dir, `old-${randomUUID()}.db`);
    const old = new Database(oldPath);
    old.exec(`CREATE TABLE job_queue (
      seq INTEGER PRIMARY KEY, queue TEXT NOT NULL, id TEXT NOT NULL, lane TEXT, payload TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('waiting','active','delayed','completed','dead')),
      attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, run_at INTEGER NOT NULL,
      lease_until INTEGER, enqueued_at INTEGER NOT NULL, age_from INTEGER NOT NULL, max_age_ms INTEGER,
      backoff TEXT, last_error TEXT, finished_at INTEGER, UNIQUE (queue, id))`);
    old.prepare(`INSERT INTO job_queue (queue, id, payload, state, max_attempts, run_at, enqueued_at, age_from)
      VALUES ('q', 'kept', '{"n":1}', 'waiting', 3, 0, 0, ?)`).run(Date.now());
    old.close();

    const jq = openSqliteJobQueue({ path: oldPath, pollIntervalMs: 50 });
    cleanups.push(() => jq.close());
    const seen: unknown[] = [];
    jq.work('q', async (payload) => void seen.push(payload));
    await waitFor(async () => (await jq.counts('q')).completed === 1, 4_000, 'the old job');
    expect(seen).toEqual([{ n: 1 }]);
  });
});
