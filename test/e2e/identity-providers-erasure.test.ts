/**
 * An external identity whose linked user was hard-deleted is free again: the next login through the
 * identity provider creates (or links) a user instead of answering 401 [IdentityProviderLinkConflict].
 * A deactivated user keeps the identity. Uses the local Facebook Graph stand-in.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { failure, startTestService, type TestService } from '../support/harness.js';
import { FacebookGraphStandIn } from '../support/facebook-graph.js';

const FACEBOOK_ID = '56abdcc7-8bd9-4321-9621-4e9bbebae494';
const APP_ID = '385572258114379';
const APP_SECRET = 'facebook-app-secret-erasure';

let svc: TestService;
let graph: FacebookGraphStandIn;
let applicationId: string;

beforeAll(async () => {
  graph = await new FacebookGraphStandIn(APP_ID, APP_SECRET).start();
  svc = await startTestService({ env: { IDSTREAM_FACEBOOK_GRAPH_URL: graph.url } });
  applicationId = (await svc.client.createApplication(randomUUID(), { application: { name: 'erasure app' } })).response.application!.id!;
  await svc.client.createIdentityProvider(undefined as never, {
    identityProvider: { type: 'Facebook', appId: APP_ID, client_secret: APP_SECRET, buttonText: 'Facebook', enabled: true, applicationConfiguration: { [applicationId]: { enabled: true, createRegistration: true } } } as never,
  });
});

afterAll(async () => {
  await svc?.destroy();
  await graph?.stop();
});

const login = (account: { id: string; email: string }) =>
  svc.client.identityProviderLogin({ applicationId, identityProviderId: FACEBOOK_ID, data: { token: graph.issueToken(account) } });

it('lets a hard-deleted user\'s external identity log in again, as a new user, and link the Link API to another user', async () => {
  const account = { id: `fb-${randomUUID().slice(0, 8)}`, email: `erased-${randomUUID()}@example.com` };
  const first = await login(account);
  expect(first.statusCode).toBe(200);
  const firstUserId = first.response.user!.id!;

  await svc.client.deleteUserWithRequest(firstUserId, { hardDelete: true } as never);
  expect((await failure(svc.client.retrieveUser(firstUserId))).statusCode).toBe(404);

  // Before the fix: 401 [IdentityProviderLinkConflict], the claim still naming the erased user.
  const again = await login(account);
  expect(again.statusCode).toBe(200);
  const secondUserId = again.response.user!.id!;
  expect(secondUserId).not.toBe(firstUserId);
  expect(again.response.user?.email).toBe(account.email);
  const link = await svc.client.retrieveUserLink(FACEBOOK_ID, account.id, secondUserId);
  expect(link.response.identityProviderLink).toMatchObject({ userId: secondUserId, identityProviderUserId: account.id });
  // And it logs in as that user from now on.
  expect((await login(account)).response.user?.id).toBe(secondUserId);

  // Erase the second owner; the Link API may now give the identity to an existing user.
  await svc.client.deleteUserWithRequest(secondUserId, { hardDelete: true } as never);
  const other = (await svc.client.createUser(null as unknown as string, { user: { email: `other-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
  const linked = await svc.client.createUserLink({ identityProviderLink: { identityProviderId: FACEBOOK_ID, identityProviderUserId: account.id, userId: other.id!, displayName: 'other' } } as never);
  expect(linked.statusCode).toBe(200);
  expect((await login(account)).response.user?.id).toBe(other.id);
});

it('keeps the identity with a deactivated (not deleted) user', async () => {
  const account = { id: `fb-${randomUUID().slice(0, 8)}`, email: `kept-${randomUUID()}@example.com` };
  const owner = (await login(account)).response.user!.id!;
  await svc.client.deactivateUser(owner);
  const other = (await svc.client.createUser(null as unknown as string, { user: { email: `other-${randomUUID()}@example.com`, password: 'password-123' } })).response.user!;
  const refused = await failure(svc.client.createUserLink({ identityProviderLink: { identityProviderId: FACEBOOK_ID, identityProviderUserId: account.id, userId: other.id!, displayName: 'x' } } as never));
  expect(refused.statusCode).toBe(400);
  expect(refused.exception.fieldErrors['identityProviderLink.identityProviderUserId'][0].code).toBe('[duplicate]identityProviderLink.identityProviderUserId');
});
