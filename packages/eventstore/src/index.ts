export * from './port.js';
export { openSqliteEventStore, SqliteEventStore, type SqliteEventStoreOptions } from './sqlite.js';
export { openKurrentDbEventStore, KurrentDbEventStore, type KurrentDbEventStoreOptions } from './kurrentdb.js';
