/**
 * How the bench asks "is it searchable" and times searches: over HTTP (`POST /api/user/search`) when
 * the service has the route, else through the search port on the service's own index (the code the
 * route calls), opened from this process. The report says which.
 */
import { join } from 'node:path';
import { openElasticsearchIndex, openSqliteSearchIndex, type SearchIndex, type SearchRequest } from '@idstream/search';
import { api, DEFAULT_TENANT_ID } from './service.js';

export interface Searchability {
  via: 'http' | 'port';
  search(request: Omit<SearchRequest, 'tenantId'>): Promise<{ total: number; ids: string[] }>;
  hasEmail(email: string): Promise<boolean>;
  close(): Promise<void>;
}

export async function openSearchability(url: string, dataDir: string): Promise<Searchability> {
  const probe = await api(url, 'POST', '/api/user/search', { search: { queryString: 'probe-nobody' } });
  if (probe.status === 200) {
    return {
      via: 'http',
      async search(request) {
        const res = await api(url, 'POST', '/api/user/search', { search: request });
        if (res.status !== 200) throw new Error(`search failed: ${res.status} ${JSON.stringify(res.body)}`);
        return { total: res.body.total as number, ids: ((res.body.users ?? []) as { id: string }[]).map((u) => u.id) };
      },
      async hasEmail(email) {
        const res = await api(url, 'POST', '/api/user/search', { search: { query: JSON.stringify({ term: { email } }) } });
        return res.status === 200 && res.body.total > 0;
      },
      async close() {},
    };
  }
  const index: SearchIndex = process.env.ELASTICSEARCH_URL
    ? await openElasticsearchIndex({ node: process.env.ELASTICSEARCH_URL, indexPrefix: process.env.ELASTICSEARCH_INDEX_PREFIX ?? 'idstream' })
    : openSqliteSearchIndex({ path: join(dataDir, 'search.db') });
  return {
    via: 'port',
    search: (request) => index.search({ ...request, tenantId: DEFAULT_TENANT_ID }),
    async hasEmail(email) {
      await index.refresh();
      return (await index.search({ tenantId: DEFAULT_TENANT_ID, query: JSON.stringify({ term: { email } }) })).total > 0;
    },
    close: () => index.close(),
  };
}
