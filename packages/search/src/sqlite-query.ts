import { SearchQueryError } from './port.js';
import { DB_TERM, parseQueryString } from './query-string.js';
import type { Dsl } from './query-string.js';

/** A SQL fragment and its positional parameters, in order of appearance. */
export interface Sql {
  sql: string;
  params: unknown[];
}

/** Fields FusionAuth's mapping normalises to lower case: term/match/prefix/wildcard ignore case. */
const NORMALIZED = new Set(['email', 'username', 'firstName', 'lastName', 'middleName', 'fullName', 'registrations.username']);
/** Arrays of objects in the user document; Elasticsearch maps them `nested`. */
const OBJECT_ARRAYS = new Set(['registrations', 'memberships']);

interface Scope {
  /** SQL expression of the JSON the field paths are relative to. */
  json: string;
  /** Path of the nested array this scope iterates, e.g. `registrations.`. */
  prefix: string;
}

type Mode = 'keyword' | 'text' | 'num';
type Predicate = (value: string, type: string, normalized: boolean) => Sql;

const ROOT: Scope = { json: 'u.doc', prefix: '' };

/** Quotes each key so any data key (dots aside) is a valid JSON path. */
export function jsonPath(segments: string[]): string {
  return `$${segments.map((s) => `."${s.replace(/"/g, '\\"')}"`).join('')}`;
}

/** A literal inlined into SQL (used where a statement's text must be self-contained). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[]/g, (c) => `[${c}]`);
}

/** Converts an Elasticsearch wildcard (`*`, `?`, `\` escapes) to a GLOB pattern. */
function wildcardToGlob(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) out += escapeGlob(pattern[++i]!);
    else if (c === '*' || c === '?') out += c;
    else out += escapeGlob(c);
  }
  return out;
}

const SEP = '\u001f';

/** Where a term's text is: the trigram index, and whether the text is the users table's `terms` column. */
export interface TermSource {
  fts: string;
  inline: boolean;
}

/** The distinct trigrams of a literal (by code point, as FTS5's trigram tokenizer splits). */
export function trigramsOf(literal: string): string[] {
  const chars = [...literal];
  return [...new Set(chars.slice(0, -2).map((_, i) => chars.slice(i, i + 3).join('')))];
}

/** An FTS5 MATCH expression requiring every given trigram (each a quoted one-token string). */
export function matchAll(trigrams: string[]): string {
  return trigrams.map((t) => `"${t.replace(/"/g, '""')}"`).join(' AND ');
}

export interface DatabaseTerm extends Sql {
  /** Candidate rows (`rid`) from the trigram index, a superset of the matches; absent under 3 characters. */
  driver?: Sql;
  /** The per-row condition that decides among the driver's candidates (none when the driver decides). */
  check?: Sql;
  literal?: string;
  glob?: string;
}

/**
 * The database engine's one-term search. Without `*` the term matches anywhere inside a field (what
 * FusionAuth's examples show: "@fusionauth.io", "containing piper"); with `*` the pattern is anchored
 * to a whole field value (`jo*` starts with, `*@example.com` ends with). The trigram index finds
 * candidates from the longest literal run of 3+ characters; GLOB over the field values, which are
 * stored lower-cased between separators, decides.
 */
export function databaseTerm(raw: string, source: TermSource): DatabaseTerm {
  const term = raw.toLowerCase().replace(/[\u0000-\u001f]/g, '');
  if (/^\**$/.test(term)) return { sql: '1', params: [] };
  const segments = term.split('*');
  const glob = term.includes('*')
    ? `*${SEP}${segments.map(escapeGlob).join(`[^${SEP}]*`)}${SEP}*`
    : `*${escapeGlob(term)}*`;
  const literal = segments.reduce((a, b) => ([...b].length > [...a].length ? b : a), '');
  const indexed = [...literal].length >= 3;
  if (source.inline) {
    // Contentless index: MATCH on the literal's trigrams narrows (a superset: they may sit apart),
    // GLOB over the row's own text decides.
    const check = { sql: 'u.terms GLOB ?', params: [glob] };
    if (!indexed) return { ...check, literal, glob };
    const match = matchAll(trigramsOf(literal));
    return {
      sql: `u.rid IN (SELECT rowid FROM ${source.fts} WHERE ${source.fts} MATCH ?) AND u.terms GLOB ?`,
      params: [match, glob],
      driver: { sql: `SELECT rowid AS rid FROM ${source.fts} WHERE ${source.fts} MATCH ?`, params: [match] },
      check,
      literal,
      glob,
    };
  }
  // detail=none keeps the index small and writes fast; LIKE over it narrows by trigrams (a superset:
  // `_`/`%` in the literal only widen it) and GLOB over the stored values decides.
  const where = indexed ? `terms LIKE ? AND terms GLOB ?` : `terms GLOB ?`;
  const params = indexed ? [`%${literal}%`, glob] : [glob];
  return { sql: `u.rid IN (SELECT rowid FROM ${source.fts} WHERE ${where})`, params, ...(indexed && { driver: { sql: `SELECT rowid AS rid FROM ${source.fts} WHERE ${where}`, params } }), literal, glob };
}

