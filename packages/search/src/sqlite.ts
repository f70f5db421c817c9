import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { SearchQueryError } from './port.js';
import type { SearchDocument, SearchIndex, SearchRequest, SearchResult, SortField } from './port.js';
import { parseQueryString } from './query-string.js';
import { TOTAL_CAP, encodeCursor, parseRawQuery, resolveSearch } from './request.js';
import type { ResolvedSearch } from './request.js';
import { LastNameCounts } from './sqlite-last-names.js';
import { QueryTranslator, databaseTerm, jsonPath, matchAll, sqlString, trigramsOf } from './sqlite-query.js';
import type { Sql } from './sqlite-query.js';
import { TrigramCounts } from './sqlite-trigram-counts.js';

export interface SqliteSearchOptions {
  /** Database file (`:memory:` for tests). Tables are prefixed `search_` so the file can be shared. */
  path: string;
  /** Page cache of the connection; default 64 MiB. */
  cacheSizeMiB?: number;
}

const SEP = '\u001f';
/** Fields the database engine's `queryString` term searches. */
const TERM_FIELDS = ['email', 'username', 'firstName', 'lastName', 'fullName', 'middleName', 'mobilePhone'];

/**
 * Sort fields with a column of their own, so a page is read from an index instead of sorting every
 * match by `json_extract` (a full scan and sort per page at a million users). Names are stored
 * folded (lower-cased in JS, like `fold`, which SQLite's ASCII-only `lower` is not); email and
 * username are the lower-cased search columns.
 */
const SORT_COLUMNS: Record<string, string> = {
  id: 'u.id',
  tenantId: 'u.tenant_id',
  email: 'u.email',
  username: 'u.username',
  login: 'coalesce(u.email, u.username)',
  firstName: 'u.first_name',
  lastName: 'u.last_name',
  middleName: 'u.middle_name',
  fullName: 'u.full_name',
  insertInstant: 'u.insert_instant',
  lastLoginInstant: 'u.last_login_instant',
};
const SORT_RAW = new Set(['lastUpdateInstant', 'birthDate']);

const numberAt = (field: string) => `CASE WHEN json_type(doc, '$.${field}') IN ('integer', 'real') THEN json_extract(doc, '$.${field}') END`;
const foldedTextAt = (field: string) => `CASE WHEN json_type(doc, '$.${field}') = 'text' THEN fold(json_extract(doc, '$.${field}')) END`;

/**
 * Columns filled from the document at apply: name → [field, value]. Added to an index version created
 * before them (and filled from the stored documents) on open.
 */
const DERIVED_COLUMNS: Record<string, { field: string; type: 'INTEGER' | 'TEXT'; value: (v: unknown) => unknown; backfill: string }> = {
  insert_instant: { field: 'insertInstant', type: 'INTEGER', value: (v) => instantOrNull(v), backfill: numberAt('insertInstant') },
  last_login_instant: { field: 'lastLoginInstant', type: 'INTEGER', value: (v) => instantOrNull(v), backfill: numberAt('lastLoginInstant') },
  first_name: { field: 'firstName', type: 'TEXT', value: (v) => foldedOrNull(v), backfill: foldedTextAt('firstName') },
  last_name: { field: 'lastName', type: 'TEXT', value: (v) => foldedOrNull(v), backfill: foldedTextAt('lastName') },
  middle_name: { field: 'middleName', type: 'TEXT', value: (v) => foldedOrNull(v), backfill: foldedTextAt('middleName') },
  full_name: { field: 'fullName', type: 'TEXT', value: (v) => foldedOrNull(v), backfill: foldedTextAt('fullName') },
};

/**
 * Indexes serving sorted pages. Ascending with missing values last sorts by `(col IS NULL, col, id)`
 * (SQLite puts NULLs first, and an explicit NULLS LAST stops the planner from walking an index);
 * descending with missing last is `(col DESC, id)`. Names are indexed ascending only (descending
 * name sorts still sort, but a column, not JSON); each index costs every write.
 */
const SORT_INDEXES: Record<string, string> = {
  insert_instant_desc: '(insert_instant DESC, id)',
  insert_instant_asc: '((insert_instant IS NULL), insert_instant, id)',
  last_login_instant_desc: '(last_login_instant DESC, id)',
  last_login_instant_asc: '((last_login_instant IS NULL), last_login_instant, id)',
  last_name_asc: '((last_name IS NULL), last_name, id)',
  last_name_email_asc: '((last_name IS NULL), last_name, (email IS NULL), email, id)',
  email_asc: '((email IS NULL), email, id)',
  tenant: '(tenant_id)',
};

/**
 * Key sequences (before the id tie-break) that one of SORT_INDEXES yields without a sort, with its
 * name; the empty sequence is the id index's.
 */
