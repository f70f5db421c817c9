import { Client, errors } from '@elastic/elasticsearch';
import type { estypes } from '@elastic/elasticsearch';
import { SearchQueryError, SearchUnavailableError } from './port.js';
import type { SearchDocument, SearchIndex, SearchRequest, SearchResult, SortField } from './port.js';
import { checkpointsMappings, rewriteDataRanges, usersIndexMappings, usersIndexSettings } from './elasticsearch-mapping.js';
import { TOTAL_CAP, encodeCursor, parseRawQuery, resolveSearch } from './request.js';
import { preprocessQueryString } from './elasticsearch-query-string.js';

export { preprocessQueryString };

export interface ElasticsearchSearchOptions {
  /** e.g. `http://127.0.0.1:9200`; ignored when `client` is given. */
  node?: string;
  /** Names: `<prefix>-users` (alias), `<prefix>-users-v<n>`, `<prefix>-checkpoints`. */
  indexPrefix: string;
  /** A configured client (auth, TLS, or a mock connection in tests); not closed by `close()`. */
  client?: Client;
}

function isConnectionError(error: unknown): boolean {
  return (
    error instanceof errors.ConnectionError ||
    error instanceof errors.NoLivingConnectionsError ||
    error instanceof errors.TimeoutError ||
    (error instanceof errors.ResponseError && [502, 503, 504].includes(error.statusCode ?? 0))
  );
}

function reasonOf(error: errors.ResponseError): string {
  const body = error.meta?.body as { error?: { root_cause?: { reason?: string }[]; reason?: string } } | undefined;
  return body?.error?.root_cause?.[0]?.reason ?? body?.error?.reason ?? error.message;
}

function errorType(error: unknown): string | undefined {
  if (!(error instanceof errors.ResponseError)) return undefined;
  return (error.meta?.body as { error?: { type?: string } } | undefined)?.error?.type;
}

/** Maps transport failures to the port's errors: unreachable → 503, a rejected query → 400. */
async function call<T>(fn: () => Promise<T>, queryErrors = false): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isConnectionError(error)) throw new SearchUnavailableError(`Elasticsearch is unavailable: ${(error as Error).message}`);
    if (queryErrors && error instanceof errors.ResponseError && error.statusCode === 400) throw new SearchQueryError(reasonOf(error));
    throw error;
  }
}

function withoutData(user: Record<string, unknown>): Record<string, unknown> {
  const strip = (items: unknown) =>
    Array.isArray(items) ? items.map((item) => (item && typeof item === 'object' ? { ...(item as object), data: undefined } : item)) : items;
  return { ...user, data: undefined, registrations: strip(user.registrations), memberships: strip(user.memberships) };
}

class Names {
  readonly alias: string;
  readonly checkpoints: string;
  constructor(readonly prefix: string) {
    this.alias = `${prefix}-users`;
    this.checkpoints = `${prefix}-checkpoints`;
  }
  version(n: number): string {
    return `${this.prefix}-users-v${n}`;
  }
  parseVersion(index: string): number | undefined {
    const match = /-users-v(\d+)$/.exec(index);
    return match ? Number(match[1]) : undefined;
  }
}

/** Shared by the alias handle and its version handles. */
class Shared {
  private ready?: Promise<void>;
  constructor(readonly client: Client, readonly names: Names, readonly ownsClient: boolean) {}

  async createIndex(index: string, mappings: object, settings?: object): Promise<void> {
    try {
      await call(() => this.client.indices.create({ index, mappings, ...(settings ? { settings } : {}) } as estypes.IndicesCreateRequest));
    } catch (error) {
      if (errorType(error) !== 'resource_already_exists_exception') throw error;
    }
  }