function canonical(value: unknown, normalized: boolean): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return normalized ? text.toLowerCase() : text;
}

function single(clause: unknown, kind: string): [string, unknown] {
  if (!clause || typeof clause !== 'object' || Array.isArray(clause)) throw new SearchQueryError(`[${kind}] must be an object`);
  const entries = Object.entries(clause).filter(([k]) => k !== 'boost' && k !== '_name');
  if (entries.length !== 1) throw new SearchQueryError(`[${kind}] expects exactly one field`);
  return entries[0]!;
}

function option(body: unknown, key: string): unknown {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[key] : body;
}

function list(value: unknown, kind: string): Dsl[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  for (const item of items) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new SearchQueryError(`[bool] ${kind} clauses must be objects`);
  }
  return items as Dsl[];
}

function minimumShouldMatch(raw: unknown, count: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const text = String(raw).trim();
  const percent = /^(-?\d+)%$/.exec(text);
  const n = percent ? Math.trunc((count * Number(percent[1])) / 100) : Number(text);
  if (!Number.isInteger(n)) throw new SearchQueryError(`Unsupported minimum_should_match [${text}]`);
  return n < 0 ? Math.max(0, count + n) : n;
}

function join(parts: Sql[], op: string, empty: string): Sql {
  if (parts.length === 0) return { sql: empty, params: [] };
  return { sql: parts.map((p) => `(${p.sql})`).join(` ${op} `), params: parts.flatMap((p) => p.params) };
}

/**
 * Translates the supported subset of the Elasticsearch query DSL to a SQLite condition over the
 * stored user JSON (`u.doc`), with `json_each` for arrays so `registrations.roles:admin` matches
 * any registration, as Elasticsearch's multi-valued fields do.
 */
export class QueryTranslator {
  private aliases = 0;

  constructor(private readonly source: TermSource) {}

  translate(query: Dsl, scope: Scope = ROOT): Sql {
    const [kind, body] = single(query, 'query');
    switch (kind) {
      case 'match_all':
        return { sql: '1', params: [] };
      case 'match_none':
        return { sql: '0', params: [] };
      case DB_TERM:
        return databaseTerm(String(body), this.source);
      case 'bool':
        return this.bool(body as Record<string, unknown>, scope);
      case 'constant_score':
        return this.translate(list(option(body, 'filter'), 'filter')[0] ?? { match_all: {} }, scope);
      case 'nested':
        return this.nested(body as Record<string, unknown>, scope);
      case 'query_string': {
        const text = option(body, 'query');
        if (typeof text !== 'string') throw new SearchQueryError('[query_string] requires a query');
        return this.translate(parseQueryString(text), scope);
      }
      case 'ids': {
        const values = option(body, 'values');
        if (!Array.isArray(values)) throw new SearchQueryError('[ids] requires values');
        return this.columnIn('u.id', values.map(String), scope);
      }
      case 'exists': {
        const field = option(body, 'field');
        if (typeof field !== 'string') throw new SearchQueryError('[exists] requires a field');
        return this.leaf(field, scope, (_v, t) => ({ sql: `${t} <> 'null'`, params: [] }));
      }
      case 'term':
      case 'terms':
      case 'match':
      case 'match_phrase':
      case 'prefix':
      case 'wildcard':
      case 'range': {
        const [field, spec] = single(body, kind);
        return this.fieldQuery(kind, field, spec, scope);
      }
      default:
        throw new SearchQueryError(`Unsupported query [${kind}] for the database search engine`);
    }
  }

