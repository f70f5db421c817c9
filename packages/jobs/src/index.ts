export * from './port.js';
export { openSqliteJobQueue } from './sqlite.js';
export type { SqliteJobQueueOptions } from './sqlite.js';
export { openBullMqJobQueue } from './bullmq.js';
export type { BullMqJobQueueOptions } from './bullmq.js';
export { backoffDelayMs, DEFAULT_BACKOFF, DEFAULT_LEASE_MS, DEFAULT_MAX_ATTEMPTS } from './policy.js';
