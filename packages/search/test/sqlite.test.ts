import { describe, expect, it } from 'vitest';
import { openSqliteSearchIndex } from '../src/sqlite.js';
import { searchIndexContract, T1, U, fixtures } from './contract.js';
import type { SearchDocument } from '../src/port.js';

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
});
