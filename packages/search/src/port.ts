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
  ids?: string[];
  queryString?: string;
  /** Raw Elasticsearch JSON query, as a string (FusionAuth's `search.query`). */
  query?: string;
  sortFields?: SortField[];
  startRow?: number;
  numberOfResults?: number;
  accurateTotal?: boolean;
  /** Opaque continuation token from a previous result (search_after). */
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
  /** Upserts and deletes, each guarded by position; with the checkpoint where the store allows it. */
  apply(batch: {
    upserts: SearchDocument[];
    deletes: { id: string; position: number }[];
    checkpoint?: { name: string; position: number };
  }): Promise<void>;
  search(request: SearchRequest): Promise<SearchResult>;
  /** Makes every applied write visible to search (Elasticsearch refresh). */
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