  private bool(body: Record<string, unknown>, scope: Scope): Sql {
    if (!body || typeof body !== 'object') throw new SearchQueryError('[bool] must be an object');
    const known = new Set(['must', 'filter', 'should', 'must_not', 'minimum_should_match', 'boost', '_name']);
    for (const key of Object.keys(body)) if (!known.has(key)) throw new SearchQueryError(`Unsupported [bool] option [${key}]`);
    const must = [...list(body.must, 'must'), ...list(body.filter, 'filter')].map((q) => this.translate(q, scope));
    const mustNot = list(body.must_not, 'must_not').map((q) => {
      const inner = this.translate(q, scope);
      return { sql: `NOT coalesce((${inner.sql}), 0)`, params: inner.params };
    });
    const should = list(body.should, 'should').map((q) => this.translate(q, scope));
    const parts = [...must, ...mustNot];
    // Elasticsearch: should clauses are optional once a must/filter exists, else one must match.
    const needed = minimumShouldMatch(body.minimum_should_match, should.length, must.length > 0 ? 0 : 1);
    if (should.length > 0 && needed > 0) {
      const sum = should.map((s) => `(CASE WHEN (${s.sql}) THEN 1 ELSE 0 END)`).join(' + ');
      parts.push({ sql: `(${sum}) >= ?`, params: [...should.flatMap((s) => s.params), needed] });
    }
    return join(parts, 'AND', '1');
  }

