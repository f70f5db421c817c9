/**
 * Subscriptions for downstream systems: the pull API and Server-Sent Events read every public event
 * in log order from a cursor, resume with no gap and no duplicate, filter by type and tenant, and
 * keep a tenant-locked key inside its tenant. The served JSON Schemas describe what they return.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { rawRequest, startTestService, type TestService } from '../support/harness.js';
import { openSse } from '../support/sse-client.js';
import { schemaValidator } from '../support/public-events.js';

let svc: TestService;
let defaultTenantId: string;
let otherTenantId: string;
let lockedKey: string;
let client: FusionAuthClient;
let otherClient: FusionAuthClient;

const types = 'type=user.create,user.create.complete';

beforeAll(async () => {
  svc = await startTestService();
  defaultTenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  otherTenantId = (await svc.client.createTenant(null as unknown as string, { tenant: { name: `other-${randomUUID()}` } as never })).response.tenant!.id!;
  lockedKey = (await svc.client.createAPIKey(null as unknown as string, { apiKey: { tenantId: otherTenantId } as never })).response.apiKey!.key!;
  client = new FusionAuthClient(svc.apiKey, svc.url, defaultTenantId);
  otherClient = new FusionAuthClient(svc.apiKey, svc.url, otherTenantId);
});

afterAll(async () => {
  await svc?.destroy();
});

async function createUsers(count: number, on = client): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await on.createUser(null as unknown as string, { user: { email: `sub-${randomUUID()}@example.com`, password: 'password-123' } });
    ids.push(created.response.user!.id!);
  }
  return ids;
}

async function page(query: string, apiKey = svc.apiKey) {
  return rawRequest(`${svc.url}/api/events?${query}`, { apiKey });
}

/** Reads everything after `after` page by page; returns the items and the final cursor. */
async function readAll(after: string, limit: number, extra = types, apiKey = svc.apiKey): Promise<{ items: any[]; cursor: string }> {
  const items: any[] = [];
  let cursor = after;
  for (;;) {
    const response = await page(`after=${cursor}&limit=${limit}&${extra}`, apiKey);
    expect(response.status).toBe(200);
    items.push(...response.body.events);
    cursor = response.body.nextCursor;
    if (!response.body.hasMore) return { items, cursor };
  }
}

describe('pull API', () => {
  it('pages through the log with no gap and no duplicate, also inside one log position', async () => {
    const start = (await readAll('0', 1000)).cursor;
    const ids = await createUsers(5);
    const whole = await readAll(start, 1000);
    expect(whole.items.map((e) => e.event.type)).toEqual(ids.flatMap(() => ['user.create', 'user.create.complete']));
    expect(whole.items.map((e) => e.event.user.id)).toEqual(ids.flatMap((id) => [id, id]));
    // Pages of 3 split the two public events of one log position.
    const paged = await readAll(start, 3);
    expect(paged.items.map((e) => e.id)).toEqual(whole.items.map((e) => e.id));
    expect(new Set(paged.items.map((e) => e.event.id)).size).toBe(10);
    const validate = await schemaValidator(svc.url);
    for (const item of whole.items) expect(validate({ event: item.event })).toEqual([]);
  });

  it('filters by type and tenant', async () => {
    const start = (await readAll('0', 1000)).cursor;
    const [mine] = await createUsers(1);
    const [theirs] = await createUsers(1, otherClient);
    const onlyCreates = await readAll(start, 1000, 'type=user.create');
    expect(onlyCreates.items.map((e) => e.event.user.id)).toEqual([mine, theirs]);
    const other = await readAll(start, 1000, `type=user.create&tenantId=${otherTenantId}`);
    expect(other.items.map((e) => e.event.user.id)).toEqual([theirs]);
  });

  it('shows a tenant-locked key its own tenant only', async () => {
    const [mine] = await createUsers(1);
    const [theirs] = await createUsers(1, otherClient);
    const seen = await readAll('0', 1000, types, lockedKey);
    expect(seen.items.length).toBeGreaterThan(0);
    expect(seen.items.every((e) => e.event.tenantId === otherTenantId)).toBe(true);
    const userIds = seen.items.map((e) => e.event.user.id);
    expect(userIds).toContain(theirs);
    expect(userIds).not.toContain(mine);
    expect((await page(`tenantId=${defaultTenantId}`, lockedKey)).status).toBe(401);
    expect((await page('', 'no-such-key-of-this-server')).status).toBe(401);
  });

  it('answers bad input with 400 and the Errors JSON', async () => {
    expect((await page('after=yesterday')).body.fieldErrors.after[0].code).toBe('[invalid]after');
    expect((await page('limit=0')).body.fieldErrors.limit[0].code).toBe('[invalid]limit');
    expect((await page('limit=many')).status).toBe(400);
    expect((await page('tenantId=acme')).body.fieldErrors.tenantId[0].code).toBe('[invalid]tenantId');
    const sse = await rawRequest(`${svc.url}/api/event-stream`, { apiKey: svc.apiKey, headers: { 'Last-Event-ID': 'not-a-cursor' } });
    expect(sse.status).toBe(400);
    expect(sse.body.fieldErrors['Last-Event-ID'][0].code).toBe('[invalid]Last-Event-ID');
  });
});

