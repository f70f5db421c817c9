/**
 * `search.query` (Elasticsearch JSON) on both engines. The database engine runs a documented subset
 * of the DSL and answers 400 naming anything outside it; every request of the subset returns the
 * users a reference predicate picks, and — when ELASTICSEARCH_URL is set — exactly the same users
 * (and order) as the Elasticsearch engine given the same data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { describeWithServer } from '@idstream/testkit';
import { failure, startTestService, type TestService } from '../support/harness.js';

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth'];
const PLANS = ['gold', 'silver', 'bronze'];

interface Row { id: string; email: string; firstName: string; lastName: string; data: { plan: string; score: number; nickname?: string } }

/** 36 users, the same on both engines (fixed ids so results compare). */
const rows: Row[] = Array.from({ length: 36 }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  email: `${FIRST[i % 6]!.toLowerCase()}.${LAST[Math.floor(i / 6)]!.toLowerCase()}${i}@${i % 2 ? 'alpha' : 'beta'}.example`,
  firstName: FIRST[i % 6]!,
  lastName: LAST[Math.floor(i / 6)]!,
  data: { plan: PLANS[i % 3]!, score: i * 3, ...(i % 4 === 0 && { nickname: `nick${i}` }) },
}));

interface Case { name: string; query: unknown; expect: (r: Row) => boolean; sortByEmail?: boolean }

/** The shared subset: each case's users by a reference predicate. */
const cases: Case[] = [
  { name: 'match_all', query: { match_all: {} }, expect: () => true },
  { name: 'term email', query: { term: { email: rows[7]!.email } }, expect: (r) => r.id === rows[7]!.id },
  { name: 'terms data.plan', query: { terms: { 'data.plan': ['gold', 'bronze'] } }, expect: (r) => r.data.plan !== 'silver' },
  { name: 'match firstName', query: { match: { firstName: 'grace' } }, expect: (r) => r.firstName === 'Grace' },
  { name: 'bool must + must_not', query: { bool: { must: [{ match: { lastName: 'turing' } }], must_not: [{ term: { 'data.plan': 'gold' } }] } }, expect: (r) => r.lastName === 'Turing' && r.data.plan !== 'gold' },
  { name: 'bool filter range', query: { bool: { filter: [{ range: { 'data.score': { gte: 30, lt: 60 } } }] } }, expect: (r) => r.data.score >= 30 && r.data.score < 60 },
  { name: 'bool should minimum_should_match', query: { bool: { should: [{ term: { firstName: 'ada' } }, { term: { firstName: 'alan' } }], minimum_should_match: 1 } }, expect: (r) => r.firstName === 'Ada' || r.firstName === 'Alan' },
  { name: 'prefix lastName', query: { prefix: { lastName: 'li' } }, expect: (r) => r.lastName.toLowerCase().startsWith('li') },
  { name: 'wildcard email', query: { wildcard: { email: '*@alpha.example' } }, expect: (r) => r.email.endsWith('@alpha.example') },
  { name: 'exists data.nickname', query: { exists: { field: 'data.nickname' } }, expect: (r) => r.data.nickname !== undefined },
  { name: 'ids', query: { ids: { values: [rows[1]!.id, rows[2]!.id, randomUUID()] } }, expect: (r) => r.id === rows[1]!.id || r.id === rows[2]!.id },
  { name: 'query_string', query: { query_string: { query: 'firstName:barbara' } }, expect: (r) => r.firstName === 'Barbara' },
  { name: 'constant_score', query: { constant_score: { filter: { term: { 'data.plan': 'silver' } } } }, expect: (r) => r.data.plan === 'silver' },
  { name: 'sorted by email', query: { range: { 'data.score': { lte: 45 } } }, expect: (r) => r.data.score <= 45, sortByEmail: true },
];

/** Outside the database engine's subset: each answers 400 naming the construct. */
const unsupported: { query: unknown; names: string }[] = [
  { query: { fuzzy: { firstName: 'ada' } }, names: 'fuzzy' },
  { query: { regexp: { email: 'a.*' } }, names: 'regexp' },
  { query: { multi_match: { query: 'ada', fields: ['firstName', 'lastName'] } }, names: 'multi_match' },
  { query: { script: { script: 'true' } }, names: 'script' },
  { query: { bool: { must: [{ match_all: {} }], boost_mode: 'x' } }, names: 'boost_mode' },
];

async function seed(svc: TestService): Promise<FusionAuthClient> {
  const tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  const client = new FusionAuthClient(svc.apiKey, svc.url).setTenantId(tenantId);
  await client.importUsers({ users: rows.map((r) => ({ ...r, password: 'password-123' })) as never });
  await client.refreshUserSearchIndex();
  return client;
}

async function run(client: FusionAuthClient, c: Case): Promise<string[]> {
  const found = await client.searchUsersByQuery({
    search: { query: JSON.stringify(c.query), numberOfResults: 100, accurateTotal: true, ...(c.sortByEmail && { sortFields: [{ name: 'email', order: 'asc' }] }) },
  } as never);
  const ids = (found.response.users ?? []).map((u) => u.id!);
  expect(found.response.total, c.name).toBe(ids.length);
  return c.sortByEmail ? ids : ids.sort();
}

function expected(c: Case): string[] {
  const picked = rows.filter(c.expect);
  return c.sortByEmail ? picked.sort((a, b) => a.email.localeCompare(b.email)).map((r) => r.id) : picked.map((r) => r.id).sort();
}

let database: TestService;
let databaseClient: FusionAuthClient;
const databaseResults = new Map<string, string[]>();

beforeAll(async () => {
  database = await startTestService();
  databaseClient = await seed(database);
});
afterAll(async () => {
  await database?.destroy();
});

describe('search.query on the database engine', () => {
  it('runs every request of the shared subset and returns the users the reference predicate picks', async () => {
    for (const c of cases) {
      const ids = await run(databaseClient, c);
      expect(ids, c.name).toEqual(expected(c));
      databaseResults.set(c.name, ids);
    }
  });

  it('answers 400 with the Errors JSON naming a construct outside the subset', async () => {
    for (const { query, names } of unsupported) {
      const refused = await failure(databaseClient.searchUsersByQuery({ search: { query: JSON.stringify(query) } } as never));
      expect(refused.statusCode, names).toBe(400);
      const [error] = refused.exception.fieldErrors['search.query'];
      expect(error.code).toBe('[invalid]search.query');
      expect(error.message).toContain(names);
    }
    const notJson = await failure(databaseClient.searchUsersByQuery({ search: { query: '{"match_all":' } } as never));
    expect(notJson.exception.fieldErrors['search.query'][0].code).toBe('[invalid]search.query');
  });
});

describeWithServer('search.query on Elasticsearch gives the same users as the database engine', 'ELASTICSEARCH_URL', (url) => {
  let elastic: TestService;
  let elasticClient: FusionAuthClient;
  beforeAll(async () => {
    elastic = await startTestService({ env: { ELASTICSEARCH_URL: url, ELASTICSEARCH_INDEX_PREFIX: `idstream-engines-${randomUUID().slice(0, 8)}` } });
    elasticClient = await seed(elastic);
  });
  afterAll(async () => {
    await elastic?.destroy();
  });

  it('every request of the shared subset: the same ids (and order when sorted)', async () => {
    for (const c of cases) {
      const ids = await run(elasticClient, c);
      expect(ids, c.name).toEqual(databaseResults.get(c.name) ?? expected(c));
    }
  });
});