const WALKABLE = new Map<string, string | undefined>([
  ['', undefined],
  ['u.insert_instant desc', 'insert_instant_desc'],
  ['(u.insert_instant IS NULL) asc,u.insert_instant asc', 'insert_instant_asc'],
  ['u.last_login_instant desc', 'last_login_instant_desc'],
  ['(u.last_login_instant IS NULL) asc,u.last_login_instant asc', 'last_login_instant_asc'],
  ['(u.last_name IS NULL) asc,u.last_name asc', 'last_name_asc'],
  ['(u.last_name IS NULL) asc,u.last_name asc,(u.email IS NULL) asc,u.email asc', 'last_name_email_asc'],
  ['(u.email IS NULL) asc,u.email asc', 'email_asc'],
]);

/** Keys in WALKABLE's notation (the id tie-break, last, left out). */
function sequence(keys: Key[]): string {
  return keys.slice(0, -1).map((k) => `${k.expr} ${k.desc ? 'desc' : 'asc'}`).join(',');
}

function walkable(keys: Key[]): boolean {
  return WALKABLE.has(sequence(keys));
}

/** Users of the term's rarest trigram whose last names `surnamePage` takes as its candidates, from each end. */
const SURNAME_SAMPLE = 16;
/** Rows the surname walks may read for a page (they read other tenants' users of the surname too). */
const SURNAME_WALK_BUDGET = 10_000;

/** A walk reads up to this many times the rows its estimated density needs for a page… */
const WALK_MARGIN = 4;
/** …and never more than this many (a failed walk costs about a millisecond per thousand). */
const WALK_BUDGET = 5_000;

/**
 * ORDER BY for the keys. SQLite's default null placement (first ascending, last descending) is left
 * unwritten: with an explicit non-default NULLS clause the planner cannot walk an index for the ORDER BY.
 */
function orderBy(keys: Key[]): string {
  return keys.map((k) => `${k.expr} ${k.desc ? 'DESC' : 'ASC'}${k.nullsFirst === !k.desc ? '' : ` NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`}`).join(', ');
}

/** The condition with the tenant index disabled for it (the tenant condition always comes first). */
function notByTenantIndex(sql: string): string {
  return sql.startsWith('u.tenant_id') ? `+${sql}` : sql;
}

/** A common term found by walking the sort order: its per-row GLOB, and the share of users it may match. */
interface Walk {
  glob: string;
  density: number;
  /** The term when it matches anywhere inside a field (no `*`), lower-cased. */
  contains?: string;
  /** The term's rarest trigram. */
  trigram: string;
}

interface Plan extends Sql {
  from: string;
  walk?: Walk;
  /** The walk's FROM and condition: the users table with the tenant filter only. */
  walkFrom?: Sql & { from: string };
}

interface Key {
  expr: string;
  desc: boolean;
  nullsFirst: boolean;
}

/**
 * A column sort with missing values first or last written so the planner can walk an index: the
 * null placement SQLite gives by default (first ascending, last descending) needs nothing, the
 * other one an `IS NULL` key in front (whose own value is never null).
 */
function columnKeys(expr: string, desc: boolean, nullsFirst: boolean): Key[] {
  if (nullsFirst === !desc) return [{ expr, desc, nullsFirst }];
  // Both keys take SQLite's default null placement (an explicit NULLS clause would stop the index
  // walk): the IS NULL key is never null, and it has already put the column's nulls where they go.
  return [{ expr: `(${expr} IS NULL)`, desc: nullsFirst, nullsFirst: !nullsFirst }, { expr, desc, nullsFirst: !desc }];
}

function sortKeys(field: SortField): Key[] {
  const key = sortKey(field);
  const name = field.name.replace(/\.(keyword|raw)$/, '');
  const missing = field.missing ?? '_last';
  if (SORT_COLUMNS[name] && name !== 'login' && (missing === '_first' || missing === '_last')) return columnKeys(key.expr, key.desc, key.nullsFirst);
  return [key];
}

function sortKey(field: SortField): Key {
  const name = field.name.replace(/\.(keyword|raw)$/, '');
  let expr: string;
  if (SORT_COLUMNS[name]) expr = SORT_COLUMNS[name];
  else if (SORT_RAW.has(name)) expr = `json_extract(u.doc, ${sqlString(jsonPath([name]))})`;
  else if (name.startsWith('data.') && name.length > 5) expr = `json_extract(u.doc, ${sqlString(jsonPath(name.split('.')))})`;
  else throw new SearchQueryError(`Sorting on [${field.name}] is not supported`, 'search.sortFields');
  if (field.order !== undefined && field.order !== 'asc' && field.order !== 'desc') {
    throw new SearchQueryError(`Invalid sort order [${String(field.order)}]`, 'search.sortFields');
  }
  const missing = field.missing ?? '_last';
  if (missing !== '_first' && missing !== '_last') {
    expr = `coalesce(${expr}, ${/^-?\d+(\.\d+)?$/.test(missing) ? missing : sqlString(missing)})`;
  }
  return { expr, desc: field.order === 'desc', nullsFirst: missing === '_first' };
}