  /** Creates version 1 behind the alias and the checkpoints index on first use. */
  init(): Promise<void> {
    this.ready ??= (async () => {
      await this.createIndex(this.names.checkpoints, checkpointsMappings);
      if (!(await call(() => this.client.indices.existsAlias({ name: this.names.alias })))) {
        await this.createIndex(this.names.version(1), usersIndexMappings, usersIndexSettings);
        await call(() => this.client.indices.updateAliases({ actions: [{ add: { index: this.names.version(1), alias: this.names.alias } }] }));
      }
    })().catch((error) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  async current(): Promise<number | undefined> {
    await this.init();
    try {
      const response = await call(() => this.client.indices.getAlias({ name: this.names.alias }));
      const versions = Object.keys(response).map((i) => this.names.parseVersion(i)).filter((v): v is number => v !== undefined);
      return versions.length ? Math.max(...versions) : undefined;
    } catch (error) {
      if (error instanceof errors.ResponseError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
}

class ElasticsearchSearchIndex implements SearchIndex {
  readonly engine = 'elasticsearch' as const;

  constructor(private readonly shared: Shared, private readonly fixed?: number) {}

  private get client(): Client {
    return this.shared.client;
  }

  private get names(): Names {
    return this.shared.names;
  }

  private async target(): Promise<{ index: string; version: number }> {
    if (this.fixed !== undefined) return { index: this.names.version(this.fixed), version: this.fixed };
    const version = await this.shared.current();
    if (version === undefined) throw new Error(`alias ${this.names.alias} points at no index`);
    return { index: this.names.alias, version };
  }

  /**
   * One bulk request; external versioning (version = position) makes Elasticsearch drop older
   * writes, reported as 409 items, which are skips. A delete indexes a tombstone without personal
   * data so the guard outlives `index.gc_deletes`.
   */
  async apply(batch: Parameters<SearchIndex['apply']>[0]): Promise<void> {
    await this.shared.init();
    const { index, version } = await this.target();
    const docs: SearchDocument[] = [];
    const operations: unknown[] = [];
    const action = (id: string, position: number) => ({ index: { _index: index, _id: id, version: position, version_type: 'external' } });
    for (const doc of batch.upserts) {
      docs.push(doc);
      operations.push(action(doc.id, doc.position), { ...doc.user, id: doc.id, tenantId: doc.tenantId });
    }
    for (const del of batch.deletes) operations.push(action(del.id, del.position), { id: del.id, deleted: true });
    if (batch.checkpoint) {
      const { name, position } = batch.checkpoint;
      operations.push(
        { index: { _index: this.names.checkpoints, _id: `v${version}:${name}`, version: position, version_type: 'external_gte' } },
        { name, version, position },
      );
    }
    if (operations.length === 0) return;
    const failed = await this.bulk(operations);
    // A data field that changed between scalar and object cannot be mapped: index the user without data.
    const retry = failed.filter((i) => i < docs.length && /mapper_parsing_exception|document_parsing_exception/.test(this.lastErrors.get(i) ?? ''));
    if (retry.length) {
      const again = retry.flatMap((i) => [action(docs[i]!.id, docs[i]!.position), { ...withoutData(docs[i]!.user), id: docs[i]!.id, tenantId: docs[i]!.tenantId }]);
      const stillFailed = await this.bulk(again);
      if (stillFailed.length) throw new Error(`Elasticsearch rejected ${stillFailed.length} documents: ${[...this.lastErrors.values()][0]}`);
    }
    const other = failed.filter((i) => !retry.includes(i));
    if (other.length) throw new Error(`Elasticsearch rejected ${other.length} bulk items: ${other.map((i) => this.lastErrors.get(i)).join('; ')}`);
  }

  private lastErrors = new Map<number, string>();

  /** Returns the positions of failed items, version conflicts excluded. */
  private async bulk(operations: unknown[]): Promise<number[]> {
    const response = await call(() => this.client.bulk({ operations } as estypes.BulkRequest));
    this.lastErrors = new Map();
    if (!response.errors) return [];
    const failed: number[] = [];
    response.items.forEach((item, i) => {
      const result = item.index ?? item.delete ?? item.create ?? item.update;
      if (!result?.error || result.status === 409) return;
      failed.push(i);
      this.lastErrors.set(i, `${result.error.type}: ${result.error.reason ?? ''}`);
    });
    return failed;
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    await this.shared.init();
    const { index } = await this.target();
    const filter: estypes.QueryDslQueryContainer[] = [];
    if (request.tenantId !== undefined) filter.push({ term: { tenantId: request.tenantId } });
    const notDeleted = [{ term: { deleted: true } }];
    if (request.ids?.length) {
      const ids = [...new Set(request.ids)];
      const response = await call(
        () => this.client.search({ index, query: { bool: { filter: [{ ids: { values: ids } }, ...filter], must_not: notDeleted } }, size: ids.length, _source: false }),
        true,
      );
      const found = new Set(response.hits.hits.map((h) => h._id));
      const hits = ids.filter((id) => found.has(id));
      return { total: hits.length, ids: hits };
    }
    const search = resolveSearch(request);
    if (search.tenantId !== undefined && request.tenantId === undefined) filter.push({ term: { tenantId: search.tenantId } });
    let must: estypes.QueryDslQueryContainer = { match_all: {} };
    if (search.query !== undefined) must = rewriteDataRanges(parseRawQuery(search.query)) as estypes.QueryDslQueryContainer;
    else if (search.queryString !== undefined) must = preprocessQueryString(search.queryString);
    const sort: estypes.SortCombinations[] = search.sortFields.length ? search.sortFields.map(sortOf) : [{ _score: { order: 'desc' } }];
    sort.push({ id: { order: 'asc' } });
    const response = await call(
      () =>
        this.client.search({
          index,
          query: { bool: { must: [must], filter, must_not: notDeleted } },
          sort,
          from: search.startRow,
          size: search.size + 1,
          track_total_hits: search.accurateTotal ? true : TOTAL_CAP,
          _source: false,
          ...(search.after ? { search_after: search.after as estypes.FieldValue[] } : {}),
        }),
      true,
    );
    const total = typeof response.hits.total === 'number' ? response.hits.total : (response.hits.total?.value ?? 0);
    const hits = response.hits.hits.slice(0, search.size);
    const result: SearchResult = { total, ids: hits.map((h) => h._id!) };
    const last = hits[hits.length - 1];
    if (response.hits.hits.length > search.size && last?.sort) result.nextResults = encodeCursor(search, last.sort);
    return result;
  }

  async refresh(): Promise<void> {
    await this.shared.init();
    const { index } = await this.target();
    await call(() => this.client.indices.refresh({ index }));
  }

  async getCheckpoint(name: string): Promise<number | undefined> {
    const { version } = await this.target();
    try {
      const doc = await call(() => this.client.get<{ position: number }>({ index: this.names.checkpoints, id: `v${version}:${name}` }));
      return doc.found ? doc._source?.position : undefined;
    } catch (error) {
      if (error instanceof errors.ResponseError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  currentVersion(): Promise<number | undefined> {
    return this.shared.current();
  }

  async version(version: number): Promise<SearchIndex> {
    if (!Number.isInteger(version) || version < 1) throw new Error(`Invalid search index version ${version}`);
    await this.shared.init();
    await this.shared.createIndex(this.names.version(version), usersIndexMappings, usersIndexSettings);
    return new ElasticsearchSearchIndex(this.shared, version);
  }

  /** Moves the alias in one atomic updateAliases call. */
  async switchTo(version: number): Promise<void> {
    await this.version(version);
    const current = await this.shared.current();
    const actions: estypes.IndicesUpdateAliasesAction[] = [];
    if (current !== undefined && current !== version) actions.push({ remove: { index: this.names.version(current), alias: this.names.alias } });
    actions.push({ add: { index: this.names.version(version), alias: this.names.alias } });
    await call(() => this.client.indices.updateAliases({ actions }));
  }

  async dropVersion(version: number): Promise<void> {
    if (version === (await this.shared.current())) throw new Error(`Cannot drop search index version ${version}: the alias points at it`);
    await call(() => this.client.indices.delete({ index: this.names.version(version), ignore_unavailable: true }));
    await call(() =>
      this.client.deleteByQuery({ index: this.names.checkpoints, query: { term: { version } }, conflicts: 'proceed', refresh: true }),
    );
  }

  async close(): Promise<void> {
    if (this.fixed === undefined && this.shared.ownsClient) await this.client.close();
  }
}

function sortOf(field: SortField): estypes.SortCombinations {
  const order = field.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new SearchQueryError(`Invalid sort order [${String(order)}]`, 'search.sortFields');
  return { [field.name]: { order, missing: field.missing ?? '_last', unmapped_type: 'keyword' } };
}

/**
 * Opens the Elasticsearch search index (FusionAuth's "elasticsearch" engine): raw `query` passed
 * through inside a tenant filter, FusionAuth's `queryString` pre-processing, `nextResults` via
 * search_after. Indexes are created on first use.
 */
export function openElasticsearchIndex(options: ElasticsearchSearchOptions): SearchIndex {
  const client = options.client ?? new Client({ node: options.node ?? 'http://127.0.0.1:9200' });
  return new ElasticsearchSearchIndex(new Shared(client, new Names(options.indexPrefix), options.client === undefined));
}
