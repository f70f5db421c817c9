export * from './port.js';
export { openSqliteEventStore, SqliteEventStore, truncateSqliteWal, type SqliteEventStoreOptions } from './sqlite.js';
export { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';
export type { KurrentDbEventStore, KurrentDbEventStoreOptions } from './kurrentdb.js';
import type { KurrentDbEventStore, KurrentDbEventStoreOptions } from './kurrentdb.js';

/**
 * Connects to KurrentDB (lazily, so an unreachable server does not fail here). The gRPC client is
 * loaded on first use: importing it costs over a second of start-up that embedded mode never needs.
 */
export async function openKurrentDbEventStore(options: KurrentDbEventStoreOptions): Promise<KurrentDbEventStore> {
  return (await import('./kurrentdb.js')).openKurrentDbEventStore(options);
}