/** Keyset condition "strictly after these sort values" honouring direction and null placement. */
function afterCondition(keys: Key[], values: unknown[]): Sql {
  const ors: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < keys.length; i++) {
    const ands: string[] = [];
    const local: unknown[] = [];
    for (let j = 0; j < i; j++) {
      const v = values[j];
      if (v === null) ands.push(`${keys[j]!.expr} IS NULL`);
      else { ands.push(`${keys[j]!.expr} = ?`); local.push(v); }
    }
    const { expr, desc, nullsFirst } = keys[i]!;
    const v = values[i];
    const cmp = desc ? '<' : '>';
    if (v === null) {
      if (!nullsFirst) continue; // nothing sorts after a null placed last
      ands.push(`${expr} IS NOT NULL`);
    } else {
      ands.push(nullsFirst ? `${expr} ${cmp} ?` : `(${expr} ${cmp} ? OR ${expr} IS NULL)`);
      local.push(v);
    }
    ors.push(ands.join(' AND '));
    params.push(...local);
  }
  return { sql: ors.length ? ors.map((o) => `(${o})`).join(' OR ') : '0', params };
}

function termsOf(user: Record<string, unknown>): string {
  const values: string[] = [];
  for (const field of TERM_FIELDS) {
    const v = user[field];
    if (typeof v === 'string' && v !== '') values.push(v);
  }
  const registrations = user.registrations;
  if (Array.isArray(registrations)) {
    for (const r of registrations) {
      const name = (r as Record<string, unknown> | null)?.username;
      if (typeof name === 'string' && name !== '') values.push(name);
    }
  }
  return `${SEP}${values.map((v) => v.toLowerCase().replace(/[\u0000-\u001f]/g, ' ')).join(SEP)}${SEP}`;
}

/** The value json_extract would give for the sort: numbers as stored, anything else (absent, text) null. */
function instantOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Names sort folded, as the `fold` function compares them; a non-string name sorts as missing. */
function foldedOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value.toLowerCase() : null;
}

function lowerOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value.toLowerCase() : null;
}

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** `search_words(value, query, mode)`: Elasticsearch `match`/`match_phrase` on an analysed field. */
function searchWords(value: unknown, query: unknown, mode: unknown): number {
  if (typeof value !== 'string') return 0;
  const have = wordsOf(value);
  const want = wordsOf(String(query));
  if (want.length === 0) return 0;
  if (mode === 'phrase') {
    for (let i = 0; i + want.length <= have.length; i++) if (want.every((w, j) => have[i + j] === w)) return 1;
    return 0;
  }
  const set = new Set(have);
  return (mode === 'all' ? want.every((w) => set.has(w)) : want.some((w) => set.has(w))) ? 1 : 0;
}

/**
 * The tables of one index version. `inline`: the searchable text is a column of the users table and
 * the trigram index is contentless, so a term's per-row check (GLOB) reads the row already fetched
 * for the tenant and the sort, not FTS5's content table (about 5 µs a row through the virtual
 * table), and the text is stored once. Versions created before keep the text in FTS5's content.
 */
class Tables {
  readonly users: string;
  readonly fts: string;
  readonly vocab: string;
  readonly checkpoints: string;
  readonly lastNames: string;
  constructor(readonly version: number, readonly inline: boolean) {
    this.users = `search_users_v${version}`;
    this.fts = `search_users_v${version}_fts`;
    this.vocab = `search_users_v${version}_vocab`;
    this.checkpoints = `search_checkpoints_v${version}`;
    this.lastNames = `search_users_v${version}_last_names`;
  }
}

/** State shared by the alias handle and the version handles of one database. */
class Store {
  private readonly statements = new Map<string, Statement>();

  private readonly layouts = new Map<number, boolean>();

  constructor(readonly db: Db) {}

  /** The tables of a version, with its layout (read once per version and connection). */
  tables(version: number): Tables {
    let inline = this.layouts.get(version);
    if (inline === undefined) {
      const columns = this.db.prepare(`PRAGMA table_info(search_users_v${version})`).all() as { name: string }[];
      inline = columns.length === 0 || columns.some((c) => c.name === 'terms');
      if (columns.length > 0) this.layouts.set(version, inline);
    }
    return new Tables(version, inline);
  }

  stmt(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size > 500) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  readonly trigrams = new TrigramCounts((sql) => this.stmt(sql));

