export * from './port.js';
export { openSqliteViewDatabase, type SqliteViewDatabaseOptions } from './sqlite.js';
