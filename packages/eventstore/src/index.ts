export * from './port.js';
export { openSqliteEventStore, SqliteEventStore, type SqliteEventStoreOptions } from './sqlite.js';
