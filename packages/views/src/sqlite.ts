import Database from 'better-sqlite3';
import { assertCheckpoint, assertCollectionName, inRequestedOrder, prepareBatch } from './batch.js';
import type { Checkpoint, ListOptions, ViewCollection, ViewDatabase, ViewDocument } from './port.js';

export interface SqliteViewDatabaseOptions {
  /** Database file (created if missing), or `:memory:`. */
  path: string;
  /** How long a writer waits for another process's lock before failing; default 5000 ms. */
  busyTimeoutMs?: number;
  /** Page cache per connection; default 64 MiB, so key and id indexes of a million users stay in memory. */
  cacheSizeMiB?: number;
}

interface Row {
  id: string;
  tenant_id: string;
  position: number;
  deleted: 0 | 1;
  keys: string;
  body: string;
}

type Statement<Params extends unknown[] = unknown[], Result = unknown> = Database.Statement<Params, Result>;

interface Statements {
  state: Statement<[string], { position: number; keys: string }>;
  upsert: Statement<[string, string, number, 0 | 1, string, string]>;
  insertNew: Statement<[string, string, number, 0 | 1, string, string]>;
  deleteKey: Statement<[string, string]>;
  claimKey: Statement<[string, string]>;
  holderOf: Statement<[string], string>;
  reassignKey: Statement<[string, string]>;
  dropKeyFromDoc: Statement<[string, string]>;
  get: Statement<[string], Row>;
  getIncludingDeleted: Statement<[string], Row>;
  getMany: Statement<[string], Row>;
  findByKey: Statement<[string], Row>;
  listAll: Statement<[number, number], Row>;
  listTenant: Statement<[string, number, number], Row>;
  countAll: Statement<[], number>;
  countTenant: Statement<[string], number>;
}

const COLUMNS = 'id, tenant_id, position, deleted, keys, body';

function toDocument<Body>(row: Row): ViewDocument<Body> {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    position: row.position,
    deleted: row.deleted === 1,
    keys: JSON.parse(row.keys) as string[],
    body: JSON.parse(row.body) as Body,
  };
}

/**
 * Opens (or creates) a SQLite view store. Each collection is a document table `vdoc_<name>` plus a
 * key table `vkey_<name>`; the prefixes keep collection tables from colliding with each other's key
 * tables and with `view_checkpoints` / `view_aliases`.
 *
 * A row's `keys` column and the key table always agree, so an unchanged key set (the common update)
 * costs no key writes at all.
 */
