import { createRequire } from 'node:module';
import { Client } from '@elastic/elasticsearch';
import Mock from '@elastic/elasticsearch-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { openElasticsearchIndex, preprocessQueryString } from '../src/elasticsearch.js';
import { SearchQueryError, SearchUnavailableError } from '../src/port.js';
import type { SearchIndex } from '../src/port.js';

// The Elasticsearch server cannot run here: these tests pin the requests the adapter sends.
type Recorded = { method: string; path: string; body: unknown };

describe('Elasticsearch adapter requests', () => {
  let mock: Mock;
  let sent: Recorded[];
  let index: SearchIndex;
  let bulkItems: unknown[];

  const hit = (id: string, sort: unknown[]) => ({ _index: 'p-users-v1', _id: id, _score: 1, sort });
  const bodies = (path: string) => sent.filter((r) => r.path === path).map((r) => r.body as Record<string, any>);

  beforeEach(() => {
    mock = new Mock();
    sent = [];
    bulkItems = [];
    const record = (params: { method: string | string[]; path: string | string[]; body?: unknown }) =>
      sent.push({ method: String(params.method), path: String(params.path), body: params.body });
    mock.add({ method: 'HEAD', path: '/_alias/:name' }, (p) => (record(p), ''));
    mock.add({ method: 'PUT', path: '/:index' }, (p) => (record(p), { acknowledged: true }));
    mock.add({ method: 'GET', path: '/_alias/:name' }, () => ({ 'p-users-v1': { aliases: { 'p-users': {} } } }));
    mock.add({ method: 'POST', path: '/_aliases' }, (p) => (record(p), { acknowledged: true }));
    mock.add({ method: 'POST', path: '/_bulk' }, (p) => (record(p), { errors: bulkItems.length > 0, took: 1, items: bulkItems }));
    mock.add({ method: 'POST', path: '/:index/_search' }, (p) => {
      record(p);
      return { took: 1, timed_out: false, hits: { total: { value: 3, relation: 'eq' }, hits: [hit('u1', ['a@x', 'u1']), hit('u2', ['b@x', 'u2']), hit('u3', ['c@x', 'u3'])] } };
    });
    const client = new Client({ node: 'http://localhost:9200', Connection: mock.getConnection() });
    index = openElasticsearchIndex({ indexPrefix: 'p', client });
  });

  it('pre-processes queryString as FusionAuth does', () => {
    expect(preprocessQueryString('email:*@fusionauth.io')).toEqual({ query_string: { query: 'email:*@fusionauth.io' } });
    expect(preprocessQueryString('jared@fusionauth.io')).toEqual({ query_string: { query: 'email:jared@fusionauth.io' } });
    expect(preprocessQueryString('a+b@x.io')).toEqual({ query_string: { query: 'email:a\\+b@x.io' } });
    expect(preprocessQueryString('piper')).toEqual({ query_string: { query: '*piper*' } });
    expect(preprocessQueryString('john smith')).toEqual({ query_string: { query: 'john smith' } });
    expect(preprocessQueryString('*')).toEqual({ match_all: {} });
  });

  it('wraps a raw query in the tenant filter, excludes tombstones, caps total hits and asks one extra hit', async () => {
    const result = await index.search({ tenantId: 't1', query: '{"match":{"email":{"query":"dinesh@fusionauth.io"}}}', numberOfResults: 2, startRow: 4 });
    const [body] = bodies('/p-users/_search');
    expect(body).toMatchObject({
      query: { bool: { must: [{ match: { email: { query: 'dinesh@fusionauth.io' } } }], filter: [{ term: { tenantId: 't1' } }], must_not: [{ term: { deleted: true } }] } },
      from: 4,
      size: 3,
      track_total_hits: 10_000,
      _source: false,
      sort: [{ _score: { order: 'desc' } }, { id: { order: 'asc' } }],
    });
    expect(result.ids).toEqual(['u1', 'u2']);
    expect(result.total).toBe(3);
    expect(JSON.parse(Buffer.from(result.nextResults!, 'base64url').toString())).toMatchObject({ ls: ['b@x', 'u2'], t: 't1' });
  });

  it('rewrites numeric ranges on data fields to the numeric subfield', async () => {
    await index.search({ query: JSON.stringify({ bool: { filter: [{ range: { 'data.score': { gte: 10 } } }, { range: { birthDate: { gte: '1990-01-01' } } }] } }) });
    const [body] = bodies('/p-users/_search');
    expect(body!.query.bool.must[0].bool.filter).toEqual([{ range: { 'data.score.num': { gte: 10 } } }, { range: { birthDate: { gte: '1990-01-01' } } }]);
  });

  it('sends sort with missing, accurate totals and search_after from nextResults', async () => {
    const first = await index.search({ queryString: '*', sortFields: [{ name: 'email', missing: '_first' }], numberOfResults: 2, accurateTotal: true });
    await index.search({ nextResults: first.nextResults!, numberOfResults: 2 });
    const [one, two] = bodies('/p-users/_search');
    expect(one).toMatchObject({ track_total_hits: true, sort: [{ email: { order: 'asc', missing: '_first', unmapped_type: 'keyword' } }, { id: { order: 'asc' } }] });
    expect(one!.search_after).toBeUndefined();
    expect(two).toMatchObject({ search_after: ['b@x', 'u2'], from: 0, size: 3, track_total_hits: true, sort: one!.sort, query: one!.query });
  });

  it('bulk-indexes with external versions, tombstones deletes and skips version conflicts', async () => {
    bulkItems = [
      { index: { _index: 'p-users-v1', _id: 'u1', status: 409, error: { type: 'version_conflict_engine_exception', reason: 'older' } } },
      { index: { _index: 'p-users-v1', _id: 'u2', status: 201 } },
      { index: { _index: 'p-checkpoints', _id: 'v1:users', status: 201 } },
    ];
    await index.apply({
      upserts: [{ id: 'u1', tenantId: 't1', position: 7, user: { email: 'a@x' } }],
      deletes: [{ id: 'u2', position: 8 }],
      checkpoint: { name: 'users', position: 8 },
    });
    const [body] = bodies('/_bulk');
    expect(body).toEqual([
      { index: { _index: 'p-users', _id: 'u1', version: 7, version_type: 'external' } },
      { email: 'a@x', id: 'u1', tenantId: 't1' },
      { index: { _index: 'p-users', _id: 'u2', version: 8, version_type: 'external' } },
      { id: 'u2', deleted: true },
      { index: { _index: 'p-checkpoints', _id: 'v1:users', version: 8, version_type: 'external_gte' } },
      { name: 'users', version: 1, position: 8 },
    ]);
  });

  it('fails a batch whose items are rejected for another reason', async () => {
    bulkItems = [{ index: { _index: 'p-users-v1', _id: 'u1', status: 429, error: { type: 'es_rejected_execution_exception', reason: 'queue full' } } }];
    await expect(index.apply({ upserts: [{ id: 'u1', tenantId: 't1', position: 7, user: {} }], deletes: [] })).rejects.toThrow(/es_rejected_execution_exception/);
  });

  it('switches the alias atomically and creates the target version with the mapping', async () => {
    await index.switchTo(2);
    const created = sent.filter((r) => r.method === 'PUT').map((r) => r.path);
    expect(created).toContain('/p-users-v2');
    const mapping = sent.find((r) => r.path === '/p-users-v2')!.body as Record<string, any>;
    expect(mapping.mappings.properties.registrations.type).toBe('nested');
    expect(mapping.mappings.dynamic_templates[0]).toMatchObject({ data_string: { path_match: 'data.*', mapping: { type: 'keyword' } } });
    expect(bodies('/_aliases').at(-1)).toEqual({
      actions: [{ remove: { index: 'p-users-v1', alias: 'p-users' } }, { add: { index: 'p-users-v2', alias: 'p-users' } }],
    });
  });

  it('maps a 400 from Elasticsearch to SearchQueryError and bad JSON before sending', async () => {
    // The mock recognises errors by instanceof against the CommonJS build it requires itself.
    const { errors } = createRequire(import.meta.url)('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');
    mock.clear({ method: 'POST', path: '/:index/_search' });
    mock.add({ method: 'POST', path: '/:index/_search' }, () => {
      return new errors.ResponseError({
        body: { error: { type: 'parsing_exception', root_cause: [{ type: 'parsing_exception', reason: 'unknown query [nope]' }] }, status: 400 },
        statusCode: 400,
      } as never);
    });
    await expect(index.search({ query: '{"nope":{}}' })).rejects.toMatchObject({ name: 'SearchQueryError', message: 'unknown query [nope]' });
    await expect(index.search({ query: '{oops' })).rejects.toBeInstanceOf(SearchQueryError);
  });

  it('maps an unreachable server to SearchUnavailableError', async () => {
    // A real connection attempt to a closed loopback port.
    const down = openElasticsearchIndex({ indexPrefix: 'p', client: new Client({ node: 'http://127.0.0.1:1', maxRetries: 0 }) });
    await expect(down.search({ queryString: '*' })).rejects.toBeInstanceOf(SearchUnavailableError);
    await down.close();
  });
});
