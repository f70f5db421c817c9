/**
 * The User API end to end through FusionAuth's client: create/retrieve/update/patch/delete,
 * reactivate, bulk delete, search, recent logins, history, registrations, Errors JSON for bad input,
 * tenant isolation, and a hard delete that leaves nothing readable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';

let svc: TestService;
let client: FusionAuthClient;
let defaultTenantId: string;
const none = null as unknown as string;
const email = () => `u-${randomUUID()}@example.com`;

beforeAll(async () => {
  svc = await startTestService();
  // Other tests add tenants: scope every call to the default tenant, as a FusionAuth client would.
  defaultTenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  client = new FusionAuthClient(svc.apiKey, svc.url).setTenantId(defaultTenantId);
});
afterAll(async () => {
  await svc?.destroy();
});

async function raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return rawRequest(`${svc.url}${path}`, {
    method,
    apiKey: svc.apiKey,
    headers: { 'Content-Type': 'application/json', 'X-FusionAuth-TenantId': defaultTenantId, ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

describe('create and retrieve', () => {
  it('creates with every field, lower-cases the email, returns a token, and retrieves by every key', async () => {
    const address = `Ada.${randomUUID()}@Example.com`;
    const username = `ada-${randomUUID().slice(0, 8)}`;
    const created = await client.createUser(none, {
      user: {
        email: address,
        username,
        password: 'correct horse battery',
        firstName: 'Ada',
        lastName: 'Lovelace',
        fullName: 'Ada King',
        middleName: 'B',
        birthDate: '1815-12-10',
        timezone: 'Europe/London',
        preferredLanguages: ['en', 'fr'],
        imageUrl: 'https://example.com/ada.png',
        mobilePhone: '+441234567890',
        expiry: Date.now() + 86_400_000,
        data: { favourite: 'engines' },
        twoFactor: { methods: [{ method: 'authenticator', secret: 'c2VjcmV0LXNlY3JldC0xMjM=' }, { method: 'email', email: address }] },
        memberships: [{ groupId: randomUUID() }],
      },
      skipVerification: true,
    } as never);
    const user = created.response.user!;
    expect(user.email).toBe(address.toLowerCase());
    expect(user.username).toBe(username);
    expect(user.verified).toBe(true);
    expect(user.twoFactor?.methods?.[0]?.method).toBe('authenticator');
    expect(JSON.stringify(user)).not.toContain('secret');
    expect(JSON.stringify(user)).not.toContain('c2VjcmV0');
    expect(created.response.token).toMatch(/^ey/);
    expect(user.memberships?.[0]?.id).toBeTruthy();

    expect((await client.retrieveUser(user.id!)).response.user?.encryptionScheme).toBe('argon2id');
    expect((await client.retrieveUserByEmail(address.toUpperCase())).response.user?.id).toBe(user.id);
    expect((await client.retrieveUserByUsername(username.toUpperCase())).response.user?.id).toBe(user.id);
    expect((await client.retrieveUserByLoginId(username)).response.user?.id).toBe(user.id);
    // The JWT self form: no encryptionScheme without an API key.
    // (client 1.69 no longer has retrieveUserUsingJWT: the request it sent.)
    const self = await rawRequest(`${svc.url}/api/user`, { headers: { Authorization: `Bearer ${created.response.token}` } });
    expect(self.body.user.id).toBe(user.id);
    expect(self.body.user.encryptionScheme).toBeUndefined();
    expect((await rawRequest(`${svc.url}/api/user`, { headers: { Authorization: 'Bearer not-a-jwt' } })).status).toBe(401);
    expect((await failure(client.retrieveUser(randomUUID()))).statusCode).toBe(404);
    expect((await failure(client.retrieveUserByEmail(email()))).statusCode).toBe(404);
  });

  it('answers 400 with Errors JSON for bad input on create and retrieve', async () => {
    const bad = await raw('POST', '/api/user', '{"user": {');
    expect(bad.status).toBe(400);
    expect(bad.body.generalErrors[0].code).toBe('[invalidJSON]');
    const types = await raw('POST', '/api/user', { user: { email: 42, password: ['x'], birthDate: 'yesterday', data: 'x' }, sendSetPasswordEmail: 'yes' });
    expect(types.status).toBe(400);
    expect(types.body.fieldErrors['sendSetPasswordEmail'][0].code).toBe('[couldNotConvert]sendSetPasswordEmail');
    const fields = await raw('POST', '/api/user', { user: { email: 'x@y.z', password: 'p', birthDate: '10/12/1815', timezone: 'Mars/Olympus', data: 'x', preferredLanguages: 'en' } });
    expect(Object.keys(fields.body.fieldErrors).sort()).toEqual(['user.birthDate', 'user.data', 'user.password', 'user.preferredLanguages', 'user.timezone']);
    expect((await raw('POST', '/api/user', {})).body.fieldErrors.user[0].code).toBe('[missing]user');
    const neither = await failure(client.createUser(none, { user: { password: 'password-123' } }));
    expect(neither.exception.fieldErrors['user.email'][0].code).toBe('[blank]user.email');
    expect((await raw('GET', '/api/user')).status).toBe(400);
    expect((await raw('POST', '/api/user/not-a-uuid', { user: { email: email(), password: 'password-123' } })).status).toBe(400);
  });

  it('enforces tenant password rules and blocked domains', async () => {
    const tenantId = randomUUID();
    await client.createTenant(tenantId, {
      tenant: { name: `rules-${tenantId}`, passwordValidationRules: { minLength: 10, requireMixedCase: true, requireNumber: true, requireNonAlpha: true }, registrationConfiguration: { blockedDomains: ['blocked.example'] } } as never,
    });
    const scoped = new FusionAuthClient(svc.apiKey, svc.url).setTenantId(tenantId);
    const weak = await failure(scoped.createUser(none, { user: { email: email(), password: 'short' } }));
    expect(weak.exception.fieldErrors['user.password'].map((e: { code: string }) => e.code).sort()).toEqual(
      ['[onlyAlpha]user.password', '[requireNumber]user.password', '[singleCase]user.password', '[tooShort]user.password'],
    );
    const blocked = await failure(scoped.createUser(none, { user: { email: `x-${randomUUID()}@blocked.example`, password: 'Str0ng!Passw0rd' } }));
    expect(blocked.exception.fieldErrors['user.email'][0].code).toBe('[blocked]user.email');
    const allowed = await scoped.createUser(none, { user: { email: `x-${randomUUID()}@blocked.example`, password: 'Str0ng!Passw0rd' }, disableDomainBlock: true } as never);
    expect(allowed.response.user?.tenantId).toBe(tenantId);
  });
});

describe('update, patch, delete, reactivate', () => {
  it('PUT replaces and keeps the password; PATCH in all three formats; errors are 400/404', async () => {
    const address = email();
    const created = await client.createUser(none, { user: { email: address, password: 'original-password', firstName: 'A', lastName: 'B', data: { a: 1 } } });
    const id = created.response.user!.id!;
    const put = await client.updateUser(id, { user: { email: address, firstName: 'Put', data: { b: 2 } } });
    expect(put.response.user?.firstName).toBe('Put');
    expect(put.response.user?.lastName).toBeUndefined();
    expect(put.response.user?.data).toEqual({ b: 2 });
    expect((await client.login({ loginId: address, password: 'original-password' })).statusCode).toBe(200);

    const patched = await client.patchUser(id, { user: { lastName: 'Patched', data: { c: 3 } } } as never);
    expect(patched.response.user?.lastName).toBe('Patched');
    expect(patched.response.user?.data).toEqual({ b: 2, c: 3 });
    const merge = await raw('PATCH', `/api/user/${id}`, { user: { data: { b: null }, preferredLanguages: ['de'] } }, { 'Content-Type': 'application/merge-patch+json' });
    expect(merge.status).toBe(200);
    expect(merge.body.user.data).toEqual({ c: 3 });
    const jsonPatch = await raw('PATCH', `/api/user/${id}`, [{ op: 'replace', path: '/user/firstName', value: 'Json' }, { op: 'add', path: '/user/password', value: 'changed-password' }], { 'Content-Type': 'application/json-patch+json' });
    expect(jsonPatch.status).toBe(200);
    expect(jsonPatch.body.user.firstName).toBe('Json');
    expect((await client.login({ loginId: address, password: 'changed-password' })).statusCode).toBe(200);

    expect((await raw('PATCH', `/api/user/${id}`, { op: 'x' }, { 'Content-Type': 'application/json-patch+json' })).status).toBe(400);
    expect((await raw('PUT', `/api/user/${id}`, { user: { email: 'not-an-email' } })).body.fieldErrors['user.email'][0].code).toBe('[notEmail]user.email');
    expect((await raw('PUT', `/api/user/${id}`, { nope: true })).status).toBe(400);
    expect((await failure(client.updateUser(randomUUID(), { user: { email: email() } }))).statusCode).toBe(404);
    const other = await client.createUser(none, { user: { email: email(), password: 'password-123' } });
    const taken = await failure(client.updateUser(other.response.user!.id!, { user: { email: address } }));
    expect(taken.exception.fieldErrors['user.email'][0].code).toBe('[duplicate]user.email');
  });

  it('soft delete deactivates (login 423), reactivate restores, hard delete leaves nothing readable and frees the email and id', async () => {
    const address = email();
    const id = randomUUID();
    await client.createUser(id, { user: { email: address, password: 'password-123', firstName: 'Erased' } });
    await client.login({ loginId: address, password: 'password-123' });
    await client.deactivateUser(id);
    expect((await client.retrieveUser(id)).response.user?.active).toBe(false);
    expect((await failure(client.login({ loginId: address, password: 'password-123' }))).statusCode).toBe(423);
    expect((await client.reactivateUser(id)).response.user?.active).toBe(true);
    expect((await client.login({ loginId: address, password: 'password-123' })).statusCode).toBe(200);
    expect((await raw('DELETE', `/api/user/${id}?hardDelete=maybe`)).status).toBe(400);

    await client.deleteUserWithRequest(id, { hardDelete: true } as never);
    expect((await failure(client.retrieveUser(id))).statusCode).toBe(404);
    expect((await failure(client.retrieveUserByEmail(address))).statusCode).toBe(404);
    await client.refreshUserSearchIndex();
    expect((await client.searchUsersByQuery({ search: { queryString: address } })).response.total).toBe(0);
    // Nothing of the user remains readable in the event log or the views.
    const { eventStore } = svc.service.adapters;
    const log = JSON.stringify(await eventStore.readAll({ maxCount: 1_000_000 }));
    expect(log).not.toContain(address);
    expect(log).not.toContain('Erased');
    expect(await eventStore.readStream(`user-${id}`)).toEqual([]);
    expect(await svc.service.readModels.users.getIncludingDeleted(id)).toMatchObject({ deleted: true });
    expect(JSON.stringify(await svc.service.readModels.users.getIncludingDeleted(id))).not.toContain(address);
    // The id and the email can be used again.
    const again = await client.createUser(id, { user: { email: address, password: 'password-456' } });
    expect(again.response.user?.id).toBe(id);
    expect((await failure(client.deleteUser(randomUUID()))).statusCode).toBe(404);
  });

  it('bulk deletes by ids and by queryString, with dryRun and limit', async () => {
    const tag = randomUUID().slice(0, 8);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await client.createUser(none, { user: { email: `bulk${i}-${tag}@example.com`, password: 'password-123' } })).response.user!.id!);
    const dry = await client.deleteUsersByQuery({ userIds: ids, dryRun: true, hardDelete: true } as never);
    expect(dry.response).toMatchObject({ dryRun: true, hardDelete: true, total: 3 });
    expect((await client.retrieveUser(ids[0]!)).response.user?.active).toBe(true);
    const byQuery = await raw('DELETE', `/api/user/bulk?queryString=${encodeURIComponent(`bulk0-${tag}`)}`);
    expect(byQuery.body).toMatchObject({ dryRun: false, hardDelete: false, total: 1, userIds: [ids[0]] });
    expect((await client.retrieveUser(ids[0]!)).response.user?.active).toBe(false);
    const limited = await client.deleteUsersByQuery({ userIds: ids.slice(1), hardDelete: true, limit: 1 } as never);
    expect(limited.response.total).toBe(1);
    const nothing = await client.deleteUsersByQuery({ userIds: [randomUUID()] } as never);
    expect(nothing.response).toEqual({ dryRun: false, hardDelete: false, total: 0 });
    expect((await raw('DELETE', '/api/user/bulk', {})).status).toBe(400);
    expect((await raw('DELETE', '/api/user/bulk', { userIds: ['x'] })).body.fieldErrors['userIds[0]'][0].code).toBe('[couldNotConvert]userIds[0]');
  });
});

describe('search, recent logins, history, registrations', () => {
  it('searches by ids, queryString, sort and paging; PUT refreshes; POST reindex rebuilds', async () => {
    const tag = randomUUID().slice(0, 8);
    const ids: string[] = [];
    for (const name of ['Charlie', 'Alice', 'Bob']) ids.push((await client.createUser(none, { user: { email: `${name.toLowerCase()}-${tag}@search.example`, firstName: name, password: 'password-123' } })).response.user!.id!);
    await client.refreshUserSearchIndex();
    const page = await client.searchUsersByQuery({ search: { queryString: tag, sortFields: [{ name: 'email', order: 'asc' as never }], numberOfResults: 2, startRow: 0 } });
    expect(page.response.total).toBe(3);
    expect(page.response.users?.map((u) => u.firstName)).toEqual(['Alice', 'Bob']);
    const second = await client.searchUsersByQuery({ search: { queryString: tag, sortFields: [{ name: 'email', order: 'asc' as never }], numberOfResults: 2, startRow: 2 } });
    expect(second.response.users?.map((u) => u.firstName)).toEqual(['Charlie']);
    const byIds = await client.searchUsersByIds([ids[1]!, ids[0]!]);
    expect(byIds.response.users?.map((u) => u.id)).toEqual([ids[1], ids[0]]);
    const get = await raw('GET', `/api/user/search?queryString=${tag}&sortFields[0].name=email&sortFields[0].order=desc&numberOfResults=1&expand=registrations`);
    expect(get.body.users[0].firstName).toBe('Charlie');
    expect(get.body.expandable).toEqual(['memberships']);
    expect((await raw('GET', '/api/user/search?startRow=minus')).status).toBe(400);
    expect((await raw('POST', '/api/user/search', { search: { numberOfResults: 'many', queryString: 'x' } })).body.fieldErrors['search.numberOfResults']).toBeTruthy();
    expect((await raw('POST', '/api/user/search', { search: {} })).status).toBe(400);
    expect((await raw('POST', '/api/user/search', {})).status).toBe(400);

    expect((await client.reindex({ index: 'fusionauth_user' })).statusCode).toBe(202);
    const started = Date.now();
    while ((await raw('GET', '/api/system/reindex')).body.reindexStatus !== 'Idle' && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 50));
    expect((await client.searchUsersByQuery({ search: { queryString: tag } })).response.total).toBe(3);
    expect((await raw('POST', '/api/system/reindex', { index: 'nope' })).status).toBe(400);
  });

  it('lists recent logins newest first, per user and overall; shows a user history without secrets', async () => {
    const address = email();
    const id = (await client.createUser(none, { user: { email: address, password: 'password-123' } })).response.user!.id!;
    for (let i = 0; i < 3; i++) await client.login({ loginId: address, password: 'password-123', ipAddress: `10.0.0.${i}` });
    const mine = await client.retrieveUserRecentLogins(id, 0, 2);
    expect(mine.response.logins?.map((l) => l.ipAddress)).toEqual(['10.0.0.2', '10.0.0.1']);
    expect(mine.response.logins?.[0]?.loginId).toBe(address);
    const next = await client.retrieveUserRecentLogins(id, 2, 2);
    expect(next.response.logins?.map((l) => l.ipAddress)).toEqual(['10.0.0.0']);
    const started = Date.now();
    let all = await client.retrieveRecentLogins(0, 1);
    while (all.response.logins?.[0]?.userId !== id && Date.now() - started < 5_000) all = await client.retrieveRecentLogins(0, 1);
    expect(all.response.logins?.[0]?.userId).toBe(id);
    expect((await raw('GET', '/api/user/recent-login?limit=x')).status).toBe(400);
    expect((await failure(client.retrieveUserRecentLogins(randomUUID(), 0, 10))).statusCode).toBe(404);

    await client.updateUser(id, { user: { email: address, password: 'another-password', firstName: 'H' } });
    const history = await raw('GET', `/api/user/${id}/history`);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual(['UserCreated', 'LoginSucceeded', 'LoginSucceeded', 'LoginSucceeded', 'UserUpdated']);
    expect(history.body.events[4].changedFields).toEqual(['firstName', 'password']);
    expect(history.text).not.toContain('argon2');
    expect((await raw('GET', `/api/user/${id}/history?limit=no`)).status).toBe(400);
  });

  it('registrations: user+registration, register, retrieve, update, patch, delete; roles validated', async () => {
    const app = await client.createApplication(none, { application: { name: `reg-${randomUUID()}`, tenantId: defaultTenantId, roles: [{ name: 'admin' }, { name: 'user' }] } as never });
    const appId = app.response.application!.id!;
    const both = await client.register(none, { user: { email: email(), password: 'password-123' }, registration: { applicationId: appId, roles: ['user'] } } as never);
    const userId = both.response.user!.id!;
    expect(both.response.registration?.roles).toEqual(['user']);
    expect((await client.retrieveRegistration(userId, appId)).response.registration?.applicationId).toBe(appId);
    const updated = await client.updateRegistration(userId, { registration: { applicationId: appId, roles: ['admin', 'user'], data: { a: 1 } } } as never);
    expect(updated.response.registration?.roles).toEqual(['admin', 'user']);
    const patched = await client.patchRegistration(userId, { registration: { applicationId: appId, data: { b: 2 } } } as never);
    expect(patched.response.registration?.data).toEqual({ a: 1, b: 2 });
    expect((await client.retrieveUser(userId)).response.user?.registrations?.[0]?.roles).toEqual(['admin', 'user']);
    const badRole = await failure(client.updateRegistration(userId, { registration: { applicationId: appId, roles: ['root'] } } as never));
    expect(badRole.exception.fieldErrors['registration.roles'][0].code).toBe('[invalid]registration.roles');
    const dup = await failure(client.register(userId, { registration: { applicationId: appId } } as never));
    expect(dup.statusCode).toBe(400);
    expect((await raw('POST', `/api/user/registration/${userId}`, { registration: { applicationId: 'x' } })).status).toBe(400);
    await client.deleteRegistration(userId, appId);
    expect((await failure(client.retrieveRegistration(userId, appId))).statusCode).toBe(404);
    expect((await failure(client.deleteRegistration(userId, appId))).statusCode).toBe(404);
  });
});

describe('tenant isolation', () => {
  it('a tenant-locked key cannot read, search, change or delete another tenant’s users', async () => {
    const tenantId = randomUUID();
    await client.createTenant(tenantId, { tenant: { name: `iso-${tenantId}` } as never });
    const lockedKey = `locked-${randomUUID()}`;
    await client.createAPIKey(none, { apiKey: { key: lockedKey, tenantId } as never });
    const locked = new FusionAuthClient(lockedKey, svc.url);
    const tag = randomUUID().slice(0, 8);
    const victim = (await client.createUser(none, { user: { email: `victim-${tag}@example.com`, password: 'password-123' } })).response.user!;
    const own = (await locked.createUser(none, { user: { email: `own-${tag}@example.com`, password: 'password-123' } })).response.user!;
    expect(own.tenantId).toBe(tenantId);

    expect((await failure(locked.retrieveUser(victim.id!))).statusCode).toBe(404);
    expect((await failure(locked.retrieveUserByEmail(victim.email!))).statusCode).toBe(404);
    expect((await failure(locked.updateUser(victim.id!, { user: { email: victim.email! } }))).statusCode).toBe(404);
    expect((await failure(locked.patchUser(victim.id!, { user: { firstName: 'X' } } as never))).statusCode).toBe(404);
    expect((await failure(locked.deactivateUser(victim.id!))).statusCode).toBe(404);
    expect((await failure(locked.deleteUserWithRequest(victim.id!, { hardDelete: true } as never))).statusCode).toBe(404);
    expect((await locked.deleteUsersByQuery({ userIds: [victim.id!], hardDelete: true } as never)).response.total).toBe(0);
    await client.refreshUserSearchIndex();
    const found = await locked.searchUsersByQuery({ search: { queryString: tag } });
    expect(found.response.users?.map((u) => u.id)).toEqual([own.id]);
    expect((await locked.searchUsersByIds([victim.id!])).response.users).toEqual([]);
    expect((await failure(locked.retrieveUserRecentLogins(victim.id!, 0, 10))).statusCode).toBe(404);
    expect((await client.retrieveUser(victim.id!)).response.user?.active).toBe(true);
  });
});
