export * from './port.js';
export { openSqliteSearchIndex } from './sqlite.js';
export type { SqliteSearchOptions } from './sqlite.js';
export { openElasticsearchIndex, preprocessQueryString } from './elasticsearch.js';
export type { ElasticsearchSearchOptions } from './elasticsearch.js';
