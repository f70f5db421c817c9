export * from './port.js';
export { openSqliteViewDatabase, type SqliteViewDatabaseOptions } from './sqlite.js';
export { openMongoViewDatabase, type MongoViewDatabaseOptions } from './mongodb.js';