  /**
   * Adds the sort columns to an index version created before them, filling them from the documents
   * (once, O(users): later opens find the columns and do nothing per user), and creates missing indexes.
   */
  private ensureSortColumns(t: Tables): void {
    const columns = new Set((this.db.prepare(`PRAGMA table_info(${t.users})`).all() as { name: string }[]).map((c) => c.name));
    for (const [column, spec] of Object.entries(DERIVED_COLUMNS)) {
      if (!columns.has(column)) {
        this.db.exec(`ALTER TABLE ${t.users} ADD COLUMN ${column} ${spec.type};
          UPDATE ${t.users} SET ${column} = ${spec.backfill} WHERE doc IS NOT NULL;`);
      }
    }
    for (const [name, columnsOf] of Object.entries(SORT_INDEXES)) {
      this.db.exec(`CREATE INDEX IF NOT EXISTS ${t.users}_${name} ON ${t.users} ${columnsOf}`);
    }
  }

  /** Rows of a version's users table, tombstones included (the largest rowid: no scan). */
  rows(t: Tables): number {
    return (this.stmt(`SELECT max(rid) FROM ${t.users}`).pluck().get() as number | null) ?? 0;
  }

  forget(version: number): void {
    this.layouts.delete(version);
  }

  current(): number | undefined {
    const row = this.stmt(`SELECT version FROM search_alias WHERE name = 'users'`).get() as { version: number } | undefined;
    return row?.version;
  }

