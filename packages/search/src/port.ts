/**
 * The user search port. SQLite FTS5 gives FusionAuth's "database" engine semantics; Elasticsearch
 * gives the "elasticsearch" engine with raw query passthrough. Both index one JSON document per user
 * and answer with ids in result order; the API loads the users from the views.
 */

export interface SearchDocument {
  id: string;
  tenantId: string;
  /** Global event position the document reflects; older writes are ignored. */
  position: number;
  /** The user as the API returns it (email, username, names, data, registrations, …). */
  user: Record<string, unknown>;
}

export interface SortField {
  name: string;
  order?: 'asc' | 'desc';
  /** `_first`, `_last` or a literal value (Elasticsearch semantics). */
  missing?: string;
}

export interface SearchRequest {
  /** Restricts results to one tenant (always set by the API for tenant-scoped requests). */
  tenantId?: string;
  /** Wins over `query` and `queryString`; not paginated or sorted; ids come back in request order. */
  ids?: string[];
  /**
   * `database`: one case-insensitive term matched inside email, username, first/last/middle/full
   * name, mobile phone and registration usernames; with `*` anchored to a whole field (`jo*`,
   * `*@example.com`; `*` alone matches all); with `:` a subset of query-string syntax (`field:value`,
   * AND/OR/NOT). `elasticsearch`: FusionAuth's pre-processing, then a `query_string` query.
   */
  queryString?: string;
  /**
   * Raw Elasticsearch JSON query, as a string (FusionAuth's `search.query`); wins over
   * `queryString`. The `database` engine runs a documented subset (see `sqlite-query.ts`) and
   * rejects the rest with SearchQueryError.
   */
  query?: string;
  sortFields?: SortField[];
  startRow?: number;
  numberOfResults?: number;
  /** Without it `total` stops counting at 10,000, as in FusionAuth. */
  accurateTotal?: boolean;
  /**
   * Opaque continuation token from a previous result (search_after); carries the query and sort,
   * so only `numberOfResults` (and the API's `tenantId`) may accompany it.
   */
  nextResults?: string;
}

export interface SearchResult {
  total: number;
  ids: string[];
  /** Present when more results follow. */
  nextResults?: string;
}

/** A query the engine cannot run (bad syntax, unsupported construct): the API answers 400. */
export class SearchQueryError extends Error {
  override readonly name = 'SearchQueryError';
  constructor(message: string, readonly field: string = 'search.query') {
    super(message);
  }
}

/** The engine is unreachable: the API answers 503. */
export class SearchUnavailableError extends Error {
  override readonly name = 'SearchUnavailableError';
}

export interface SearchIndex {
  readonly engine: 'database' | 'elasticsearch';
  /**
   * Upserts and deletes, each guarded by position (a write not newer than the stored one, including
   * a delete's tombstone, is skipped); with the checkpoint where the store allows it (SQLite: one
   * transaction; Elasticsearch: the same bulk request, not atomic).
   */
  apply(batch: {
    upserts: SearchDocument[];
    deletes: { id: string; position: number }[];
    checkpoint?: { name: string; position: number };
  }): Promise<void>;
  search(request: SearchRequest): Promise<SearchResult>;
  /** Makes every applied write visible to search (Elasticsearch refresh; a no-op on SQLite, where a write is visible at commit). */
  refresh(): Promise<void>;
  getCheckpoint(name: string): Promise<number | undefined>;
  /** Versioned indexes behind an alias: rebuild writes `createVersion(n)` then switches. */
  currentVersion(): Promise<number | undefined>;
  /** Returns a handle writing to (and searching) that version, creating it if needed. */
  version(version: number): Promise<SearchIndex>;
  switchTo(version: number): Promise<void>;
  dropVersion(version: number): Promise<void>;
  close(): Promise<void>;
}