export function openSqliteViewDatabase(options: SqliteViewDatabaseOptions): ViewDatabase {
  const db = new Database(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  // Views can be rebuilt from the log and the checkpoint commits with the rows, so losing the last
  // transactions on power failure only means replaying them; NORMAL skips an fsync per commit.
  db.pragma('synchronous = NORMAL');
  // Erasure (hard delete): deleted rows are overwritten with zeros, not just unlinked from the b-tree,
  // so an erased user's data cannot be read back from free pages of the file.
  db.pragma('secure_delete = ON');
  // An 80 MB WAL between checkpoints instead of 4 MB: projection batches dirty many index pages, and
  // a page rewritten by several batches is then copied into the database file once. The WAL
  // checkpoint thread copies it once a second, well before this limit (see the event store's).
  db.pragma('wal_autocheckpoint = 20000');
  db.pragma(`cache_size = ${-1024 * Math.trunc(options.cacheSizeMiB ?? 64)}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS view_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS view_aliases (alias TEXT PRIMARY KEY, collection TEXT NOT NULL) WITHOUT ROWID;
  `);
  const setCheckpointStmt = db.prepare<[string, number]>(
    'INSERT INTO view_checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
  );
  const getCheckpointStmt = db.prepare<[string], number>('SELECT position FROM view_checkpoints WHERE name = ?').pluck();
  const setAliasStmt = db.prepare<[string, string]>(
    'INSERT INTO view_aliases (alias, collection) VALUES (?, ?) ON CONFLICT (alias) DO UPDATE SET collection = excluded.collection',
  );
  const getAliasStmt = db.prepare<[string], string>('SELECT collection FROM view_aliases WHERE alias = ?').pluck();

  const saveCheckpoint = (checkpoint: Checkpoint): void => {
    setCheckpointStmt.run(checkpoint.name, checkpoint.position);
  };
  const collections = new Map<string, ViewCollection<unknown>>();

  return {
    kind: 'sqlite',
    collection<Body = Record<string, unknown>>(name: string): ViewCollection<Body> {
      assertCollectionName(name);
      let collection = collections.get(name);
      if (!collection) {
        collection = sqliteCollection<unknown>(db, name, saveCheckpoint);
        collections.set(name, collection);
      }
      return collection as ViewCollection<Body>;
    },
    async getCheckpoint(name) {
      return getCheckpointStmt.get(name);
    },
    async setCheckpoint(checkpoint) {
      assertCheckpoint(checkpoint);
      saveCheckpoint(checkpoint);
    },
    async getAlias(alias) {
      return getAliasStmt.get(alias);
    },
    async setAlias(alias, collectionName) {
      assertCollectionName(collectionName);
      setAliasStmt.run(alias, collectionName);
    },
    async close() {
      db.close();
    },
  };
}

function createTables(db: Database.Database, docs: string, keys: string): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS "${docs}" (
      id TEXT PRIMARY KEY,
      tenant_id TEXT NOT NULL,
      position INTEGER NOT NULL,
      deleted INTEGER NOT NULL,
      keys TEXT NOT NULL,
      body TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS "${docs}_tenant" ON "${docs}" (tenant_id, deleted, id);
    CREATE TABLE IF NOT EXISTS "${keys}" (key TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
  `);
}

function prepareStatements(db: Database.Database, docs: string, keys: string): Statements {
  const select = `SELECT ${COLUMNS} FROM "${docs}"`;
  return {
    state: db.prepare(`SELECT position, keys FROM "${docs}" WHERE id = ?`),
    upsert: db.prepare(
      `INSERT INTO "${docs}" (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET
         tenant_id = excluded.tenant_id, position = excluded.position, deleted = excluded.deleted,
         keys = excluded.keys, body = excluded.body`,
    ),
    insertNew: db.prepare(`INSERT INTO "${docs}" (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
    deleteKey: db.prepare(`DELETE FROM "${keys}" WHERE key = ? AND id = ?`),
    claimKey: db.prepare(`INSERT INTO "${keys}" (key, id) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`),
    holderOf: db.prepare<[string], string>(`SELECT id FROM "${keys}" WHERE key = ?`).pluck(),
    reassignKey: db.prepare(`UPDATE "${keys}" SET id = ? WHERE key = ?`),
    dropKeyFromDoc: db.prepare(
      `UPDATE "${docs}" SET keys = (SELECT json_group_array(value) FROM json_each("${docs}".keys) WHERE value <> ?) WHERE id = ?`,
    ),
    get: db.prepare(`${select} WHERE id = ? AND deleted = 0`),
    getIncludingDeleted: db.prepare(`${select} WHERE id = ?`),
    getMany: db.prepare(`${select} WHERE id IN (SELECT value FROM json_each(?)) AND deleted = 0`),
    findByKey: db.prepare(
      `SELECT d.id, d.tenant_id, d.position, d.deleted, d.keys, d.body
         FROM "${keys}" k JOIN "${docs}" d ON d.id = k.id WHERE k.key = ? AND d.deleted = 0`,
    ),
    listAll: db.prepare(`${select} WHERE deleted = 0 ORDER BY id LIMIT ? OFFSET ?`),
    listTenant: db.prepare(`${select} WHERE tenant_id = ? AND deleted = 0 ORDER BY id LIMIT ? OFFSET ?`),
    countAll: db.prepare<[], number>(`SELECT count(*) FROM "${docs}" WHERE deleted = 0`).pluck(),
    countTenant: db.prepare<[string], number>(`SELECT count(*) FROM "${docs}" WHERE tenant_id = ? AND deleted = 0`).pluck(),
  };
}

function sqliteCollection<Body>(
  db: Database.Database,
  name: string,
  saveCheckpoint: (checkpoint: Checkpoint) => void,
): ViewCollection<Body> {
  const docsTable = `vdoc_${name}`;
  const keysTable = `vkey_${name}`;
  let statements: Statements | undefined;
  const stmts = (): Statements => {
    if (!statements) {
      createTables(db, docsTable, keysTable);
      statements = prepareStatements(db, docsTable, keysTable);
    }
    return statements;
  };

  /** Gives `key` to `id`; a key held by another document is taken from it (its row's keys too). */
  const claim = (s: Statements, key: string, id: string): void => {
    if (s.claimKey.run(key, id).changes === 1) return;
    const holder = s.holderOf.get(key);
    if (holder === undefined || holder === id) return;
    s.reassignKey.run(id, key);
    s.dropKeyFromDoc.run(key, holder);
  };

  const applyOne = (s: Statements, doc: ViewDocument<Body>): boolean => {
    const keysJson = JSON.stringify(doc.keys);
    const body = JSON.stringify(doc.body);
    // A document seen for the first time (every imported or created user) is one insert and its key
    // claims: no read of a state that cannot exist, no upsert. Only an existing id takes the
    // read-compare-write path below.
    if (s.insertNew.run(doc.id, doc.tenantId, doc.position, doc.deleted ? 1 : 0, keysJson, body).changes === 1) {
      for (const key of doc.keys) claim(s, key, doc.id);
      return true;
    }
    const stored = s.state.get(doc.id);
    if (stored && stored.position >= doc.position) return false;
    if (!stored || stored.keys !== keysJson) {
      const oldKeys = stored ? (JSON.parse(stored.keys) as string[]) : [];
      const next = new Set(doc.keys);
      for (const key of oldKeys) if (!next.has(key)) s.deleteKey.run(key, doc.id);
      const old = new Set(oldKeys);
      for (const key of doc.keys) if (!old.has(key)) claim(s, key, doc.id);
    }
    s.upsert.run(doc.id, doc.tenantId, doc.position, doc.deleted ? 1 : 0, keysJson, body);
    return true;
  };

  // IMMEDIATE takes the write lock before the first read, so a concurrent writer waits on
  // busy_timeout instead of failing when this transaction upgrades from reading to writing.
  const writeBatch = db
    .transaction((batch: ViewDocument<Body>[], checkpoint: Checkpoint | undefined): number => {
      const s = stmts();
      let written = 0;
      for (const doc of batch) if (applyOne(s, doc)) written++;
      if (checkpoint) saveCheckpoint(checkpoint);
      return written;
    })
    .immediate;

  return {
    name,
    async get(id) {
      const row = stmts().get.get(id);
      return row ? toDocument<Body>(row) : null;
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      return inRequestedOrder(ids, stmts().getMany.all(JSON.stringify(ids)).map((row) => toDocument<Body>(row)));
    },
    async findByKey(key) {
      const row = stmts().findByKey.get(key);
      return row ? toDocument<Body>(row) : null;
    },
    async list(options: ListOptions = {}) {
      const limit = options.limit ?? -1;
      const offset = options.offset ?? 0;
      const rows =
        options.tenantId === undefined
          ? stmts().listAll.all(limit, offset)
          : stmts().listTenant.all(options.tenantId, limit, offset);
      return rows.map((row) => toDocument<Body>(row));
    },
    async count(options = {}) {
      return options.tenantId === undefined ? stmts().countAll.get()! : stmts().countTenant.get(options.tenantId)!;
    },
    async write(documents, checkpoint) {
      const batch = prepareBatch(documents);
      if (checkpoint) assertCheckpoint(checkpoint);
      return writeBatch(batch, checkpoint);
    },
    async getIncludingDeleted(id) {
      const row = stmts().getIncludingDeleted.get(id);
      return row ? toDocument<Body>(row) : null;
    },
    async drop() {
      statements = undefined;
      db.exec(`DROP TABLE IF EXISTS "${docsTable}"; DROP TABLE IF EXISTS "${keysTable}";`);
    },
  };
}