  ensure(version: number): Tables {
    if (!Number.isInteger(version) || version < 1) throw new Error(`Invalid search index version ${version}`);
    const t = this.tables(version);
    // contentless_delete: a contentless FTS5 table otherwise cannot delete a row (erasure, updates).
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${t.users} (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        tenant_id TEXT,
        position INTEGER NOT NULL,
        email TEXT,
        username TEXT,
        doc TEXT${t.inline ? ',\n        terms TEXT' : ''}
      );
      ${t.inline ? '' : `CREATE INDEX IF NOT EXISTS ${t.users}_email ON ${t.users} (email);`}
      CREATE INDEX IF NOT EXISTS ${t.users}_username ON ${t.users} (username);
      CREATE VIRTUAL TABLE IF NOT EXISTS ${t.fts} USING fts5(terms, tokenize = 'trigram', detail = 'none'${t.inline ? ", content = '', contentless_delete = 1" : ''});
      CREATE VIRTUAL TABLE IF NOT EXISTS ${t.vocab} USING fts5vocab(${t.fts}, 'row');
      CREATE TABLE IF NOT EXISTS ${t.checkpoints} (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT OR IGNORE INTO search_versions (version) VALUES (${version});
    `);
    // Erasure: FTS5 normally deletes by adding delete markers, leaving the deleted row's trigrams in
    // older index segments until a merge; 'secure-delete' removes them from the segments at once.
    this.db.prepare(`INSERT INTO ${t.fts} (${t.fts}, rank) VALUES ('secure-delete', 1)`).run();
    this.ensureSortColumns(t);
    LastNameCounts.ensure(this.db, t.lastNames, t.users);
    return t;
  }

  lastNames(t: Tables): LastNameCounts {
    return new LastNameCounts(t.lastNames, (sql) => this.stmt(sql));
  }
}

/**
 * A SearchIndex handle: the alias handle (`fixed` undefined) follows `switchTo`; a version handle
 * always targets its version.
 */
class SqliteSearchIndex implements SearchIndex {
  readonly engine = 'database' as const;

  constructor(private readonly store: Store, private readonly fixed?: number) {}

  private tables(): Tables {
    const version = this.fixed ?? this.store.current();
    if (version === undefined) throw new Error('search index has no current version');
    return this.store.tables(version);
  }

  async apply(batch: Parameters<SearchIndex['apply']>[0]): Promise<void> {
    const { store } = this;
    store.db.transaction(() => {
      const t = this.tables();
      const derived = Object.keys(DERIVED_COLUMNS);
      const upsert = store.stmt(`
        INSERT INTO ${t.users} (id, tenant_id, position, email, username, doc, ${derived.join(', ')}${t.inline ? ', terms' : ''})
          VALUES (?, ?, ?, ?, ?, ?, ${derived.map(() => '?').join(', ')}${t.inline ? ', ?' : ''})
        ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, position = excluded.position,
          email = excluded.email, username = excluded.username, doc = excluded.doc,${t.inline ? ' terms = excluded.terms,' : ''}
          ${derived.map((c) => `${c} = excluded.${c}`).join(', ')}
        WHERE excluded.position > ${t.users}.position
        RETURNING rid`);
      // A delete leaves a tombstone (id and position only, no personal data) so a late older upsert stays ignored.
      const tombstone = store.stmt(`
        INSERT INTO ${t.users} (id, tenant_id, position, email, username, doc) VALUES (?, NULL, ?, NULL, NULL, NULL)
        ON CONFLICT (id) DO UPDATE SET tenant_id = NULL, position = excluded.position, email = NULL, username = NULL, doc = NULL,${t.inline ? ' terms = NULL,' : ''}
          ${derived.map((c) => `${c} = NULL`).join(', ')}
        WHERE excluded.position > ${t.users}.position
        RETURNING rid`);
      const ftsDelete = store.stmt(`DELETE FROM ${t.fts} WHERE rowid = ?`);
      const ftsInsert = store.stmt(`INSERT INTO ${t.fts} (rowid, terms) VALUES (?, ?)`);
      // What the index holds for the user before the write: the trigram index is only touched where
      // needed. A new user (an import is nothing else) has no row to delete, and deleting an absent
      // rowid from a contentless table still writes tombstones; an update that leaves the text as
      // it was (a login's lastLoginInstant, data, roles) leaves the trigrams as they were.
      const prior = store.stmt(
        `SELECT position, ${t.inline ? 'terms' : '(doc IS NOT NULL)'} AS indexed, tenant_id AS tenantId, last_name AS lastName FROM ${t.users} WHERE id = ?`,
      );
      const lastNames = store.lastNames(t);
      type Prior = { position: number; indexed: string | number | null; tenantId: string | null; lastName: string | null };
      for (const doc of batch.upserts) {
        const before = prior.get(doc.id) as Prior | undefined;
        if (before && before.position >= doc.position) continue;
        const user: Record<string, unknown> = { ...doc.user, id: doc.id, tenantId: doc.tenantId };
        const values = Object.values(DERIVED_COLUMNS).map((c) => c.value(user[c.field]));
        const terms = termsOf(user);
        if (t.inline) values.push(terms);
        const row = upsert.get(doc.id, doc.tenantId, doc.position, lowerOrNull(user.email), lowerOrNull(user.username), JSON.stringify(user), ...values) as
          | { rid: number }
          | undefined;
        if (!row) continue;
        lastNames.move(before, { tenantId: doc.tenantId, lastName: foldedOrNull(user.lastName) });
        if (t.inline && before?.indexed === terms) continue;
        if (before?.indexed) ftsDelete.run(row.rid);
        ftsInsert.run(row.rid, terms);
      }
      for (const del of batch.deletes) {
        const before = prior.get(del.id) as Prior | undefined;
        const row = tombstone.get(del.id, del.position) as { rid: number } | undefined;
        if (row) lastNames.move(before, { tenantId: null, lastName: null });
        if (row && before?.indexed) ftsDelete.run(row.rid);
      }
      lastNames.flush();
      if (batch.checkpoint) {
        store
          .stmt(`INSERT INTO ${t.checkpoints} (name, position) VALUES (?, ?)
                 ON CONFLICT (name) DO UPDATE SET position = max(position, excluded.position)`)
          .run(batch.checkpoint.name, batch.checkpoint.position);
      }
    })();
  }

  async search(request: SearchRequest): Promise<SearchResult> {
    const t = this.tables();
    if (request.ids?.length) return this.byIds(t, request);
    const search = resolveSearch(request);
    const where = this.where(t, search);
    // The id is never null, so its tie-break takes SQLite's default null placement: a NULLS LAST
    // here made the planner sort every group of equal sort values by id (a whole surname's users).
    const keys = [...search.sortFields.flatMap(sortKeys), { expr: 'u.id', desc: false, nullsFirst: true }];
    const page = search.after ? this.withAfter(where, keys, search.after) : where;
    const walkPage = where.walkFrom && (search.after ? this.withAfter(where.walkFrom, keys, search.after) : where.walkFrom);
    const surnames = where.walk && where.walkFrom && this.surnamePage(t, where.walkFrom, where.walk, keys, search);
    const rows = surnames?.rows ?? ((where.walk && walkPage && this.walk(walkPage, where.walk, keys, search)) || this.sorted(page, keys, search));
    const total = surnames?.total ?? this.count(where, search);
    const hits = rows.slice(0, search.size);
    const result: SearchResult = { total, ids: hits.map((r) => r[r.length - 1] as string) };
    const last = hits[hits.length - 1];
    if (rows.length > search.size && last) result.nextResults = encodeCursor(search, last);
    return result;
  }

  /** Matches, up to TOTAL_CAP unless the total is to be accurate. */
  private count(where: Plan, search: ResolvedSearch): number {
    const cap = search.accurateTotal ? '' : ` LIMIT ${TOTAL_CAP}`;
    return this.store.stmt(`SELECT count(*) FROM (SELECT 1 FROM ${where.from} WHERE ${where.sql}${cap})`).pluck().get(...where.params) as number;
  }

  /**
   * A common term sorted by lastName whose matches all have a last name containing it (a surname
   * searched and sorted by surname): the page is read surname by surname, with the total from the
   * per-surname counts, instead of sorting tens of thousands of matches. A walk from the start of
   * the order (`walk`) cannot serve it: the matches sit together, often late. Within a surname the
   * page comes from the index of the whole order (lastName, or lastName then email).
   *
   * Exact, not a guess: a few users holding the term's rarest trigram name the candidate surnames
   * (each containing the term, so every user of theirs matches); the users of those surnames are
   * all among the users holding the trigram, so when the two counts are equal no user outside those
   * surnames holds the trigram, and none can match. Undefined otherwise, and for keyset pages.
   */
  private surnamePage(t: Tables, from: Sql & { from: string }, walk: Walk, keys: Key[], search: ResolvedSearch): { rows: unknown[][]; total: number } | undefined {
    const term = walk.contains;
    const [isNull, lastName] = keys;
    if (term === undefined || search.after || isNull?.expr !== '(u.last_name IS NULL)' || isNull.desc || lastName?.expr !== 'u.last_name' || lastName.desc) return undefined;
    const index = WALKABLE.get(sequence(keys));
    if (index === undefined) return undefined;
    const match = matchAll([walk.trigram]);
    const sample = (order: string) => `SELECT rid FROM (SELECT rowid AS rid FROM ${t.fts} WHERE ${t.fts} MATCH ? ORDER BY rowid ${order} LIMIT ${SURNAME_SAMPLE})`;
    const names = this.store
      .stmt(`SELECT DISTINCT u.last_name FROM (${sample('ASC')} UNION ${sample('DESC')}) h CROSS JOIN ${t.users} u ON u.rid = h.rid ORDER BY 1`)
      .pluck()
      .all(match, match) as (string | null)[];
    if (names.length === 0 || names.some((name) => name === null || !name.includes(term))) return undefined;
    const counts = this.store.lastNames(t);
    const groups = (names as string[]).map((name) => ({ name, users: counts.users(name), matches: counts.users(name, search.tenantId) }));
    const holders = this.store.stmt(`SELECT count(*) FROM ${t.fts} WHERE ${t.fts} MATCH ?`).pluck().get(match) as number;
    if (groups.reduce((sum, g) => sum + g.users, 0) !== holders) return undefined;
    // Which surnames the page spans, and how many rows the walks read (other tenants' users included).
    let skip = search.startRow;
    let wanted = search.size + 1;
    const walks: { name: string; offset: number; limit: number }[] = [];
    let reads = 0;
    for (const g of groups) {
      if (wanted === 0) break;
      if (skip >= g.matches) {
        skip -= g.matches;
        continue;
      }
      const limit = Math.min(wanted, g.matches - skip);
      walks.push({ name: g.name, offset: skip, limit });
      reads += Math.ceil(((skip + limit) * g.users) / g.matches);
      wanted -= limit;
      skip = 0;
    }
    if (reads > SURNAME_WALK_BUDGET) return undefined;
    // The index is named: with the surname fixed the planner takes either lastName index as good,
    // and the wrong one sorts the surname's users. So does an ORDER BY naming the IS NULL key,
    // constant here: it is left out.
    const select = keys.map((k, i) => `${k.expr} AS k${i}`).join(', ');
    const statement = this.store
      .stmt(
        `SELECT ${select} FROM ${t.users} u INDEXED BY ${t.users}_${index} WHERE (u.last_name IS NULL) = 0 AND u.last_name = ? AND ${notByTenantIndex(from.sql)}
         ORDER BY ${orderBy(keys.slice(1))} LIMIT ? OFFSET ?`,
      )
      .raw(true);
    const rows = walks.flatMap((w) => statement.all(w.name, ...from.params, w.limit, w.offset) as unknown[][]);
    const total = groups.reduce((sum, g) => sum + g.matches, 0);
    return { rows, total: search.accurateTotal ? total : Math.min(total, TOTAL_CAP) };
  }

  /** The page's rows (sort values, id last) by sorting every match. */
  private sorted(page: Sql & { from: string }, keys: Key[], search: ResolvedSearch): unknown[][] {
    const select = keys.map((k, i) => `${k.expr} AS k${i}`).join(', ');
    return this.store
      .stmt(`SELECT ${select} FROM ${page.from} WHERE ${notByTenantIndex(page.sql)} ORDER BY ${orderBy(keys)} LIMIT ? OFFSET ?`)
      .raw(true)
      .all(...page.params, search.size + 1, search.startRow) as unknown[][];
  }

  /**
   * A common term's page from the sort order instead of from the term: walk at most `budget` users in
   * sort order (an index walk, no sort) and keep those the term matches. The first matches among the
   * first users in order are the first matches overall, so a full page found this way is exact;
   * otherwise (the matches sit later in this order, as a surname sorted by surname does) the caller
   * sorts the matches instead, having spent at most `budget` row reads. Undefined when the order has
   * no index or the term is too rare for a short walk to fill a page.
   */
  private walk(page: Sql & { from: string }, walk: Walk, keys: Key[], search: ResolvedSearch): unknown[][] | undefined {
    if (!walkable(keys)) return undefined;
    const wanted = search.startRow + search.size + 1;
    const budget = Math.ceil((WALK_MARGIN * wanted) / walk.density);
    if (budget > WALK_BUDGET) return undefined;
    const select = keys.map((k, i) => `${k.expr} AS k${i}`).join(', ');
    const outer = keys.map((k, i) => ({ ...k, expr: `k${i}` }));
    const rows = this.store
      .stmt(`SELECT ${outer.map((k) => k.expr).join(', ')} FROM (
               SELECT ${select}, u.terms AS terms FROM ${page.from} WHERE ${notByTenantIndex(page.sql)} ORDER BY ${orderBy(keys)} LIMIT ?
             ) WHERE terms GLOB ? ORDER BY ${orderBy(outer)} LIMIT ? OFFSET ?`)
      .raw(true)
      .all(...page.params, budget, walk.glob, search.size + 1, search.startRow) as unknown[][];
    return rows.length === search.size + 1 ? rows : undefined;
  }

  private withAfter<W extends Sql>(where: W, keys: Key[], after: unknown[]): W {
    if (after.length !== keys.length || after.some((v) => v !== null && typeof v === 'object')) {
      throw new SearchQueryError('nextResults does not match the sort of its query', 'search.nextResults');
    }
    const cond = afterCondition(keys, after);
    return { ...where, sql: `${where.sql} AND (${cond.sql})`, params: [...where.params, ...cond.params] };
  }

  /**
   * The FROM clause and condition of a search. A database-engine term drives the query from the
   * trigram index (CROSS JOIN fixes the loop order) instead of leaving the planner to walk users; a
   * common one may instead be found by walking the sort order (`walk`).
   */
  private where(t: Tables, search: ResolvedSearch): Plan {
    const translator = new QueryTranslator(t);
    let from = `${t.users} u`;
    let filter: Sql = { sql: '1', params: [] };
    const fromParams: unknown[] = [];
    let walk: Walk | undefined;
    if (search.query !== undefined) {
      filter = translator.translate(parseRawQuery(search.query));
    } else if (search.queryString !== undefined && search.queryString.trim() !== '') {
      const text = search.queryString.trim();
      if (text.includes(':')) {
        filter = translator.translate(parseQueryString(text));
      } else {
        const term = databaseTerm(text, t);
        if (term.driver) {
          const rare = this.rareTrigramDriver(t, term.literal ?? '', term.glob ?? '');
          const driver = rare?.driver ?? term.driver;
          from = `(${driver.sql}) h CROSS JOIN ${t.users} u ON u.rid = h.rid`;
          fromParams.push(...driver.params);
          if (term.check) filter = term.check;
          if (term.check && rare && term.glob) {
            walk = { glob: term.glob, density: rare.docs / Math.max(1, this.store.rows(t)), trigram: rare.trigram };
            if (!text.includes('*') && term.literal) walk.contains = term.literal;
          }
        } else {
          filter = term;
        }
      }
    }
    // A tombstone's tenant is NULL and a document's never is, so the tenant condition also keeps
    // documents only, and the capped count reads it from the small tenant index instead of reading
    // rows of JSON. The page query reads the index with `+` disabled: a tenant holds nearly every
    // user, so walking the sort order beats collecting the tenant's users and sorting them.
    const parts: string[] = [];
    const params: unknown[] = [];
    if (search.tenantId !== undefined) {
      parts.push('u.tenant_id = ?');
      params.push(search.tenantId);
    } else {
      parts.push('u.tenant_id IS NOT NULL');
    }
    // The walk reads users in sort order from the table itself, without the term's candidates.
    const base = { sql: parts.join(' AND '), params };
    parts.push(`(${filter.sql})`);
    const plan: Plan = { from, sql: parts.join(' AND '), params: [...fromParams, ...params, ...filter.params] };
    if (walk) Object.assign(plan, { walk, walkFrom: { from: `${t.users} u`, ...base } });
    return plan;
  }

  /**
   * Candidates from the literal's rarest trigrams only. `LIKE '%literal%'` intersects every trigram of
   * the literal, and the common ones ("exa", "com", "@ex" in every email) each list nearly every user,
   * so an exact email costs a walk over the whole index. The three rarest (TrigramCounts) narrow as
   * well; GLOB over the stored values still decides. `docs` is the rarest trigram's count (estimated
   * when common), about an upper bound of the matches. Undefined when the literal is too short.
   */
  private rareTrigramDriver(t: Tables, literal: string, glob: string): { driver: Sql; docs: number; trigram: string } | undefined {
    const trigrams = trigramsOf(literal);
    if (trigrams.length === 0 || glob === '') return undefined;
    if (!t.inline && trigrams.length <= 3) return undefined;
    const rarest = this.store.trigrams.rarest(t, trigrams, () => this.store.rows(t)).slice(0, 3);
    const match = matchAll(rarest.map((r) => r.term));
    const docs = rarest[0]!.docs;
    const trigram = rarest[0]!.term;
    if (t.inline) return { driver: { sql: `SELECT rowid AS rid FROM ${t.fts} WHERE ${t.fts} MATCH ?`, params: [match] }, docs, trigram };
    return { driver: { sql: `SELECT rowid AS rid FROM ${t.fts} WHERE ${t.fts} MATCH ? AND terms GLOB ?`, params: [match, glob] }, docs, trigram };
  }

  /** FusionAuth: an ids lookup is neither paginated nor sorted; ids come back in request order. */
  private byIds(t: Tables, request: SearchRequest): SearchResult {
    const ids = [...new Set(request.ids)];
    const tenant = request.tenantId !== undefined ? ' AND tenant_id = ?' : '';
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.store
        .stmt(`SELECT id FROM ${t.users} WHERE id IN (${chunk.map(() => '?').join(', ')}) AND doc IS NOT NULL${tenant}`)
        .pluck()
        .all(...chunk, ...(request.tenantId !== undefined ? [request.tenantId] : [])) as string[];
      for (const id of rows) found.add(id);
    }
    const hits = ids.filter((id) => found.has(id));
    return { total: hits.length, ids: hits };
  }

  /** Writes are visible when their transaction commits: nothing to refresh. */
  async refresh(): Promise<void> {}

  async getCheckpoint(name: string): Promise<number | undefined> {
    const t = this.tables();
    const row = this.store.stmt(`SELECT position FROM ${t.checkpoints} WHERE name = ?`).get(name) as { position: number } | undefined;
    return row?.position;
  }

  async currentVersion(): Promise<number | undefined> {
    return this.store.current();
  }

  async version(version: number): Promise<SearchIndex> {
    this.store.ensure(version);
    return new SqliteSearchIndex(this.store, version);
  }

  async switchTo(version: number): Promise<void> {
    this.store.db.transaction(() => {
      this.store.ensure(version);
      this.store.stmt(`INSERT INTO search_alias (name, version) VALUES ('users', ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version`).run(version);
    })();
  }

  async dropVersion(version: number): Promise<void> {
    if (version === this.store.current()) throw new Error(`Cannot drop search index version ${version}: the alias points at it`);
    const t = this.store.tables(version);
    this.store.forget(version);
    this.store.db.exec(`
      DROP TABLE IF EXISTS ${t.vocab};
      DROP TABLE IF EXISTS ${t.fts};
      DROP TABLE IF EXISTS ${t.users};
      DROP TABLE IF EXISTS ${t.checkpoints};
      DROP TABLE IF EXISTS ${t.lastNames};
      DELETE FROM search_versions WHERE version = ${version};
    `);
  }

  async close(): Promise<void> {
    if (this.fixed === undefined && this.store.db.open) this.store.db.close();
  }
}

/**
 * Opens the embedded search index: FusionAuth's "database" engine semantics on SQLite FTS5
 * (trigram tokenizer), plus a documented subset of the Elasticsearch query DSL for `search.query`.
 * Creates version 1 behind the alias on a fresh file. Version handles share the connection;
 * closing the alias handle closes it.
 */
export function openSqliteSearchIndex(options: SqliteSearchOptions): SearchIndex {
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // The default 2 MB page cache holds a fraction of the id/email/username indexes of a large user
  // base, so random-id upserts and sorted scans read pages again and again; 64 MB keeps the indexes
  // of about a million users resident. Sorts and DISTINCTs spill to memory, not to temp files.
  db.pragma(`cache_size = ${-1024 * (options.cacheSizeMiB ?? 64)}`);
  db.pragma('temp_store = MEMORY');
  // An 80 MB WAL between checkpoints instead of 4 MB, as the event store and views: the WAL
  // checkpoint thread copies it once a second, and an import's index writes push it past 4 MB within
  // the second, where the search thread's own commit would copy and sync it.
  db.pragma('wal_autocheckpoint = 20000');
  // Erasure (hard delete): deleted rows are overwritten with zeros, not just unlinked from the b-tree,
  // so an erased user's data cannot be read back from free pages of the file.
  db.pragma('secure_delete = ON');
  db.function('fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : v));
  // Elasticsearch keyword semantics: a JSON value compares by its text form.
  db.function('kw', { deterministic: true }, (v: unknown, type: unknown) =>
    type === 'true' ? 'true' : type === 'false' ? 'false' : v === null || v === undefined ? null : String(v),
  );
  db.function('search_words', { deterministic: true }, searchWords);
  db.exec(`
    CREATE TABLE IF NOT EXISTS search_alias (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS search_versions (version INTEGER PRIMARY KEY);
  `);
  const store = new Store(db);
  const current = store.current();
  if (current === undefined) {
    db.transaction(() => {
      store.ensure(1);
      store.stmt(`INSERT OR IGNORE INTO search_alias (name, version) VALUES ('users', 1)`).run();
    })();
  } else {
    // Adds sort columns and indexes a file from an older release lacks (once; a no-op after).
    db.transaction(() => store.ensure(current))();
  }
  return new SqliteSearchIndex(store);
}
