export * from './port.js';
export { openSqliteJobQueue } from './sqlite.js';
export type { SqliteJobQueueOptions } from './sqlite.js';
export type { BullMqJobQueueOptions } from './bullmq.js';
export { backoffDelayMs, DEFAULT_BACKOFF, DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS } from './policy.js';
import type { BullMqJobQueueOptions } from './bullmq.js';
import type { JobQueue } from './port.js';

/** Opens the BullMQ queue. bullmq and ioredis are loaded on first use: embedded mode never pays their import. */
export async function openBullMqJobQueue(options: BullMqJobQueueOptions): Promise<JobQueue> {
  return (await import('./bullmq.js')).openBullMqJobQueue(options);
}
