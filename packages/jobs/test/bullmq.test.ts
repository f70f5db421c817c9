import { randomUUID } from 'node:crypto';
import { describeWithServer } from '@idstream/testkit';
import { Worker as BullWorker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { openBullMqJobQueue } from '../src/bullmq.js';
import { jobQueueContract, sleep, spawnCrashWorker, waitFor } from './contract.js';
import { startRedis, type RedisProcess } from '../../../test/support/redis-process.js';

describeWithServer('BullMQ job queue contract', 'REDIS_URL', (url) => {
  // A prefix per run keeps parallel runs and leftovers apart; its keys are deleted afterwards.
  const prefix = `idstream-test-${randomUUID().slice(0, 8)}`;
  afterAll(async () => {
    const redis = new Redis(url);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
  });

  jobQueueContract('adapter', () => openBullMqJobQueue({ connection: url, prefix, laneWaitMs: 50 }), {
    childConfig: () => ({ adapter: 'bullmq', url, prefix }),
    // A worker counts as gone after 5 s missing from Redis' client list (looked for every second).
    redeliveryAfterDeathMs: 15_000,
  });
});

describeWithServer('BullMQ workers watching for dead workers', 'REDIS_URL', () => {
  // A private redis-server: its command counts are this test's alone (the shared one serves every
  // parallel test file).
  let redis: RedisProcess;
  let admin: Redis;
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await admin?.quit();
    await redis?.stop();
  });
  const clientListCalls = async () => Number(/cmdstat_client\|list:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);

  it('read Redis client list only while another worker holds a job, once a second for all the queues of a process', { timeout: 40_000 }, async () => {
    const prefix = `watch-${randomUUID().slice(0, 8)}`;
    const jq = openBullMqJobQueue({ connection: redis.url, prefix, laneWaitMs: 50 });
    closers.push(() => jq.close());
    const delivered: string[] = [];
    const work = (queue: string) => jq.work(queue, async (_payload, context) => void delivered.push(context.id), { leaseMs: 60_000 });

    // 1. Nothing active: the workers never ask for the client list.
    work('idle-a');
    work('idle-b');
    await sleep(1_500);
    await admin.config('RESETSTAT');
    await sleep(3_500);
    expect(await clientListCalls()).toBe(0);

    // 2. A live worker of another process holds a job on each of two more queues. This process's
    // workers on them watch the holders from one read a second between them (two a second if each
    // read its own); the children, holding only their own jobs, read nothing.
    const held = ['held-a', 'held-b'];
    await jq.enqueue(held.map((queue) => ({ id: queue, queue, payload: null })));
    const children = held.map((queue) => spawnCrashWorker({ adapter: 'bullmq', url: redis.url, prefix, queue, leaseMs: 60_000 }));
    for (const child of children) closers.push(() => child.kill());
    await waitFor(() => children.every((c) => c.output().includes('started')), 15_000, 'the children to take the jobs');
    for (const queue of held) work(queue);
    await sleep(1_500);
    await admin.config('RESETSTAT');
    await sleep(4_000);
    const calls = await clientListCalls();
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(5);
    // The holders are alive: their jobs stay with them.
    expect(delivered).toEqual([]);
  });
});

describeWithServer('BullMQ job queue through a Redis outage', 'REDIS_URL', () => {
  it('reports the outage once and its end once, however many reconnects fail, and prints none of them', { timeout: 40_000 }, async () => {
    const redis = await startRedis();
    const printed = vi.spyOn(console, 'error');
    const lost: Error[] = [];
    let restored = 0;
    const jq = openBullMqJobQueue({ connection: redis.url, prefix: `outage-${randomUUID().slice(0, 8)}`, onConnectionLost: (error) => lost.push(error), onConnectionRestored: () => restored++ });
    try {
      const delivered: string[] = [];
      jq.work('outage', async (_payload, context) => void delivered.push(context.id));
      await jq.enqueue([{ id: 'before', queue: 'outage', payload: {} }]);
      await waitFor(() => delivered.includes('before'), 10_000);
      expect(lost).toEqual([]);

      await redis.stop();
      // ioredis retries after 50, 100, 150 … ms: a few seconds hold a dozen failed reconnects.
      await sleep(3_000);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.message).toMatch(/ECONNREFUSED|Connection is closed|ECONNRESET/);
      expect(printed.mock.calls.filter((args) => String(args[0]).includes('[ioredis]'))).toEqual([]);

      await redis.start();
      await waitFor(() => restored === 1, 15_000);
      // The queue works again: a job enqueued after the outage is delivered.
      await jq.enqueue([{ id: 'after', queue: 'outage', payload: {} }]);
      await waitFor(() => delivered.includes('after'), 15_000);
      expect(lost).toHaveLength(1);
      expect(restored).toBe(1);
    } finally {
      printed.mockRestore();
      await jq.close();
      await redis.stop();
    }
  });
});

describeWithServer('BullMQ jobs stranded in a live worker', 'REDIS_URL', (url) => {
  it('a job of this worker that its processor never received goes back to waiting within seconds, not after its 60 s lease', { timeout: 40_000 }, async () => {
    const prefix = `stranded-${randomUUID().slice(0, 8)}`;
    const queue = 'stranded';
    const admin = new Redis(url);
    const manualConnection = new Redis(url, { maxRetriesPerRequest: null });
    const jq = openBullMqJobQueue({ connection: url, prefix, laneWaitMs: 50 });
    let manual: BullWorker | undefined;
    let unblock = () => {};
    try {
      const delivered: string[] = [];
      const blocked = new Promise<void>((resolve) => (unblock = resolve));
      jq.work(queue, async (_payload, context) => {
        if (context.id === 'blocker') await blocked;
        delivered.push(context.id);
      }, { leaseMs: 60_000, concurrency: 1 });
      // The worker's one slot is busy, so it fetches nothing else meanwhile.
      await jq.enqueue([{ id: 'blocker', queue, payload: null }]);
      await waitFor(async () => (await jq.counts(queue)).active === 1, 10_000, 'the worker to take the blocker');

      // What a fetch whose reply a Redis restart lost leaves behind: the job moved to active, locked
      // and marked as taken by this worker (its name, from its blocking connection's client name:
      // `<prefix>:<queue in base64>:w:<worker name>`),
      // while the worker never got it.
      const clients = await admin.client('LIST') as string;
      const name = new RegExp(`name=${prefix}:\\S*:w:(\\S+)`).exec(clients)?.[1];
      expect(name).toBeDefined();
      await jq.enqueue([{ id: 'stranded', queue, payload: null }]);
      manual = new BullWorker(queue, null, { connection: manualConnection, prefix, name: name!, lockDuration: 60_000, autorun: false });
      const job = await manual.getNextJob(`lost-reply-${randomUUID()}`);
      expect(job?.id).toBe('stranded');
      expect(job?.processedBy).toBe(name);

      const releasedAt = Date.now();
      unblock();
      await waitFor(() => delivered.includes('stranded'), 15_000, 'the stranded job to be delivered');
      // Released after 5 s without a processor (checked every second), not at the lease's end.
      expect(Date.now() - releasedAt).toBeLessThan(12_000);
      expect(delivered).toEqual(['blocker', 'stranded']);
      // A job the processor holds is never taken from it: the blocker ran once.
      expect(await jq.counts(queue)).toMatchObject({ completed: 2, active: 0 });
    } finally {
      // close() waits for the blocker's handler.
      unblock();
      await manual?.close(true);
      await jq.close();
      manualConnection.disconnect();
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
      await admin.quit();
    }
  });
});
