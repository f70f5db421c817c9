import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { SearchQueryError } from './port.js';
import type { SearchDocument, SearchIndex, SearchRequest, SearchResult, SortField } from './port.js';
import { parseQueryString } from './query-string.js';
import { TOTAL_CAP, encodeCursor, parseRawQuery, resolveSearch } from './request.js';
import type { ResolvedSearch } from './request.js';
import { QueryTranslator, databaseTerm, jsonPath, sqlString } from './sqlite-query.js';
import type { Sql } from './sqlite-query.js';

export interface SqliteSearchOptions {
  /** Database file (`:memory:` for tests). Tables are prefixed `search_` so the file can be shared. */
  path: string;
  /** Page cache of the connection; default 64 MiB. */
  cacheSizeMiB?: number;
}

const SEP = '\u001f';
/** Fields the database engine's `queryString` term searches. */
const TERM_FIELDS = ['email', 'username', 'firstName', 'lastName', 'fullName', 'middleName', 'mobilePhone'];

const SORT_COLUMNS: Record<string, string> = {
  id: 'u.id',
  tenantId: 'u.tenant_id',
  email: 'u.email',
  username: 'u.username',
  login: 'coalesce(u.email, u.username)',
};
const SORT_FOLDED = new Set(['firstName', 'lastName', 'middleName', 'fullName']);
const SORT_RAW = new Set(['insertInstant', 'lastLoginInstant', 'lastUpdateInstant', 'birthDate']);

interface Key {
  expr: string;
  desc: boolean;
  nullsFirst: boolean;
}

/**
 * Instants with their own column and two indexes each: `(col DESC, id)` serves newest-first, and
 * `(col IS NULL, col, id)` serves oldest-first with missing values last. Sorting a million users by
 * `json_extract` instead costs a full scan and sort per page.
 */
const SORT_INSTANT_COLUMNS: Record<string, string> = { insertInstant: 'insert_instant', lastLoginInstant: 'last_login_instant' };

function sortKeys(field: SortField): Key[] {
  const name = field.name.replace(/\.(keyword|raw)$/, '');
  const column = SORT_INSTANT_COLUMNS[name];
  const missing = field.missing ?? '_last';
  if (column && missing === '_last' && (field.order === undefined || field.order === 'asc' || field.order === 'desc')) {
    const expr = `u.${column}`;
    // DESC puts NULLs last by default; ASC needs the IS NULL key in front (NULLs of the column sort
    // first inside it, which changes nothing: the IS NULL key has already separated them).
    if (field.order === 'desc') return [{ expr, desc: true, nullsFirst: false }];
    return [{ expr: `(${expr} IS NULL)`, desc: false, nullsFirst: true }, { expr, desc: false, nullsFirst: true }];
  }
  return [sortKey(field)];
}

