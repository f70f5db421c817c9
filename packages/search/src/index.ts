export * from './port.js';
export { openSqliteSearchIndex } from './sqlite.js';
export type { SqliteSearchOptions } from './sqlite.js';
export { preprocessQueryString } from './elasticsearch-query-string.js';
export type { ElasticsearchSearchOptions } from './elasticsearch.js';
import type { ElasticsearchSearchOptions } from './elasticsearch.js';
import type { SearchIndex } from './port.js';

/**
 * Opens the Elasticsearch index. The client library is loaded on first use: importing it costs about a
 * second of start-up that an embedded deployment (SQLite FTS5) would otherwise pay for nothing.
 */
export async function openElasticsearchIndex(options: ElasticsearchSearchOptions): Promise<SearchIndex> {
  return (await import('./elasticsearch.js')).openElasticsearchIndex(options);
}
