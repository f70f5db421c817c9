import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SearchQueryError } from '../src/port.js';
import type { SearchDocument, SearchIndex, SearchRequest } from '../src/port.js';

export const T1 = '6b9a2f3e-0000-4000-8000-000000000001';
export const T2 = '6b9a2f3e-0000-4000-8000-000000000002';
const APP1 = 'a0000000-0000-4000-8000-000000000001';
const APP2 = 'a0000000-0000-4000-8000-000000000002';
// Ids sort u1 < u2 < … so id tie-breaks are predictable.
export const U = ['', 1, 2, 3, 4, 5].map((n) => `00000000-0000-4000-8000-00000000000${n}`);

function doc(n: number, position: number, user: Record<string, unknown>, tenantId = T1): SearchDocument {
  return { id: U[n]!, tenantId, position, user: { id: U[n], tenantId, active: true, ...user } };
}

export function fixtures(): SearchDocument[] {
  return [
    doc(1, 1, {
      email: 'john.smith@example.com', username: 'jsmith', firstName: 'John', lastName: 'Smith', fullName: 'John Smith',
      insertInstant: 1000, verified: true, data: { plan: 'gold', score: 5, migrated: true },
      registrations: [{ applicationId: APP1, roles: ['admin', 'user'], username: 'johnny' }],
    }),
    doc(2, 2, {
      email: 'mary.jones@example.com', firstName: 'Mary', lastName: 'Jones', insertInstant: 2000, verified: false,
      data: { plan: 'silver', score: 12 }, registrations: [{ applicationId: APP1, roles: ['user'] }],
    }),
    doc(3, 3, { email: 'bob@test.org', username: 'bobby', firstName: 'Bob', insertInstant: 3000, data: { plan: 'gold', score: 20 } }),
    doc(4, 4, {
      email: 'alice@example.com', firstName: 'Alice', lastName: 'Smith', insertInstant: 4000,
      // A data field whose type differs from other users' must not hide this user (FusionAuth issue #1149).
      data: { score: 'n/a' }, registrations: [{ applicationId: APP2, roles: ['admin'] }],
    }),
    doc(5, 5, { email: 'john@other.org', firstName: 'John', insertInstant: 5000 }, T2),
  ];
}