function sortKey(field: SortField): Key {
  const name = field.name.replace(/\.(keyword|raw)$/, '');
  let expr: string;
  if (SORT_COLUMNS[name]) expr = SORT_COLUMNS[name];
  else if (SORT_FOLDED.has(name)) expr = `fold(json_extract(u.doc, ${sqlString(jsonPath([name]))}))`;
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

class Tables {
  readonly users: string;
  readonly fts: string;
  readonly vocab: string;
  readonly checkpoints: string;
  constructor(readonly version: number) {
    this.users = `search_users_v${version}`;
    this.fts = `search_users_v${version}_fts`;
    this.vocab = `search_users_v${version}_vocab`;
    this.checkpoints = `search_checkpoints_v${version}`;
  }
}

/** State shared by the alias handle and the version handles of one database. */
class Store {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Db) {}

  stmt(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size > 500) this.statements.clear();
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private readonly trigramCounts = new Map<string, { docs: number; at: number }>();

  /**
   * Documents holding a trigram, from fts5vocab, which counts by reading the trigram's whole doclist
   * (milliseconds for one in every email). Only the order of the counts matters, so they are cached
   * for a minute; a stale count can only pick a less selective trigram, never a wrong result.
   */
  trigramDocs(t: Tables, trigram: string): number {
    const key = `${t.version}:${trigram}`;
    const now = Date.now();
    const cached = this.trigramCounts.get(key);
    if (cached && now - cached.at < 60_000) return cached.docs;
    const docs = (this.stmt(`SELECT doc FROM ${t.vocab} WHERE term = ?`).pluck().get(trigram) as number | undefined) ?? 0;
    if (this.trigramCounts.size >= 100_000) this.trigramCounts.clear();
    this.trigramCounts.set(key, { docs, at: now });
    return docs;
  }

  /** Adds the instant sort columns to an index version created before them, filling them from the documents. */
  private ensureSortColumns(t: Tables): void {
    const columns = new Set((this.db.prepare(`PRAGMA table_info(${t.users})`).all() as { name: string }[]).map((c) => c.name));
    for (const [field, column] of Object.entries(SORT_INSTANT_COLUMNS)) {
      if (!columns.has(column)) {
        this.db.exec(`ALTER TABLE ${t.users} ADD COLUMN ${column} INTEGER;
          UPDATE ${t.users} SET ${column} = json_extract(doc, ${sqlString(jsonPath([field]))}) WHERE doc IS NOT NULL;`);
      }
      this.db.exec(`
        CREATE INDEX IF NOT EXISTS ${t.users}_${column}_desc ON ${t.users} (${column} DESC, id);
        CREATE INDEX IF NOT EXISTS ${t.users}_${column}_asc ON ${t.users} ((${column} IS NULL), ${column}, id);`);
    }
  }

  current(): number | undefined {
    const row = this.stmt(`SELECT version FROM search_alias WHERE name = 'users'`).get() as { version: number } | undefined;
    return row?.version;
  }

  ensure(version: number): Tables {
    if (!Number.isInteger(version) || version < 1) throw new Error(`Invalid search index version ${version}`);
    const t = new Tables(version);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${t.users} (
        rid INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        tenant_id TEXT,
        position INTEGER NOT NULL,
        email TEXT,
        username TEXT,
        doc TEXT
      );
      CREATE INDEX IF NOT EXISTS ${t.users}_email ON ${t.users} (email);
      CREATE INDEX IF NOT EXISTS ${t.users}_username ON ${t.users} (username);
      CREATE VIRTUAL TABLE IF NOT EXISTS ${t.fts} USING fts5(terms, tokenize = 'trigram', detail = 'none');
      CREATE VIRTUAL TABLE IF NOT EXISTS ${t.vocab} USING fts5vocab(${t.fts}, 'row');
      CREATE TABLE IF NOT EXISTS ${t.checkpoints} (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT OR IGNORE INTO search_versions (version) VALUES (${version});
    `);
    // Erasure: FTS5 normally deletes by adding delete markers, leaving the deleted row's trigrams in
    // older index segments until a merge; 'secure-delete' removes them from the segments at once.
    this.db.prepare(`INSERT INTO ${t.fts} (${t.fts}, rank) VALUES ('secure-delete', 1)`).run();
    this.ensureSortColumns(t);
    return t;
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
    return new Tables(version);
  }

  async apply(batch: Parameters<SearchIndex['apply']>[0]): Promise<void> {
    const { store } = this;
    store.db.transaction(() => {
      const t = this.tables();
      const upsert = store.stmt(`
        INSERT INTO ${t.users} (id, tenant_id, position, email, username, doc, insert_instant, last_login_instant) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, position = excluded.position,
          email = excluded.email, username = excluded.username, doc = excluded.doc,
          insert_instant = excluded.insert_instant, last_login_instant = excluded.last_login_instant
        WHERE excluded.position > ${t.users}.position
        RETURNING rid`);
      // A delete leaves a tombstone (id and position only, no personal data) so a late older upsert stays ignored.
      const tombstone = store.stmt(`
        INSERT INTO ${t.users} (id, tenant_id, position, email, username, doc) VALUES (?, NULL, ?, NULL, NULL, NULL)
        ON CONFLICT (id) DO UPDATE SET tenant_id = NULL, position = excluded.position, email = NULL, username = NULL, doc = NULL,
          insert_instant = NULL, last_login_instant = NULL
        WHERE excluded.position > ${t.users}.position
        RETURNING rid`);
      const ftsDelete = store.stmt(`DELETE FROM ${t.fts} WHERE rowid = ?`);
      const ftsInsert = store.stmt(`INSERT INTO ${t.fts} (rowid, terms) VALUES (?, ?)`);
      for (const doc of batch.upserts) {
        const user: Record<string, unknown> = { ...doc.user, id: doc.id, tenantId: doc.tenantId };
        const row = upsert.get(doc.id, doc.tenantId, doc.position, lowerOrNull(user.email), lowerOrNull(user.username), JSON.stringify(user), instantOrNull(user.insertInstant), instantOrNull(user.lastLoginInstant)) as
          | { rid: number }
          | undefined;
        if (!row) continue;
        ftsDelete.run(row.rid);
        ftsInsert.run(row.rid, termsOf(user));
      }
      for (const del of batch.deletes) {
        const row = tombstone.get(del.id, del.position) as { rid: number } | undefined;
        if (row) ftsDelete.run(row.rid);
      }
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
    const keys = [...search.sortFields.flatMap(sortKeys), { expr: 'u.id', desc: false, nullsFirst: false }];
    const page = search.after ? this.withAfter(where, keys, search.after) : where;
    const select = keys.map((k, i) => `${k.expr} AS k${i}`).join(', ');
    // SQLite's default null placement (first ascending, last descending) is left unwritten: with an
    // explicit non-default NULLS clause the planner cannot walk an index for the ORDER BY.
    const order = keys.map((k) => `${k.expr} ${k.desc ? 'DESC' : 'ASC'}${k.nullsFirst === !k.desc ? '' : ` NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`}`).join(', ');
    const rows = this.store
      .stmt(`SELECT ${select} FROM ${page.from} WHERE ${page.sql} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .raw(true)
      .all(...page.params, search.size + 1, search.startRow) as unknown[][];
    const cap = search.accurateTotal ? '' : ` LIMIT ${TOTAL_CAP}`;
    const { total } = this.store
      .stmt(`SELECT count(*) AS total FROM (SELECT 1 FROM ${where.from} WHERE ${where.sql}${cap})`)
      .get(...where.params) as { total: number };
    const hits = rows.slice(0, search.size);
    const result: SearchResult = { total, ids: hits.map((r) => r[r.length - 1] as string) };
    const last = hits[hits.length - 1];
    if (rows.length > search.size && last) result.nextResults = encodeCursor(search, last);
    return result;
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
   * trigram index (CROSS JOIN fixes the loop order) instead of leaving the planner to walk users.
   */
  private where(t: Tables, search: ResolvedSearch): Sql & { from: string } {
    const translator = new QueryTranslator(t.fts);
    let from = `${t.users} u`;
    let filter: Sql = { sql: '1', params: [] };
    const fromParams: unknown[] = [];
    if (search.query !== undefined) {
      filter = translator.translate(parseRawQuery(search.query));
    } else if (search.queryString !== undefined && search.queryString.trim() !== '') {
      const text = search.queryString.trim();
      if (text.includes(':')) {
        filter = translator.translate(parseQueryString(text));
      } else {
        const term = databaseTerm(text, t.fts);
        if (term.driver) {
          const driver = this.rareTrigramDriver(t, term.literal ?? '', term.glob ?? '') ?? term.driver;
          from = `(${driver.sql}) h CROSS JOIN ${t.users} u ON u.rid = h.rid`;
          fromParams.push(...driver.params);
        } else {
          filter = term;
        }
      }
    }
    const parts = ['u.doc IS NOT NULL'];
    const params: unknown[] = [...fromParams];
    if (search.tenantId !== undefined) {
      parts.push('u.tenant_id = ?');
      params.push(search.tenantId);
    }
    parts.push(`(${filter.sql})`);
    return { from, sql: parts.join(' AND '), params: [...params, ...filter.params] };
  }

  /**
   * Candidates from the literal's rarest trigrams only. `LIKE '%literal%'` intersects every trigram of
   * the literal, and the common ones ("exa", "com", "@ex" in every email) each list nearly every user,
   * so an exact email costs a walk over the whole index. The three rarest, by document count from the
   * fts5vocab table, narrow as well; GLOB over the stored values still decides. Undefined when the
   * literal is too short to have trigrams.
   */
  private rareTrigramDriver(t: Tables, literal: string, glob: string): Sql | undefined {
    const chars = [...literal];
    if (chars.length < 3 || glob === '') return undefined;
    const trigrams = [...new Set(chars.slice(0, -2).map((_, i) => chars.slice(i, i + 3).join('')))];
    if (trigrams.length <= 3) return undefined;
    const rarest = trigrams.map((term) => ({ term, doc: this.store.trigramDocs(t, term) })).sort((a, b) => a.doc - b.doc).slice(0, 3);
    const match = rarest.map((r) => `"${r.term.replace(/"/g, '""')}"`).join(' AND ');
    return { sql: `SELECT rowid AS rid FROM ${t.fts} WHERE ${t.fts} MATCH ? AND terms GLOB ?`, params: [match, glob] };
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
    const t = new Tables(version);
    this.store.db.exec(`
      DROP TABLE IF EXISTS ${t.vocab};
      DROP TABLE IF EXISTS ${t.fts};
      DROP TABLE IF EXISTS ${t.users};
      DROP TABLE IF EXISTS ${t.checkpoints};
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
  if (store.current() === undefined) {
    db.transaction(() => {
      store.ensure(1);
      store.stmt(`INSERT OR IGNORE INTO search_alias (name, version) VALUES ('users', 1)`).run();
    })();
  }
  return new SqliteSearchIndex(store);
}
