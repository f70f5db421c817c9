import { randomUUID } from 'node:crypto';
import { describeWithServer } from '@idstream/testkit';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { openBullMqJobQueue } from '../src/bullmq.js';
import { jobQueueContract } from './contract.js';

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