/** Behaviour every SearchIndex adapter shares. `open` returns a fresh, empty index. */
export function searchIndexContract(name: string, open: () => Promise<SearchIndex>): void {
  describe(`SearchIndex contract: ${name}`, () => {
    let index: SearchIndex;
    const ids = async (request: SearchRequest) => (await index.search(request)).ids;
    const byEmail = [{ name: 'email', order: 'asc' as const }];

    beforeEach(async () => {
      index = await open();
      await index.apply({ upserts: fixtures(), deletes: [] });
      await index.refresh();
    });
    afterEach(async () => {
      await index.close();
    });

    it('looks users up by ids, in request order, skipping unknown ids and other tenants', async () => {
      const result = await index.search({ ids: [U[2]!, U[1]!, '00000000-0000-4000-8000-0000000000ff', U[5]!], tenantId: T1 });
      expect(result).toEqual({ total: 2, ids: [U[2], U[1]] });
    });

    it('finds a term case-insensitively across names and email', async () => {
      expect(await ids({ tenantId: T1, queryString: 'SMITH', sortFields: byEmail })).toEqual([U[4], U[1]]);
    });

    it('supports * wildcards and * alone matches everything', async () => {
      expect(await ids({ tenantId: T1, queryString: '*@example.com', sortFields: byEmail })).toEqual([U[4], U[1], U[2]]);
      expect(await ids({ tenantId: T1, queryString: 'jo*', sortFields: byEmail })).toEqual([U[1], U[2]]);
      const all = await index.search({ queryString: '*' });
      expect(all.total).toBe(5);
    });

    it('finds an exact email, and field:value query strings', async () => {
      expect(await ids({ tenantId: T1, queryString: 'mary.jones@example.com' })).toEqual([U[2]]);
      expect(await ids({ tenantId: T1, queryString: 'email:*@example.com AND firstName:alice' })).toEqual([U[4]]);
      expect(await ids({ tenantId: T1, query: JSON.stringify({ match: { email: { query: 'MARY.JONES@example.com' } } }) })).toEqual([U[2]]);
    });

    it('always applies the tenant filter', async () => {
      expect(await ids({ tenantId: T2, queryString: '*' })).toEqual([U[5]]);
      expect(await ids({ tenantId: T2, queryString: 'john', sortFields: byEmail })).toEqual([U[5]]);
      expect(await ids({ queryString: 'john', sortFields: byEmail })).toEqual([U[1], U[5]]);
      expect(await ids({ tenantId: T2, query: JSON.stringify({ match_all: {} }) })).toEqual([U[5]]);
    });

    it('ignores writes older than the document, including after a delete', async () => {
      const [u1, , u3] = fixtures();
      await index.apply({ upserts: [{ ...u1!, position: 10, user: { ...u1!.user, firstName: 'Quentin' } }], deletes: [] });
      await index.apply({ upserts: [{ ...u1!, position: 9, user: { ...u1!.user, firstName: 'Zebedee' } }], deletes: [] });
      await index.apply({ upserts: [], deletes: [{ id: U[3]!, position: 50 }] });
      await index.apply({ upserts: [{ ...u3!, position: 40 }], deletes: [] });
      await index.refresh();
      expect(await ids({ tenantId: T1, queryString: 'quentin' })).toEqual([U[1]]);
      expect(await ids({ tenantId: T1, queryString: 'zebedee' })).toEqual([]);
      expect(await ids({ tenantId: T1, queryString: 'bobby' })).toEqual([]);
      await index.apply({ upserts: [{ ...u3!, position: 60 }], deletes: [{ id: U[1]!, position: 5 }] });
      await index.refresh();
      expect(await ids({ tenantId: T1, queryString: 'bobby' })).toEqual([U[3]]);
      expect(await ids({ tenantId: T1, queryString: 'quentin' })).toEqual([U[1]]);
    });

    it('sorts asc and desc with missing values last or first, ties broken by id', async () => {
      const asc = await ids({ tenantId: T1, queryString: '*', sortFields: [{ name: 'lastName', order: 'asc' }] });
      expect(asc).toEqual([U[2], U[1], U[4], U[3]]);
      const desc = await ids({ tenantId: T1, queryString: '*', sortFields: [{ name: 'lastName', order: 'desc' }] });
      expect(desc).toEqual([U[1], U[4], U[2], U[3]]);
      const first = await ids({ tenantId: T1, queryString: '*', sortFields: [{ name: 'lastName', order: 'asc', missing: '_first' }] });
      expect(first).toEqual([U[3], U[2], U[1], U[4]]);
      const instant = await ids({ tenantId: T1, queryString: '*', sortFields: [{ name: 'insertInstant', order: 'desc' }] });
      expect(instant).toEqual([U[4], U[3], U[2], U[1]]);
    });

    it('pages with startRow and numberOfResults and reports the total', async () => {
      const page = await index.search({ tenantId: T1, queryString: '*', sortFields: [{ name: 'insertInstant' }], startRow: 1, numberOfResults: 2 });
      expect(page.ids).toEqual([U[2], U[3]]);
      expect(page.total).toBe(4);
      const empty = await index.search({ tenantId: T1, queryString: 'nobody-matches-this' });
      expect(empty).toEqual({ total: 0, ids: [] });
    });

    it('visits every document exactly once through nextResults', async () => {
      for (const sortFields of [byEmail, [{ name: 'lastName', order: 'desc' as const, missing: '_first' }], undefined]) {
        const seen: string[] = [];
        let result = await index.search({ tenantId: T1, queryString: '*', numberOfResults: 3, ...(sortFields ? { sortFields } : {}) });
        seen.push(...result.ids);
        let pages = 1;
        while (result.nextResults) {
          result = await index.search({ tenantId: T1, nextResults: result.nextResults, numberOfResults: 1 });
          seen.push(...result.ids);
          pages++;
        }
        expect(seen.sort()).toEqual([U[1], U[2], U[3], U[4]]);
        expect(pages).toBe(2);
      }
      const first = await index.search({ tenantId: T1, queryString: '*', numberOfResults: 1 });
      await expect(index.search({ nextResults: first.nextResults!, sortFields: byEmail })).rejects.toBeInstanceOf(SearchQueryError);
      await expect(index.search({ nextResults: 'not-a-token' })).rejects.toBeInstanceOf(SearchQueryError);
    });

    it('runs bool/term/range/nested/exists queries on data and registrations', async () => {
      const q = (query: unknown) => ids({ tenantId: T1, query: JSON.stringify(query), sortFields: byEmail });
      expect(await q({ bool: { must: [{ term: { 'data.plan': 'gold' } }], filter: [{ range: { 'data.score': { gte: 10 } } }] } })).toEqual([U[3]]);
      expect(await q({ range: { 'data.score': { gt: 4, lte: 12 } } })).toEqual([U[1], U[2]]);
      expect(
        await q({ bool: { should: [{ term: { 'registrations.roles': 'admin' } }, { term: { 'data.plan': 'silver' } }], must_not: [{ term: { lastName: 'smith' } }] } }),
      ).toEqual([U[2]]);
      expect(
        await q({ nested: { path: 'registrations', query: { bool: { must: [{ term: { 'registrations.applicationId': APP1 } }, { term: { 'registrations.roles': 'admin' } }] } } } }),
      ).toEqual([U[1]]);
      expect(await q({ constant_score: { filter: { exists: { field: 'lastName' } } } })).toEqual([U[4], U[1], U[2]]);
      expect(await q({ terms: { id: [U[3], U[2]] } })).toEqual([U[3], U[2]]);
      expect(await q({ term: { verified: false } })).toEqual([U[2]]);
      expect(await q({ match: { 'data.migrated': { query: 'true' } } })).toEqual([U[1]]);
      expect(await q({ prefix: { email: 'bo' } })).toEqual([U[3]]);
      expect(await q({ wildcard: { username: { value: 'j*th' } } })).toEqual([U[1]]);
      expect(await q({ range: { insertInstant: { gte: 2000, lt: 4000 } } })).toEqual([U[3], U[2]]);
      expect(await q({ query_string: { query: 'data.plan:gold AND _exists_:username' } })).toEqual([U[3], U[1]]);
    });

    it('rejects a bad query with SearchQueryError', async () => {
      await expect(index.search({ query: '{not json' })).rejects.toBeInstanceOf(SearchQueryError);
      await expect(index.search({ query: JSON.stringify({ no_such_query: {} }) })).rejects.toBeInstanceOf(SearchQueryError);
      await expect(index.search({ queryString: '*', numberOfResults: -1 })).rejects.toBeInstanceOf(SearchQueryError);
    });

    it('keeps versions behind an alias: write a new version, switch, drop the old one', async () => {
      expect(await index.currentVersion()).toBe(1);
      const v2 = await index.version(2);
      await v2.apply({ upserts: [fixtures()[0]!], deletes: [], checkpoint: { name: 'rebuild', position: 1 } });
      await v2.refresh();
      expect((await index.search({ queryString: '*' })).total).toBe(5);
      expect((await v2.search({ queryString: '*' })).ids).toEqual([U[1]]);
      expect(await v2.getCheckpoint('rebuild')).toBe(1);
      await index.switchTo(2);
      expect(await index.currentVersion()).toBe(2);
      expect((await index.search({ queryString: '*' })).ids).toEqual([U[1]]);
      expect(await index.getCheckpoint('rebuild')).toBe(1);
      await expect(index.dropVersion(2)).rejects.toThrow();
      await index.dropVersion(1);
      const v1 = await index.version(1);
      expect((await v1.search({ queryString: '*' })).total).toBe(0);
    });

    it('stores the checkpoint with the batch', async () => {
      expect(await index.getCheckpoint('users')).toBeUndefined();
      await index.apply({ upserts: [{ ...fixtures()[1]!, position: 70 }], deletes: [], checkpoint: { name: 'users', position: 70 } });
      expect(await index.getCheckpoint('users')).toBe(70);
      await index.apply({ upserts: [], deletes: [{ id: U[2]!, position: 71 }], checkpoint: { name: 'users', position: 71 } });
      await index.refresh();
      expect(await index.getCheckpoint('users')).toBe(71);
      expect(await ids({ tenantId: T1, queryString: 'mary' })).toEqual([]);
    });
  });
}
