/**
 * Every public event type the service produces, driven through the real API with FusionAuth's client
 * and delivered to a webhook receiver on loopback; each body validated against the JSON Schema the
 * service serves (`/api/event-schema`) and checked for the user it is about.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../support/webhook-receiver.js';
import { schemaValidator } from '../support/public-events.js';

const FACEBOOK_ID = '56abdcc7-8bd9-4321-9621-4e9bbebae494';

let svc: TestService;
let client: FusionAuthClient;
let receiver: WebhookReceiver;
let validate: (body: any) => string[];
let tenantId: string;

beforeAll(async () => {
  svc = await startTestService();
  tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
  client = new FusionAuthClient(svc.apiKey, svc.url, tenantId);
  await svc.client.patchTenant(tenantId, {
    tenant: { emailConfiguration: { verifyEmail: true }, passwordEncryptionConfiguration: { encryptionScheme: 'salted-sha256', encryptionSchemeFactor: 1, modifyEncryptionSchemeOnLogin: false } },
  } as never);
  receiver = await startWebhookReceiver();
  validate = await schemaValidator(svc.url);
  const schemas = await rawRequest(`${svc.url}/api/event-schema`);
  const everyType = Object.fromEntries(Object.keys(schemas.body.schemas).map((type) => [type, true]));
  await svc.client.createWebhook(null as unknown as string, { webhook: { url: receiver.url, global: true, eventsEnabled: everyType } as never });
});

afterAll(async () => {
  await receiver?.close();
  await svc?.destroy();
});

const aboutUser = (userId: string) => (r: ReceivedRequest) => r.body?.event?.user?.id === userId || r.body?.event?.userId === userId;

it('delivers every produced event type, each valid against its served schema', { timeout: 30_000 }, async () => {
  const app = (await svc.client.createApplication(null as unknown as string, { application: { name: `types-${randomUUID()}`, roles: [{ name: 'member' }, { name: 'admin' }], loginConfiguration: { generateRefreshTokens: true } } as never })).response.application!;
  await svc.client.createIdentityProvider(FACEBOOK_ID, { identityProvider: { type: 'Facebook', appId: '1234', client_secret: 'fb-secret', buttonText: 'Facebook', enabled: true } as never });

  const email = `types-${randomUUID()}@example.com`;
  const user = (await client.createUser(null as unknown as string, { user: { email, password: 'password-123', data: { step: 0 } } })).response.user!;
  const userId = user.id!;
  await client.updateUser(userId, { user: { email, password: 'password-123', data: { step: 1 } } } as never);
  // Email change (user.email.update with the update events) and a new password (user.password.update).
  const newEmail = `types-new-${randomUUID()}@example.com`;
  await client.patchUser(userId, { user: { email: newEmail } } as never);
  await client.changePasswordByIdentity({ loginId: newEmail, currentPassword: 'password-123', password: 'password-456' });
  const forgot = await client.forgotPassword({ loginId: newEmail, sendForgotPasswordEmail: false } as never);
  await client.changePassword(forgot.response.changePasswordId!, { password: 'password-789' });
  const verification = await rawRequest(`${svc.url}/api/user/verify-email?email=${encodeURIComponent(newEmail)}&sendVerifyEmail=false`, { method: 'PUT', apiKey: svc.apiKey, headers: { 'X-FusionAuth-TenantId': tenantId } });
  expect(verification.status).toBe(200);
  await client.verifyEmailAddress({ verificationId: verification.body.verificationId });
  await client.register(userId, { registration: { applicationId: app.id!, roles: ['member'] } });
  await client.updateRegistration(userId, { registration: { applicationId: app.id!, roles: ['member', 'admin'] } });
  const login = await client.login({ loginId: newEmail, password: 'password-789', applicationId: app.id! });
  expect(login.response.refreshToken).toEqual(expect.any(String));
  await failure(client.login({ loginId: newEmail, password: 'not-the-password' }));
  await client.revokeRefreshTokensByUserId(userId);
  await client.createUserLink({ identityProviderLink: { identityProviderId: FACEBOOK_ID, identityProviderUserId: `fb-${randomUUID().slice(0, 8)}`, userId, displayName: 'types' } } as never);
  await client.deleteRegistration(userId, app.id!);
  await client.deactivateUser(userId);
  await client.reactivateUser(userId);
  const importedId = randomUUID();
  await client.importUsers({ users: [{ id: importedId, email: `imported-${randomUUID()}@example.com`, password: 'plain-import-password' }] } as never);

  const expected = [
    'user.create', 'user.create.complete', 'user.update', 'user.update.complete', 'user.email.update', 'user.password.update',
    'user.password.reset.success', 'user.email.verified', 'user.registration.create', 'user.registration.create.complete',
    'user.registration.update', 'user.registration.update.complete', 'user.login.success', 'user.login.failed',
    'jwt.refresh-token.revoke', 'user.identity-provider.link', 'user.registration.delete', 'user.registration.delete.complete',
    'user.deactivate', 'user.reactivate',
  ];
  const typesOf = (all: ReceivedRequest[]) => new Set(all.filter(aboutUser(userId)).map((r) => r.body.event.type));
  const isBulk = (r: ReceivedRequest) => r.body?.event?.type === 'user.bulk.create' && r.body.event.users.some((u: any) => u.id === importedId);
  const arrived = (types: string[]) =>
    receiver.waitFor((all) => types.every((type) => typesOf(all).has(type)) && all.some(isBulk), 15_000).catch((error) => {
      throw new Error(`${(error as Error).message}; missing: ${types.filter((t) => !typesOf(receiver.received).has(t)).join(', ')}`);
    });
  await arrived(expected);
  // A hard delete erases the user's events, undelivered ones included: it comes last.
  await client.deleteUserWithRequest(userId, { hardDelete: true } as never);
  expected.push('user.delete', 'user.delete.complete');
  await arrived(expected);

  const delivered = [...receiver.received.filter(aboutUser(userId)), ...receiver.received.filter(isBulk)];
  for (const request of delivered) {
    expect(validate(request.body), `${request.body.event.type} ${JSON.stringify(request.body)}`).toEqual([]);
    expect(request.body.event.tenantId).toBe(tenantId);
  }
  expect(new Set(delivered.map((r) => r.body.event.id)).size).toBe(delivered.length);
  const byType = (type: string) => delivered.find((r) => r.body.event.type === type)!.body.event;
  expect(byType('user.email.update').previousEmail).toBe(email);
  expect(byType('user.email.verified').user.email).toBe(newEmail);
  expect([...byType('user.registration.update').registration.roles].sort()).toEqual(['admin', 'member']);
  expect(byType('user.login.success').applicationId).toBe(app.id);
  expect(byType('user.login.failed').reason).toBeDefined();
  expect(byType('jwt.refresh-token.revoke').userId).toBe(userId);
  expect(byType('user.identity-provider.link').identityProviderLink.identityProviderId).toBe(FACEBOOK_ID);
  expect(byType('user.deactivate').user.id).toBe(userId);
  // After a hard delete nothing personal is sent: the delete events name the user by id only.
  expect(byType('user.delete').user).toEqual({ id: userId, tenantId });
  // Per-user order across the user's streams (user, login records, refresh tokens, links) is the log order.
  const order = receiver.received.filter(aboutUser(userId)).map((r) => r.body.event.type);
  expect(order.indexOf('user.login.success')).toBeLessThan(order.indexOf('jwt.refresh-token.revoke'));
  expect(order.indexOf('jwt.refresh-token.revoke')).toBeLessThan(order.indexOf('user.identity-provider.link'));
  expect(order.indexOf('user.identity-provider.link')).toBeLessThan(order.indexOf('user.registration.delete'));
  expect(order.at(-1)).toMatch(/^user\.delete/);
});