  private nested(body: Record<string, unknown>, scope: Scope): Sql {
    const path = option(body, 'path');
    const query = option(body, 'query');
    if (typeof path !== 'string' || !query) throw new SearchQueryError('[nested] requires path and query');
    const relative = path.startsWith(scope.prefix) ? path.slice(scope.prefix.length) : path;
    if (scope.prefix !== '' || !OBJECT_ARRAYS.has(relative)) throw new SearchQueryError(`[nested] path [${path}] is not a nested field`);
    const alias = `n${this.aliases++}`;
    const inner = this.translate(query as Dsl, { json: `${alias}.value`, prefix: `${path}.` });
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(${scope.json}, ${sqlString(jsonPath([relative]))}) ${alias} WHERE ${inner.sql})`,
      params: inner.params,
    };
  }

  private fieldQuery(kind: string, field: string, spec: unknown, scope: Scope): Sql {
    if (kind === 'term' || kind === 'terms') {
      const values = kind === 'terms' ? spec : [option(spec, 'value')];
      if (!Array.isArray(values) || values.some((v) => v === undefined || v === null || typeof v === 'object')) {
        throw new SearchQueryError(`[${kind}] on [${field}] needs scalar values`);
      }
      const insensitive = option(spec, 'case_insensitive') === true;
      const fast = this.columnFor(field, scope);
      if (fast) return this.columnIn(fast.column, values.map((v) => canonical(v, fast.normalized || insensitive)), scope);
      return this.keywordIn(field, values, scope, insensitive);
    }
    if (kind === 'match' || kind === 'match_phrase') {
      const text = option(spec, 'query');
      if (text === undefined || text === null || typeof text === 'object') throw new SearchQueryError(`[${kind}] on [${field}] needs a query`);
      if (this.mode(field) !== 'text') {
        const fast = this.columnFor(field, scope);
        if (fast) return this.columnIn(fast.column, [canonical(text, fast.normalized)], scope);
        return this.keywordIn(field, [text], scope, false);
      }
      const how = kind === 'match_phrase' ? 'phrase' : option(spec, 'operator') === 'and' ? 'all' : 'any';
      return this.leaf(field, scope, (v, t) => ({ sql: `${t} = 'text' AND search_words(${v}, ?, ?)`, params: [String(text), how] }));
    }
    if (kind === 'prefix' || kind === 'wildcard') {
      const value = option(spec, 'value') ?? (kind === 'wildcard' ? option(spec, 'wildcard') : undefined);
      if (typeof value !== 'string') throw new SearchQueryError(`[${kind}] on [${field}] needs a string value`);
      const insensitive = option(spec, 'case_insensitive') === true;
      const glob = kind === 'prefix' ? `${escapeGlob(value)}*` : wildcardToGlob(value);
      return this.leaf(field, scope, (v, t, normalized) => {
        const fold = normalized || insensitive;
        return { sql: `${t} = 'text' AND ${fold ? `fold(${v})` : v} GLOB ?`, params: [fold ? glob.toLowerCase() : glob] };
      });
    }
    return this.range(field, spec, scope);
  }

  private range(field: string, spec: unknown, scope: Scope): Sql {
    const ops: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };
    if (!spec || typeof spec !== 'object') throw new SearchQueryError(`[range] on [${field}] needs bounds`);
    const bounds = Object.entries(spec as Record<string, unknown>).filter(([k]) => k in ops);
    for (const key of Object.keys(spec)) {
      if (!(key in ops) && key !== 'boost' && key !== 'format') throw new SearchQueryError(`Unsupported [range] option [${key}]`);
    }
    if (bounds.length === 0) throw new SearchQueryError(`[range] on [${field}] needs gt, gte, lt or lte`);
    const numeric = bounds.every(([, v]) => typeof v === 'number');
    if (!numeric && !bounds.every(([, v]) => typeof v === 'string')) {
      throw new SearchQueryError(`[range] on [${field}] needs all-number or all-string bounds`);
    }
    return this.leaf(field, scope, (v, t, normalized) => {
      const value = !numeric && normalized ? `fold(${v})` : v;
      const typeCheck = numeric ? `${t} IN ('integer', 'real')` : `${t} = 'text'`;
      const conds = bounds.map(([k]) => `${value} ${ops[k]} ?`);
      const params = bounds.map(([, b]) => (!numeric && normalized ? String(b).toLowerCase() : b));
      return { sql: [typeCheck, ...conds].join(' AND '), params };
    });
  }

  private keywordIn(field: string, values: unknown[], scope: Scope, insensitive: boolean): Sql {
    return this.leaf(field, scope, (v, t, normalized) => {
      const fold = normalized || insensitive;
      const expr = fold ? `fold(kw(${v}, ${t}))` : `kw(${v}, ${t})`;
      return { sql: `${expr} IN (${values.map(() => '?').join(', ')})`, params: values.map((x) => canonical(x, fold)) };
    });
  }

  private columnIn(column: string, values: string[], scope: Scope): Sql {
    if (scope !== ROOT && column === 'u.id') throw new SearchQueryError('[ids] cannot be used inside [nested]');
    if (values.length === 0) return { sql: '0', params: [] };
    // Email is indexed for sorting as ((email IS NULL), email, id); naming the first part lets an
    // exact email use that index (new index versions have no plain email index).
    const indexed = column === 'u.email' ? '(u.email IS NULL) = 0 AND ' : '';
    return { sql: `${indexed}${column} IN (${values.map(() => '?').join(', ')})`, params: values };
  }

  /** Root fields with their own indexed column (stored lower-cased where normalised). */
  private columnFor(field: string, scope: Scope): { column: string; normalized: boolean } | undefined {
    if (scope.prefix !== '') return undefined;
    const name = field.replace(/\.(keyword|raw)$/, '');
    if (name === 'id' || name === '_id') return { column: 'u.id', normalized: false };
    if (name === 'tenantId') return { column: 'u.tenant_id', normalized: false };
    if (name === 'email') return { column: 'u.email', normalized: true };
    if (name === 'username') return { column: 'u.username', normalized: true };
    return undefined;
  }

  private mode(field: string): Mode {
    if (field.endsWith('.text')) return 'text';
    if (field.startsWith('data.') && field.endsWith('.num')) return 'num';
    return 'keyword';
  }

  /** Applies a value predicate to every value at a field path (arrays match if any element does). */
  private leaf(field: string, scope: Scope, predicate: Predicate): Sql {
    let name = field.replace(/\.(keyword|raw|text)$/, '');
    if (this.mode(field) === 'num') name = name.slice(0, -'.num'.length);
    if (name === 'login' && scope.prefix === '') {
      return join([this.leaf('email', scope, predicate), this.leaf('username', scope, predicate)], 'OR', '0');
    }
    const fast = this.columnFor(name, scope);
    if (fast) {
      const inner = predicate(fast.column, `(CASE WHEN ${fast.column} IS NULL THEN 'null' ELSE 'text' END)`, fast.normalized);
      return { sql: `${fast.column} IS NOT NULL AND ${inner.sql}`, params: inner.params };
    }
    const normalized = NORMALIZED.has(name);
    const relative = name.startsWith(scope.prefix) ? name.slice(scope.prefix.length) : name;
    const segments = relative.split('.');
    const head = segments[0]!;
    if (scope.prefix === '' && OBJECT_ARRAYS.has(head) && segments.length > 1) {
      const alias = `a${this.aliases++}`;
      const inner = this.leaf(name, { json: `${alias}.value`, prefix: `${head}.` }, predicate);
      return {
        sql: `EXISTS (SELECT 1 FROM json_each(${scope.json}, ${sqlString(jsonPath([head]))}) ${alias} WHERE ${inner.sql})`,
        params: inner.params,
      };
    }
    const alias = `e${this.aliases++}`;
    const inner = predicate(`${alias}.value`, `${alias}.type`, normalized);
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(${scope.json}, ${sqlString(jsonPath(segments))}) ${alias} WHERE ${inner.sql})`,
      params: inner.params,
    };
  }
}
