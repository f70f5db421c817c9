/**
 * Faults of the production adapters, run when their URLs are set (SKIPPED otherwise, loudly). The
 * shared server is never stopped: the service reaches it through a loopback TCP proxy that this
 * test takes down and brings back.
 * - Elasticsearch down: search answers 503 with the Errors JSON, logins and creates are unaffected,
 *   and the index catches up once it is back.
 * - MongoDB (the views) down: a clear 503 with the Errors JSON, bounded in time, and no corruption:
 *   every user reads back exactly as before, and writes answered during the outage are all there.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { describeWithServer } from '@idstream/testkit';
import { rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitUntil } from '../support/crash-invariants.js';

/** The proxy in front of `url` and the same URL pointing at the proxy. */
async function proxied(url: string, defaultPort: number): Promise<{ proxy: TcpProxy; url: string }> {
  const parsed = new URL(url);
  const proxy = await startTcpProxy(parsed.hostname, Number(parsed.port || defaultPort));
  parsed.hostname = '127.0.0.1';
  parsed.port = String(proxy.port);
  return { proxy, url: parsed.toString() };
}

const searchAll = (svc: TestService) =>
  rawRequest(`${svc.url}/api/user/search`, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ search: { queryString: 'faults-*', numberOfResults: 500 } }) });

describeWithServer('Elasticsearch down', 'ELASTICSEARCH_URL', (elasticsearchUrl) => {
  let svc: TestService;
  let proxy: TcpProxy;
  const prefix = `idstream-faults-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const p = await proxied(elasticsearchUrl, 9200);
    proxy = p.proxy;
    svc = await startTestService({ env: { ELASTICSEARCH_URL: p.url.replace(/\/$/, ''), ELASTICSEARCH_INDEX_PREFIX: prefix } });
  });

  afterAll(async () => {
    await proxy?.up().catch(() => undefined);
    await svc?.destroy();
    await proxy?.close();
    // Best effort: remove this run's indexes from the shared server.
    const indexes = (await fetch(`${elasticsearchUrl}/_cat/indices/${prefix}*?format=json`).then((r) => r.json()).catch(() => [])) as { index: string }[];
    for (const { index } of indexes) await fetch(`${elasticsearchUrl}/${index}`, { method: 'DELETE' }).catch(() => undefined);
  });

  it('search answers 503 with the Errors JSON, logins and creates work, and the index catches up after', async () => {
    const email = `faults-es-before-${randomUUID()}@example.com`;
    const before = (await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123' } })).response.user!;
    await svc.client.refreshUserSearchIndex();
    expect((await searchAll(svc)).body.users.map((u: { id: string }) => u.id)).toContain(before.id);

    await proxy.down();
    const down = Date.now();
    const answered = Date.now();
    const search = await searchAll(svc);
    expect(search.status).toBe(503);
    expect(search.body.generalErrors[0].code).toBe('[SearchEngineUnavailable]');
    expect(Date.now() - answered).toBeLessThan(35_000);
    const during: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      const created = (await svc.client.createUser(null as unknown as string, { user: { email: `faults-es-${i}-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
      expect((await svc.client.login({ loginId: created.email!, password: 'password-123' })).statusCode).toBe(200);
      expect(Date.now() - t).toBeLessThan(2_000);
      during.push(created.id!);
    }
    expect((await svc.client.login({ loginId: email, password: 'password-123' })).statusCode).toBe(200);

    await proxy.up();
    const back = Date.now();
    const catchUpMs = await waitUntil(async () => {
      const found = await searchAll(svc);
      return found.status === 200 && during.every((id) => found.body.users.some((u: { id: string }) => u.id === id));
    }, 60_000, 'search index caught up');
    console.log(JSON.stringify({ scenario: 'Elasticsearch down', outageMs: back - down, createsAndLoginsDuringOutage: during.length, indexCaughtUpMs: catchUpMs }));
  }, 120_000);
});