describe('Server-Sent Events', () => {
  it('streams catch-up then live events and resumes from Last-Event-ID with no gap and no duplicate', async () => {
    const start = (await readAll('0', 1000)).cursor;
    await createUsers(4);
    const first = await openSse(`${svc.url}/api/event-stream?after=${start}&${types}`, { Authorization: svc.apiKey });
    expect(first.status).toBe(200);
    await first.waitFor(3);
    first.close();
    const seen = first.messages.slice(0, 3);
    const lastId = seen.at(-1)!.id!;

    const second = await openSse(`${svc.url}/api/event-stream?${types}`, { Authorization: svc.apiKey, 'Last-Event-ID': lastId });
    // Live events arrive on the open stream too.
    await createUsers(2);
    await second.waitFor(8 + 4 - 3);
    second.close();
    const all = [...seen, ...second.messages];
    const expected = (await readAll(start, 1000)).items;
    expect(all.map((m) => m.id)).toEqual(expected.map((e) => e.id));
    expect(all.map((m) => JSON.parse(m.data).event.id)).toEqual(expected.map((e) => e.event.id));
    expect(all.map((m) => m.event)).toEqual(expected.map((e) => e.event.type));
  });

  it('keeps a tenant-locked key inside its tenant', async () => {
    const start = (await readAll('0', 1000)).cursor;
    await createUsers(1);
    const [theirs] = await createUsers(1, otherClient);
    const stream = await openSse(`${svc.url}/api/event-stream?after=${start}&${types}`, { Authorization: lockedKey });
    await stream.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    stream.close();
    expect(stream.messages.map((m) => JSON.parse(m.data).event.user.id)).toEqual([theirs, theirs]);
  });
});

describe('public event contract', () => {
  it('serves a versioned JSON Schema per event type', async () => {
    const all = await rawRequest(`${svc.url}/api/event-schema`);
    expect(all.status).toBe(200);
    expect(all.body.version).toBe(1);
    expect(all.body.types).toEqual(expect.arrayContaining(['user.create', 'user.create.complete', 'user.login.success', 'user.login.failed']));
    const one = await rawRequest(`${svc.url}/api/event-schema/user.create`);
    expect(one.body.schema.properties.event.properties.type.const).toBe('user.create');
    expect((await rawRequest(`${svc.url}/api/event-schema/user.vanished`)).status).toBe(404);
    const validate = await schemaValidator(svc.url);
    // Secrets are outside the contract: a body carrying a hash fails validation.
    expect(validate({ event: { type: 'user.create', id: randomUUID(), createInstant: 1, tenantId: randomUUID(), user: { id: randomUUID(), tenantId: randomUUID(), active: true, password: 'x' } } })).not.toEqual([]);
  });
});
