/**
 * Embedded mode runs the projector in a worker thread: an append made on one thread must wake the
 * subscriptions of another thread on the same file at once, not at their next poll.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, expect, it } from 'vitest';
import { openSqliteEventStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-eventstore-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('wakes a subscription on another thread when this thread appends (the thread polls once a minute)', async () => {
  const path = join(dir, 'events.db');
  const store = openSqliteEventStore({ path });
  const thread = new Worker(new URL('./fixtures/thread-subscriber.mjs', import.meta.url), { workerData: { path, after: 0 } });
  const seen: number[] = [];
  const ready = new Promise<void>((resolve) => thread.on('message', (m: unknown) => (m === 'ready' ? resolve() : seen.push(m as number))));
  const exited = new Promise((resolve) => thread.on('exit', resolve));
  try {
    await ready;
    const positions: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { position } = await store.append(`s-${i}`, [{ id: randomUUID(), type: 'Happened', data: { i } }], 'any');
      positions.push(position);
      // Each append must arrive on its own wake-up, far inside the thread's one-minute poll.
      const deadline = Date.now() + 10_000;
      while (!seen.includes(position) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(seen).toEqual(positions);
  } finally {
    thread.postMessage('stop');
    await exited;
    await store.close();
  }
});
