/**
 * Start contract: Kickstart applied once on an empty store through the real API; stopping and
 * starting again keeps everything; configuration resources in FusionAuth's shapes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('kickstart', () => {
  it('applies a FusionAuth Kickstart file once: variables, #{UUID()}, apiKeys, requests through the API', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idstream-kickstart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const kickstartKey = `kickstart-${randomUUID()}`;
    const userId = randomUUID();
    writeFileSync(join(dir, 'app.json'), JSON.stringify({ application: { name: 'Inlined App', roles: [{ name: 'admin' }] } }));
    writeFileSync(
      join(dir, 'kickstart.json'),
      JSON.stringify({
        variables: { apiKey: kickstartKey, appId: '#{UUID()}', adminEmail: 'admin@example.com' },
        apiKeys: [{ key: '#{apiKey}', description: 'bootstrap' }],
        requests: [
          { method: 'POST', url: '/api/webhook', body: { webhook: { url: receiver.url, global: true, eventsEnabled: { 'user.create': true } } } },
          { method: 'POST', url: '/api/application/#{appId}', tenantId: '#{FUSIONAUTH_TENANT_ID}', body: '@{app.json}' },
          { method: 'POST', url: `/api/user/${userId}`, body: { user: { email: '#{adminEmail}', password: 'kickstart-password' } } },
        ],
      }),
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'idstream-kickstart-data-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestService({ dataDir, env: { IDSTREAM_KICKSTART: join(dir, 'kickstart.json') } });
    const client = new FusionAuthClient(kickstartKey, first.url);
    const apps = await client.retrieveApplications();
    const app = apps.response.applications?.find((a) => a.name === 'Inlined App');
    expect(app?.roles?.map((r) => r.name)).toEqual(['admin']);
    expect((await client.retrieveUser(userId)).response.user?.email).toBe('admin@example.com');
    await receiver.waitFor((all) => all.some((r) => r.body?.event?.user?.id === userId));
    await first.stop();

    // A second start with the same file changes nothing: the store is no longer empty.
    const second = await startTestService({ dataDir, env: { IDSTREAM_KICKSTART: join(dir, 'kickstart.json'), IDSTREAM_API_KEY: first.apiKey } });
    cleanups.push(() => second.stop());
    const again = await new FusionAuthClient(kickstartKey, second.url).retrieveApplications();
    expect(again.response.applications?.filter((a) => a.name === 'Inlined App')).toHaveLength(1);
  });
});

describe('restart keeps everything', () => {
  it('users, configuration and logins survive a stop and a start on the same data directory', async () => {
    const first = await startTestService();
    const email = `persist-${randomUUID()}@example.com`;
    const created = await first.client.createUser(null as unknown as string, { user: { email, password: 'persist-password' } });
    const app = await first.client.createApplication(null as unknown as string, { application: { name: `Persisted ${randomUUID()}` } });
    await first.stop();

    const second = await startTestService({ dataDir: first.dataDir, env: { IDSTREAM_API_KEY: first.apiKey } });
    cleanups.push(() => second.destroy());
    expect((await second.client.retrieveUser(created.response.user!.id!)).response.user?.email).toBe(email);
    expect((await second.client.retrieveApplication(app.response.application!.id!)).response.application?.name).toBe(app.response.application!.name);
    expect((await second.client.login({ loginId: email, password: 'persist-password' })).statusCode).toBe(200);
  });
});

describe('configuration resources', () => {
  let svc: TestService;
  it('tenant and application: create with and without id, retrieve, list, update, patch, delete', async () => {
    svc = await startTestService();
    cleanups.push(() => svc.destroy());
    const tenantId = randomUUID();
    const tenant = await svc.client.createTenant(tenantId, { tenant: { name: `Second ${tenantId}`, passwordValidationRules: { minLength: 12 }, customField: { kept: true } } as never });
    expect(tenant.response.tenant?.id).toBe(tenantId);
    expect(tenant.response.tenant?.passwordValidationRules?.minLength).toBe(12);
    expect(tenant.response.tenant?.externalIdentifierConfiguration?.passwordlessLoginTimeToLiveInSeconds).toBe(180);
    expect((tenant.response.tenant as Record<string, unknown>).customField).toEqual({ kept: true });

    // With two tenants, a create must say which one.
    const ambiguous = await failure(svc.client.createApplication(null as unknown as string, { application: { name: 'Where?' } }));
    expect(ambiguous.statusCode).toBe(400);
    const app = await svc.client.createApplication(null as unknown as string, { application: { name: 'Mine', tenantId, roles: [{ name: 'admin' }] } as never });
    expect(app.response.application?.tenantId).toBe(tenantId);
    expect(app.response.application?.loginConfiguration?.requireAuthentication).toBe(true);
    const appId = app.response.application!.id!;

    const updated = await svc.client.updateApplication(appId, { application: { ...app.response.application, name: 'Renamed' } });
    expect(updated.response.application?.name).toBe('Renamed');
    const patched = await svc.client.patchApplication(appId, { application: { passwordlessConfiguration: { enabled: true } } });
    expect(patched.response.application?.passwordlessConfiguration?.enabled).toBe(true);
    expect(patched.response.application?.name).toBe('Renamed');
    expect((await svc.client.retrieveApplications()).response.applications?.some((a) => a.id === appId)).toBe(true);

    await svc.client.deleteApplication(appId);
    expect((await failure(svc.client.retrieveApplication(appId))).statusCode).toBe(404);
    const missingName = await failure(svc.client.createTenant(null as unknown as string, { tenant: {} }));
    expect(missingName.exception.fieldErrors['tenant.name'][0].code).toBe('[blank]tenant.name');
    await svc.client.deleteTenant(tenantId);
    expect((await failure(svc.client.retrieveTenant(tenantId))).statusCode).toBe(404);
  });

  it('API keys are stored hashed, shown once, tenant-locked keys see only their tenant, and endpoint permissions hold', async () => {
    const created = await svc.client.createAPIKey(null as unknown as string, { apiKey: { permissions: { endpoints: { '/api/user': ['GET'] } } } as never });
    const key = created.response.apiKey?.key;
    expect(key).toMatch(/.{32,}/);
    const retrieved = await svc.client.retrieveAPIKey(created.response.apiKey!.id!);
    expect(retrieved.response.apiKey?.key).toBeUndefined();
    const limited = new FusionAuthClient(key!, svc.url);
    expect((await failure(limited.retrieveUser(randomUUID()))).statusCode).toBe(404);
    expect((await failure(limited.createUser(null as unknown as string, { user: { email: `p-${randomUUID()}@example.com`, password: 'password-123' } }))).statusCode).toBe(401);

    const otherTenant = await svc.client.createTenant(null as unknown as string, { tenant: { name: `Locked ${randomUUID()}` } });
    const otherTenantId = otherTenant.response.tenant!.id!;
    const lockedKey = `locked-${randomUUID()}`;
    await svc.client.createAPIKey(null as unknown as string, { apiKey: { key: lockedKey, tenantId: otherTenantId } as never });
    const locked = new FusionAuthClient(lockedKey, svc.url);
    const inDefault = await svc.client.createUser(null as unknown as string, {
      user: { email: `default-${randomUUID()}@example.com`, password: 'password-123' },
    }).catch(() => undefined);
    // Two tenants now exist, so the global key must name one for a create.
    expect(inDefault).toBeUndefined();
    const defaultTenantId = (await svc.client.retrieveTenants()).response.tenants!.find((t) => t.name === 'Default')!.id!;
    const defaultUser = await svc.client.setTenantId(defaultTenantId).createUser(null as unknown as string, {
      user: { email: `default-${randomUUID()}@example.com`, password: 'password-123' },
    });
    svc.client.setTenantId(undefined as unknown as string);
    expect((await failure(locked.retrieveUser(defaultUser.response.user!.id!))).statusCode).toBe(404);
    const own = await locked.createUser(null as unknown as string, { user: { email: `own-${randomUUID()}@example.com`, password: 'password-123' } });
    expect(own.response.user?.tenantId).toBe(otherTenantId);
    expect((await locked.retrieveTenants()).response.tenants?.map((t) => t.id)).toEqual([otherTenantId]);
  });
});
