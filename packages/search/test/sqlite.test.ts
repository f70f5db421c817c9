import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openSqliteSearchIndex } from '../src/sqlite.js';
import { searchIndexContract, T1, T2, U, fixtures } from './contract.js';
import type { SearchDocument, SortField } from '../src/port.js';

searchIndexContract('SQLite FTS5', async () => openSqliteSearchIndex({ path: ':memory:' }));

describe('SQLite database engine specifics', () => {
  const open = async () => {
    const index = openSqliteSearchIndex({ path: ':memory:' });
    await index.apply({ upserts: fixtures(), deletes: [] });
    return index;
  };

  it('matches a plain term anywhere in a field but anchors a * pattern to the whole field', async () => {
    const index = await open();
    expect((await index.search({ tenantId: T1, queryString: 'mit' })).ids.sort()).toEqual([U[1], U[4]]);
    expect((await index.search({ tenantId: T1, queryString: 'mit*' })).ids).toEqual([]);
    expect((await index.search({ tenantId: T1, queryString: 'sm*h' })).ids).toEqual([U[1], U[4]]);
    // Short terms (under a trigram) still work, by scan.
    expect((await index.search({ tenantId: T1, queryString: 'bo' })).ids).toEqual([U[3]]);
    // Registration usernames are searched too.
    expect((await index.search({ tenantId: T1, queryString: 'johnny' })).ids).toEqual([U[1]]);
    // A pattern cannot straddle two fields.
    expect((await index.search({ tenantId: T1, queryString: 'smith@example.com*jsmith' })).ids).toEqual([]);
    await index.close();
  });

  it('caps the total at 10,000 unless accurateTotal', async () => {
    const index = openSqliteSearchIndex({ path: ':memory:' });
    const upserts: SearchDocument[] = Array.from({ length: 10_050 }, (_, i) => ({
      id: `u-${String(i).padStart(6, '0')}`, tenantId: T1, position: i + 1, user: { email: `user${i}@example.com` },
    }));
    await index.apply({ upserts, deletes: [] });
    expect((await index.search({ queryString: '*' })).total).toBe(10_000);
    expect((await index.search({ queryString: '*', accurateTotal: true })).total).toBe(10_050);
    expect((await index.search({ queryString: '*', numberOfResults: 3 })).ids).toEqual(['u-000000', 'u-000001', 'u-000002']);
    await index.close();
  });

  it('rejects unsupported sorts and query constructs with SearchQueryError', async () => {
    const index = await open();
    await expect(index.search({ queryString: '*', sortFields: [{ name: 'password' }] })).rejects.toMatchObject({ name: 'SearchQueryError', field: 'search.sortFields' });
    await expect(index.search({ query: JSON.stringify({ fuzzy: { email: 'x' } }) })).rejects.toMatchObject({ name: 'SearchQueryError' });
    await expect(index.search({ queryString: 'email:/.*example.com/' })).rejects.toMatchObject({ name: 'SearchQueryError' });
    await expect(index.search({ query: JSON.stringify({ range: { 'data.score': { gte: 1, lt: 'x' } } }) })).rejects.toMatchObject({ name: 'SearchQueryError' });
    await index.close();
  });

  it('sorts on data fields and keeps state in the file across reopen', async () => {
    const path = `/tmp/idstream-search-${process.pid}-${Date.now()}.db`;
    const index = openSqliteSearchIndex({ path });
    await index.apply({ upserts: fixtures(), deletes: [], checkpoint: { name: 'p', position: 5 } });
    const byScore = await index.search({ tenantId: T1, queryString: '*', sortFields: [{ name: 'data.score', order: 'asc' }] });
    // SQLite orders numbers before text, so the 'n/a' score comes after 5, 12, 20.
    expect(byScore.ids).toEqual([U[1], U[2], U[3], U[4]]);
    await index.close();
    const reopened = openSqliteSearchIndex({ path });
    expect(await reopened.getCheckpoint('p')).toBe(5);
    expect((await reopened.search({ queryString: 'alice' })).ids).toEqual([U[4]]);
    await reopened.close();
  });

  it('pages a common term the same whether it walks the sort order or sorts the matches', async () => {
    // 600 users, a third named Young: a page of "young" by id, email or insertInstant is found by
    // walking that order; by lastName ascending the Youngs come last, the walk finds none and the
    // matches are sorted instead. Every page must equal the matches sorted in JS.
    const LAST = ['Adams', 'baker', 'YOUNG'];
    const users = Array.from({ length: 600 }, (_, i) => ({
      id: `u-${String((i * 7919) % 600).padStart(4, '0')}`,
      email: i % 10 === 3 ? undefined : `p${(i * 31) % 600}.${LAST[i % 3]!.toLowerCase()}@example.com`,
      username: `user${i}`,
      lastName: LAST[i % 3]!,
      insertInstant: i % 7 === 0 ? undefined : 1_000_000 + ((i * 13) % 600),
    }));
    const index = openSqliteSearchIndex({ path: ':memory:' });
    await index.apply({ upserts: users.map((u, i) => ({ id: u.id, tenantId: T1, position: i + 1, user: u })), deletes: [] });
    const young = users.filter((u) => [u.email, u.username, u.lastName].some((v) => v?.toLowerCase().includes('young')));
    type Row = (typeof users)[number];
    const cmp = (a: unknown, b: unknown, desc: boolean): number => {
      if (a === b) return 0;
      if (a === undefined) return 1; // missing last, either direction
      if (b === undefined) return -1;
      return ((a as string | number) < (b as string | number) ? -1 : 1) * (desc ? -1 : 1);
    };
    const sorts: [SortField[] | undefined, (u: Row) => unknown][] = [
      [undefined, () => 0],
      [[{ name: 'insertInstant', order: 'desc' }], (u) => u.insertInstant],
      [[{ name: 'insertInstant', order: 'asc' }], (u) => u.insertInstant],
      [[{ name: 'email' }], (u) => u.email],
      [[{ name: 'lastName' }], (u) => u.lastName.toLowerCase()],
      [[{ name: 'lastName', order: 'desc' }], (u) => u.lastName.toLowerCase()],
    ];
    for (const [sortFields, key] of sorts) {
      const desc = sortFields?.[0]?.order === 'desc';
      const expected = [...young].sort((a, b) => cmp(key(a), key(b), desc) || (a.id < b.id ? -1 : 1)).map((u) => u.id);
      for (const startRow of [0, 50, 190]) {
        const page = await index.search({ tenantId: T1, queryString: 'young', startRow, numberOfResults: 25, ...(sortFields && { sortFields }) });
        expect(page.total).toBe(200);
        expect(page.ids, JSON.stringify({ sortFields, startRow })).toEqual(expected.slice(startRow, startRow + 25));
      }
      const seen: string[] = [];
      let result = await index.search({ tenantId: T1, queryString: 'YOUNG', numberOfResults: 40, ...(sortFields && { sortFields }) });
      for (;;) {
        seen.push(...result.ids);
        if (!result.nextResults) break;
        result = await index.search({ tenantId: T1, nextResults: result.nextResults, numberOfResults: 40 });
      }
      expect(seen).toEqual(expected);
    }
    expect((await index.search({ tenantId: T2, queryString: 'young' })).total).toBe(0);
    await index.close();
  });

  it('pages a surname searched and sorted by surname exactly as a plain sort of the matches, through writes and an upgrade', async () => {
    // "smith" is in three surnames (one upper-case), a tenant of its own holds some of them, and users
    // without a last name, an email or an insertInstant tie on those keys. Each page must equal the
    // matches sorted in JS.
    const NAMES = ['Smith', 'goldsmith', 'SMITHERS', 'Adams', 'Young', undefined];
    type Person = { id: string; tenantId: string; lastName?: string; email?: string; firstName: string; username: string; insertInstant?: number };
    const people = new Map<string, Person>();
    for (let i = 0; i < 720; i++) {
      const id = `u-${String((i * 7919) % 720).padStart(4, '0')}`;
      const lastName = NAMES[i % NAMES.length];
      people.set(id, {
        id, tenantId: i % 9 === 4 ? T2 : T1, lastName, firstName: ['Ann', 'Bo', 'Cy'][i % 3]!, username: `user${i}`,
        email: i % 5 === 2 ? undefined : `p${(i * 37) % 97}.${i}@example.com`,
        insertInstant: i % 7 === 0 ? undefined : 1000 + ((i * 13) % 50),
      });
    }
    const path = `/tmp/idstream-search-${process.pid}-${Date.now()}-surnames.db`;
    let position = 0;
    let index = openSqliteSearchIndex({ path });
    const write = async (changed: Person[], deleted: string[] = []) => {
      for (const p of changed) people.set(p.id, p);
      for (const id of deleted) people.delete(id);
      await index.apply({
        upserts: changed.map((p) => ({ id: p.id, tenantId: p.tenantId, position: ++position, user: { ...p } })),
        deletes: deleted.map((id) => ({ id, position: ++position })),
      });
    };
    await write([...people.values()]);
    const missingLast = <V extends string | number>(a: V | undefined, b: V | undefined) => (a === b ? 0 : a === undefined ? 1 : b === undefined ? -1 : a < b ? -1 : 1);
    const check = async (label: string) => {
      for (const tenantId of [T1, undefined]) {
        const matches = [...people.values()].filter(
          (p) => (tenantId === undefined || p.tenantId === tenantId) && [p.email, p.username, p.firstName, p.lastName].some((v) => v?.toLowerCase().includes('smith')),
        );
        const then: [SortField | undefined, (a: Person, b: Person) => number][] = [
          [undefined, () => 0],
          [{ name: 'email' }, (a, b) => missingLast(a.email, b.email)],
          [{ name: 'insertInstant', order: 'desc' }, (a, b) => missingLast(a.insertInstant && -a.insertInstant, b.insertInstant && -b.insertInstant)],
        ];
        for (const [second, compare] of then) {
          const sortFields: SortField[] = second ? [{ name: 'lastName' }, second] : [{ name: 'lastName' }];
          const expected = matches
            .sort((a, b) => missingLast(a.lastName?.toLowerCase(), b.lastName?.toLowerCase()) || compare(a, b) || (a.id < b.id ? -1 : 1))
            .map((p) => p.id);
          for (const startRow of [0, 30, 95, expected.length - 10, expected.length + 5]) {
            const page = await index.search({ queryString: 'SMITH', sortFields, startRow, numberOfResults: 25, ...(tenantId && { tenantId }) });
            const where = JSON.stringify({ label, tenantId, sortFields, startRow });
            expect(page.total, where).toBe(expected.length);
            expect(page.ids, where).toEqual(expected.slice(startRow, startRow + 25));
          }
        }
      }
    };
    await check('built');
    const some = (name: string) => [...people.values()].filter((p) => p.lastName === name).slice(0, 3);
    // Someone else matching through an email: the surnames no longer hold every match. (One written
    // in the middle, where a sample of the users holding the term's trigrams does not see it.)
    const everyAdams = [...people.values()].filter((p) => p.lastName === 'Adams');
    const adams = everyAdams[everyAdams.length >> 1]!;
    await write([{ ...adams, email: 'a.smith@example.com' }]);
    await check('another surname matches');
    await write([{ ...adams, email: 'adams@example.com' }]);
    // Surnames and tenants change, users are deleted, a new surname appears.
    const [s1, s2, s3] = some('Smith');
    const [g1, g2] = some('goldsmith');
    await write([{ ...s1!, lastName: 'Young' }, { ...s2!, tenantId: T2 }, { ...g1!, lastName: 'Blacksmith' }, { ...some('Young')[0]!, lastName: 'smith' }], [s3!.id, g2!.id]);
    await check('after writes');
    await index.close();
    // A file from before the per-surname counts: they are rebuilt from the users on open.
    const db = new Database(path);
    db.exec('DROP TABLE search_users_v1_last_names');
    db.close();
    index = openSqliteSearchIndex({ path });
    await check('upgraded');
    await write([{ ...s1!, lastName: 'Smith' }]);
    await check('written after the upgrade');
    await index.close();
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  });

  it('re-indexes the text of an update that changes it, and finds users an update left unchanged', async () => {
    const index = openSqliteSearchIndex({ path: ':memory:' });
    await index.apply({ upserts: fixtures(), deletes: [] });
    const [john] = fixtures();
    await index.apply({ upserts: [{ ...john!, position: 20, user: { ...john!.user, lastLoginInstant: 9000, data: { plan: 'platinum' } } }], deletes: [] });
    expect((await index.search({ tenantId: T1, queryString: 'jsmith' })).ids).toEqual([U[1]]);
    expect((await index.search({ tenantId: T1, query: JSON.stringify({ term: { 'data.plan': 'platinum' } }) })).ids).toEqual([U[1]]);
    await index.apply({ upserts: [{ ...john!, position: 21, user: { ...john!.user, email: 'jack@example.net', username: 'jack' } }], deletes: [] });
    expect((await index.search({ tenantId: T1, queryString: 'jsmith' })).ids).toEqual([]);
    expect((await index.search({ tenantId: T1, queryString: 'jack@example.net' })).ids).toEqual([U[1]]);
    expect((await index.search({ tenantId: T1, query: JSON.stringify({ term: { email: 'JACK@example.net' } }) })).ids).toEqual([U[1]]);
    // Deleted, then created again under the same id (a newer position).
    await index.apply({ upserts: [], deletes: [{ id: U[1]!, position: 22 }] });
    expect((await index.search({ tenantId: T1, queryString: 'jack' })).ids).toEqual([]);
    await index.apply({ upserts: [{ ...john!, position: 23 }], deletes: [] });
    expect((await index.search({ tenantId: T1, queryString: 'jsmith' })).ids).toEqual([U[1]]);
    expect((await index.search({ tenantId: T1, queryString: 'jack' })).ids).toEqual([]);
    await index.close();
  });

  it('keeps no searchable text of a deleted user', async () => {
    const path = `/tmp/idstream-search-${process.pid}-${Date.now()}-erase.db`;
    const index = openSqliteSearchIndex({ path });
    await index.apply({ upserts: fixtures(), deletes: [] });
    await index.apply({ upserts: [], deletes: [{ id: U[2]!, position: 10 }] });
    expect((await index.search({ queryString: 'mary' })).ids).toEqual([]);
    await index.close();
    const db = new Database(path, { readonly: true });
    const row = db.prepare('SELECT terms, doc, email, last_name FROM search_users_v1 WHERE id = ?').get(U[2]) as Record<string, unknown>;
    expect(row).toEqual({ terms: null, doc: null, email: null, last_name: null });
    // Nor her surname, which no one else has, among the per-surname counts.
    expect(db.prepare(`SELECT count(*) FROM search_users_v1_last_names WHERE last_name = 'jones'`).pluck().get()).toBe(0);
    // "y.j" only ever appeared in mary.jones: no trigram of hers is left in the index.
    expect(db.prepare(`SELECT count(*) FROM search_users_v1_fts WHERE search_users_v1_fts MATCH '"y.j"'`).pluck().get()).toBe(0);
    db.close();
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  });

  it('opens an index written by an earlier release (text in FTS5 content, no name columns) and still finds and sorts', async () => {
    const path = `/tmp/idstream-search-${process.pid}-${Date.now()}-legacy.db`;
    const db = new Database(path);
    db.exec(`
      CREATE TABLE search_alias (name TEXT PRIMARY KEY, version INTEGER NOT NULL);
      CREATE TABLE search_versions (version INTEGER PRIMARY KEY);
      CREATE TABLE search_users_v1 (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant_id TEXT, position INTEGER NOT NULL,
        email TEXT, username TEXT, doc TEXT, insert_instant INTEGER, last_login_instant INTEGER);
      CREATE VIRTUAL TABLE search_users_v1_fts USING fts5(terms, tokenize = 'trigram', detail = 'none');
      CREATE VIRTUAL TABLE search_users_v1_vocab USING fts5vocab(search_users_v1_fts, 'row');
      CREATE TABLE search_checkpoints_v1 (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
      INSERT INTO search_versions VALUES (1);
      INSERT INTO search_alias VALUES ('users', 1);`);
    const SEP = '\u001f';
    const old = [
      { id: U[1]!, email: 'zed.smith@example.com', lastName: 'Smith', firstName: 'Zed' },
      { id: U[2]!, email: 'ann.smithers@example.com', lastName: 'Smithers', firstName: 'Ann' },
      { id: U[3]!, email: 'bo@example.com', lastName: 'Adams', firstName: 'Bo' },
    ];
    old.forEach((u, i) => {
      const { lastInsertRowid } = db.prepare('INSERT INTO search_users_v1 (id, tenant_id, position, email, doc) VALUES (?, ?, ?, ?, ?)')
        .run(u.id, T1, i + 1, u.email, JSON.stringify({ ...u, tenantId: T1 }));
      const terms = `${SEP}${[u.email, u.firstName, u.lastName].map((v) => v.toLowerCase()).join(SEP)}${SEP}`;
      db.prepare('INSERT INTO search_users_v1_fts (rowid, terms) VALUES (?, ?)').run(lastInsertRowid, terms);
    });
    db.close();
    const index = openSqliteSearchIndex({ path });
    expect((await index.search({ tenantId: T1, queryString: 'smith', sortFields: [{ name: 'lastName' }] })).ids).toEqual([U[1], U[2]]);
    expect((await index.search({ tenantId: T1, queryString: '*', sortFields: [{ name: 'lastName', order: 'desc' }] })).ids).toEqual([U[2], U[1], U[3]]);
    expect((await index.search({ tenantId: T1, queryString: 'ann.smithers@example.com' })).ids).toEqual([U[2]]);
    // Writes after the upgrade keep the old layout working.
    await index.apply({ upserts: [{ id: U[4]!, tenantId: T1, position: 9, user: { email: 'al@example.com', lastName: 'Smithson' } }], deletes: [{ id: U[1]!, position: 10 }] });
    expect((await index.search({ tenantId: T1, queryString: 'smith', sortFields: [{ name: 'lastName' }] })).ids).toEqual([U[2], U[4]]);
    await index.close();
    for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  });
});
