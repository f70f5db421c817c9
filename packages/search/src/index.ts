export * from './port.js';
export { openSqliteSearchIndex } from './sqlite.js';
export type { SqliteSearchOptions } from './sqlite.js';
