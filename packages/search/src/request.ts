import { SearchQueryError } from './port.js';
import type { SearchRequest, SortField } from './port.js';

/** FusionAuth's default page size. */
export const DEFAULT_RESULTS = 25;
/** FusionAuth (and Elasticsearch's default `track_total_hits`) caps the total here unless `accurateTotal`. */
export const TOTAL_CAP = 10_000;

/** A search request with defaults applied and a `nextResults` token expanded. */
export interface ResolvedSearch {
  tenantId?: string;
  queryString?: string;
  query?: string;
  sortFields: SortField[];
  startRow: number;
  size: number;
  accurateTotal: boolean;
  /** Sort values of the last hit of the previous page (search_after). */
  after?: unknown[];
}

interface Cursor {
  ls: unknown[];
  qs?: string;
  q?: string;
  sf?: SortField[];
  t?: string;
  at?: boolean;
}

/** Encodes the continuation token; like FusionAuth's it is base64url JSON carrying the query and sort. */
export function encodeCursor(search: ResolvedSearch, lastSortValues: unknown[]): string {
  const cursor: Cursor = { ls: lastSortValues, sf: search.sortFields };
  if (search.queryString !== undefined) cursor.qs = search.queryString;
  if (search.query !== undefined) cursor.q = search.query;
  if (search.tenantId !== undefined) cursor.t = search.tenantId;
  if (search.accurateTotal) cursor.at = true;
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string): Cursor {
  try {
    const cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (!cursor || !Array.isArray(cursor.ls)) throw new Error('no sort values');
    return cursor;
  } catch {
    throw new SearchQueryError('nextResults is not a valid continuation token', 'search.nextResults');
  }
}

function checkCount(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new SearchQueryError(`${field} must be a non-negative integer`, field);
  return value;
}

/**
 * Applies FusionAuth's rules: `nextResults` may only be accompanied by `numberOfResults` (and the
 * tenant the API scopes every request to, which must then equal the token's).
 */
export function resolveSearch(request: SearchRequest): ResolvedSearch {
  const size = checkCount(request.numberOfResults, 'search.numberOfResults', DEFAULT_RESULTS);
  const startRow = checkCount(request.startRow, 'search.startRow', 0);
  if (request.nextResults === undefined) {
    const resolved: ResolvedSearch = {
      sortFields: request.sortFields ?? [],
      startRow,
      size,
      accurateTotal: request.accurateTotal === true,
    };
    if (request.tenantId !== undefined) resolved.tenantId = request.tenantId;
    if (request.queryString !== undefined) resolved.queryString = request.queryString;
    if (request.query !== undefined) resolved.query = request.query;
    return resolved;
  }
  if (request.ids?.length || request.query !== undefined || request.queryString !== undefined || request.sortFields?.length || startRow !== 0) {
    throw new SearchQueryError(
      'nextResults cannot be used with ids, query, queryString or sortFields, and startRow must be 0',
      'search.nextResults',
    );
  }
  const cursor = decodeCursor(request.nextResults);
  if (request.tenantId !== undefined && cursor.t !== undefined && cursor.t !== request.tenantId) {
    throw new SearchQueryError('nextResults belongs to another tenant', 'search.nextResults');
  }
  const resolved: ResolvedSearch = { sortFields: cursor.sf ?? [], startRow: 0, size, accurateTotal: cursor.at === true, after: cursor.ls };
  const tenantId = request.tenantId ?? cursor.t;
  if (tenantId !== undefined) resolved.tenantId = tenantId;
  if (cursor.qs !== undefined) resolved.queryString = cursor.qs;
  if (cursor.q !== undefined) resolved.query = cursor.q;
  return resolved;
}

/** Parses `search.query`; anything but a JSON object is a 400. */
export function parseRawQuery(query: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(query);
  } catch (error) {
    throw new SearchQueryError(`search.query is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SearchQueryError('search.query must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
