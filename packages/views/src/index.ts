export * from './port.js';
export { checkpointCached } from './checkpoint-cached.js';
export { ChunkedIdsBatch, IDS_PER_CHUNK, chunkId, readChunkedIds, type ChunkedIdsBody } from './chunked-ids.js';
export { openSqliteViewDatabase, type SqliteViewDatabaseOptions } from './sqlite.js';
export type { MongoViewDatabaseOptions } from './mongodb.js';
import type { MongoViewDatabaseOptions } from './mongodb.js';
import type { ViewDatabase } from './port.js';

/** Connects to MongoDB. The driver is loaded on first use, so embedded mode does not pay its import at start. */
export async function openMongoViewDatabase(options: MongoViewDatabaseOptions): Promise<ViewDatabase> {
  return (await import('./mongodb.js')).openMongoViewDatabase(options);
}