describeWithServer('MongoDB down', 'MONGODB_URL', (mongodbUrl) => {
  let svc: TestService;
  let proxy: TcpProxy;
  const dbName = `idstream_faults_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const p = await proxied(mongodbUrl, 27017);
    proxy = p.proxy;
    const url = new URL(p.url);
    // One server, reached through the proxy only (no discovery of the members' own addresses), and
    // a bounded wait for it, so an outage answers in seconds rather than the driver's 30 s.
    url.searchParams.set('directConnection', 'true');
    url.searchParams.set('serverSelectionTimeoutMS', '3000');
    svc = await startTestService({ env: { MONGODB_URL: url.toString(), MONGODB_DB: dbName } });
  });

  afterAll(async () => {
    await proxy?.up().catch(() => undefined);
    await svc?.destroy();
    await proxy?.close();
  });

  it('answers a clear 503 while the views are unreachable, and nothing is corrupted', async () => {
    const users: { id?: string; email?: string }[] = [];
    for (let i = 0; i < 5; i++) users.push((await svc.client.createUser(null as unknown as string, { user: { email: `faults-mongo-${i}-${randomUUID()}@example.com`, password: 'password-123', data: { n: i } } })).response.user!);
    const snapshot = await Promise.all(users.map(async (u) => (await svc.client.retrieveUser(u.id!)).response.user));

    await proxy.down();
    const down = Date.now();
    const read = await rawRequest(`${svc.url}/api/user/${users[0]!.id}`, { apiKey: svc.apiKey });
    expect(read.status).toBe(503);
    expect(read.body.generalErrors.length).toBeGreaterThan(0);
    const login = await rawRequest(`${svc.url}/api/login`, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ loginId: users[1]!.email, password: 'password-123' }) });
    expect(login.status).toBe(503);
    expect(login.body.generalErrors.length).toBeGreaterThan(0);
    // A create during the outage: saved in the event log or refused, but never half-done, and
    // answered with a 503 (the change may be saved, not yet readable) rather than hanging.
    const duringEmail = `faults-mongo-during-${randomUUID()}@example.com`;
    const create = await rawRequest(`${svc.url}/api/user`, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: { email: duringEmail, password: 'password-123' } }) });
    expect(create.status).toBe(503);
    expect(create.body.generalErrors.length).toBeGreaterThan(0);
    const answeredWithinMs = Date.now() - down;
    expect(answeredWithinMs).toBeLessThan(60_000);

    await proxy.up();
    const back = Date.now();
    // Every user reads back exactly as before; the outage-time create is there (its append was
    // acknowledged by the event store before the view write failed) and logs in.
    const recoveryMs = await waitUntil(async () => (await rawRequest(`${svc.url}/api/user/${users[0]!.id}`, { apiKey: svc.apiKey })).status === 200, 60_000, 'views readable again');
    const withoutLogin = (user: Record<string, unknown> | undefined) => ({ ...user, lastLoginInstant: undefined });
    // (users[1] was sent a login during the outage; had it been recorded, only its login instant moves.)
    for (const [i, user] of users.entries()) expect(withoutLogin((await svc.client.retrieveUser(user.id!)).response.user as never)).toEqual(withoutLogin(snapshot[i] as never));
    // The outage-time create: "saved, not yet readable" means it appears; any other 503 means nothing
    // of it was kept (no reservation either: the same email can be created now).
    const saved = create.body.generalErrors[0].code === '[ReadModelUnavailable]';
    if (saved) {
      await waitUntil(async () => (await rawRequest(`${svc.url}/api/user?email=${encodeURIComponent(duringEmail)}`, { apiKey: svc.apiKey })).status === 200, 30_000, 'the outage-time create readable');
    } else {
      expect((await rawRequest(`${svc.url}/api/user?email=${encodeURIComponent(duringEmail)}`, { apiKey: svc.apiKey })).status).toBe(404);
      await svc.client.createUser(null as unknown as string, { user: { email: duringEmail, password: 'password-123' } });
    }
    expect((await svc.client.login({ loginId: duringEmail, password: 'password-123' })).statusCode).toBe(200);
    expect((await svc.client.login({ loginId: users[1]!.email!, password: 'password-123' })).statusCode).toBe(200);
    console.log(JSON.stringify({ scenario: 'MongoDB down', answeredWithinMs, createDuringOutage: create.body.generalErrors[0].code, outageMs: back - down, readableAgainMs: recoveryMs }));
  }, 150_000);
});
