import { randomUUID } from 'node:crypto';
import { describeWithServer } from '@idstream/testkit';
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
