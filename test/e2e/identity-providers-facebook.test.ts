/**
 * The Facebook identity provider end to end: the singleton configuration (fixed id, by type, secret
 * never returned), logins with a token or a code against a local Graph API stand-in (never the
 * internet), the long-lived token on the link, `/me/picture` only when needed, Graph errors, and the
 * linking strategies.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { FacebookGraphStandIn } from '../support/facebook-graph.js';

const FACEBOOK_ID = '56abdcc7-8bd9-4321-9621-4e9bbebae494';
const APP_ID = '385572258114379';
const APP_SECRET = 'facebook-app-secret-value';

let service: TestService;
let client: FusionAuthClient;
let graph: FacebookGraphStandIn;
let applicationId: string;
let otherApplicationId: string;

const login = (data: Record<string, string>, options: { noLink?: boolean; app?: string } = {}) =>
  client.identityProviderLogin({ applicationId: options.app ?? applicationId, identityProviderId: FACEBOOK_ID, data, ...(options.noLink && { noLink: true }) });

beforeAll(async () => {
  graph = await new FacebookGraphStandIn(APP_ID, APP_SECRET).start();
  service = await startTestService({ env: { IDSTREAM_FACEBOOK_GRAPH_URL: graph.url } });
  client = service.client;
  applicationId = (await client.createApplication(randomUUID(), { application: { name: 'FB app' } })).response.application!.id!;
  otherApplicationId = (await client.createApplication(randomUUID(), { application: { name: 'FB other app' } })).response.application!.id!;
}, 60_000);

afterAll(async () => {
  await service?.destroy();
  await graph?.stop();
});

describe('Facebook configuration', () => {
  it('is a singleton with a fixed id, defaults stored, and a client secret never returned', async () => {
    const created = await client.createIdentityProvider(undefined as never, {
      identityProvider: {
        type: 'Facebook',
        appId: APP_ID,
        client_secret: APP_SECRET,
        buttonText: 'Login with Facebook',
        enabled: true,
        applicationConfiguration: {
          [applicationId]: { enabled: true, createRegistration: true },
          [otherApplicationId]: { enabled: true, createRegistration: false, fields: 'email,name,picture' },
        },
      } as never,
    });
    const idp = created.response.identityProvider as Record<string, any>;
    expect(idp).toMatchObject({ id: FACEBOOK_ID, name: 'Facebook', type: 'Facebook', fields: 'email', permissions: 'email', linkingStrategy: 'LinkByEmail', loginMethod: 'UseRedirect', debug: false, enabled: true });
    expect(JSON.stringify(created.response)).not.toContain(APP_SECRET);
    expect(idp.client_secret).toBeUndefined();
    const byType = await client.retrieveIdentityProviderByType('Facebook' as never);
    expect(byType.response.identityProvider?.id).toBe(FACEBOOK_ID);
    expect((await client.retrieveIdentityProvider(FACEBOOK_ID)).response.identityProvider?.name).toBe('Facebook');
    // A second Facebook provider cannot exist.
    const second = await failure(client.createIdentityProvider(undefined as never, { identityProvider: { type: 'Facebook', appId: 'x', client_secret: 'y', buttonText: 'z' } as never }));
    expect(second.exception.fieldErrors['identityProvider.id'][0].code).toBe('[duplicate]identityProvider.id');
    const otherId = await failure(client.createIdentityProvider(randomUUID(), { identityProvider: { type: 'Facebook', appId: 'x', client_secret: 'y', buttonText: 'z' } as never }));
    expect(otherId.exception.fieldErrors['identityProvider.id'][0].code).toBe('[invalid]identityProvider.id');
    // PUT by type without the secret keeps the stored one (a GET → PUT round trip works).
    const put = await rawRequest(`${service.url}/api/identity-provider?type=Facebook`, {
      method: 'PUT', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ identityProvider: { ...idp, buttonText: 'Continue with Facebook' } }),
    });
    expect(put.status).toBe(200);
    expect(put.body.identityProvider.buttonText).toBe('Continue with Facebook');
    const patched = await rawRequest(`${service.url}/api/identity-provider?type=Facebook`, {
      method: 'PATCH', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ identityProvider: { permissions: 'email,public_profile' } }),
    });
    expect(patched.body.identityProvider).toMatchObject({ permissions: 'email,public_profile', buttonText: 'Continue with Facebook' });
  });

  it('answers 400 with the Errors JSON for bad Facebook configuration', async () => {
    const missing = await rawRequest(`${service.url}/api/identity-provider/${FACEBOOK_ID}`, {
      method: 'PUT', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ identityProvider: { type: 'Facebook', loginMethod: 'UseCarrierPigeon', fields: 5 } }),
    });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.fieldErrors)).toEqual(expect.arrayContaining(['identityProvider.fields']));
    const invalid = await rawRequest(`${service.url}/api/identity-provider/${FACEBOOK_ID}`, {
      method: 'PUT', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ identityProvider: { type: 'Facebook', loginMethod: 'UseCarrierPigeon' } }),
    });
    expect(Object.keys(invalid.body.fieldErrors)).toEqual(expect.arrayContaining(['identityProvider.appId', 'identityProvider.buttonText', 'identityProvider.loginMethod']));
  });
});

describe('Facebook login', () => {
  it('logs in with a token: long-lived token on the link, picture from /me/picture', async () => {
    graph.calls.length = 0;
    const token = graph.issueToken({ id: '10001', email: 'zuck@example.com', name: 'Mark' });
    const result = await login({ token });
    expect(result.statusCode).toBe(200);
    expect(result.response.user).toMatchObject({ email: 'zuck@example.com', imageUrl: 'https://graph.example.test/10001/large.jpg', verified: true });
    expect(result.response.token).toBeTruthy();
    expect(graph.calls.map((c) => c.path)).toEqual(['/oauth/access_token', '/me', '/me/picture']);
    expect(graph.calls[0]!.query).toMatchObject({ grant_type: 'fb_exchange_token', client_id: APP_ID, client_secret: APP_SECRET, fb_exchange_token: token });
    expect(graph.calls[1]!.query.fields).toBe('email');
    const link = await client.retrieveUserLink(FACEBOOK_ID, '10001', result.response.user!.id!);
    expect(link.response.identityProviderLink).toMatchObject({ identityProviderId: FACEBOOK_ID, identityProviderUserId: '10001', identityProviderType: 'Facebook', displayName: 'zuck@example.com' });
    expect(link.response.identityProviderLink?.token).toBe(graph.calls[1]!.query.access_token);
    expect(link.response.identityProviderLink?.token).toMatch(/^LL/);
  });

  it('logs in with a code and redirect_uri; skips /me/picture when picture is a requested field; 202 without registration', async () => {
    graph.calls.length = 0;
    const code = graph.issueCode({ id: '10002', email: 'sheryl@example.com' }, 'https://login.piedpiper.com/oauth2/callback');
    const result = await login({ code, redirect_uri: 'https://login.piedpiper.com/oauth2/callback' }, { app: otherApplicationId });
    // createRegistration is false for this application: authenticated but not registered.
    expect(result.statusCode).toBe(202);
    expect(result.response.user?.imageUrl).toBe('https://graph.example.test/10002/inline.jpg');
    expect(graph.calls.map((c) => c.path)).toEqual(['/oauth/access_token', '/oauth/access_token', '/me']);
    expect(graph.calls[0]!.query).toMatchObject({ code, redirect_uri: 'https://login.piedpiper.com/oauth2/callback' });
    expect(graph.calls[2]!.query.fields).toBe('email,name,picture');
  });

  it('maps Graph errors to 401 and an unreachable Graph API to 503', async () => {
    const invalid = await failure(login({ token: 'not-a-facebook-token' }));
    expect(invalid.statusCode).toBe(401);
    expect(invalid.exception.generalErrors[0].code).toBe('[FacebookTokenInvalid]');
    expect(invalid.exception.generalErrors[0].message).toContain('OAuthException');
    const badCode = await failure(login({ code: 'unknown', redirect_uri: 'https://x.test/cb' }));
    expect(badCode.statusCode).toBe(401);
    const down = await startTestService({ env: { IDSTREAM_FACEBOOK_GRAPH_URL: 'http://127.0.0.1:9' } });
    try {
      const app = (await down.client.createApplication(randomUUID(), { application: { name: 'down' } })).response.application!.id!;
      await down.client.createIdentityProvider(undefined as never, {
        identityProvider: { type: 'Facebook', appId: APP_ID, client_secret: APP_SECRET, buttonText: 'FB', enabled: true, applicationConfiguration: { [app]: { enabled: true } } } as never,
      });
      const unreachable = await failure(down.client.identityProviderLogin({ applicationId: app, identityProviderId: FACEBOOK_ID, data: { token: 'x' } }));
      expect(unreachable.statusCode).toBe(503);
      expect(unreachable.exception.generalErrors[0].code).toBe('[FacebookUnavailable]');
    } finally {
      await down.destroy();
    }
  });

  it('answers 400 with the Errors JSON for bad Facebook login input and disabled applications', async () => {
    const none = await failure(login({}));
    expect(none.exception.fieldErrors['data.token'][0].code).toBe('[blank]data.token');
    const codeOnly = await failure(login({ code: 'abc' }));
    expect(codeOnly.exception.fieldErrors['data.redirect_uri'][0].code).toBe('[blank]data.redirect_uri');
    const notEnabled = (await client.createApplication(randomUUID(), { application: { name: 'FB not enabled' } })).response.application!.id!;
    const disabled = await failure(login({ token: graph.issueToken({ id: '1', email: 'x@example.com' }) }, { app: notEnabled }));
    expect(disabled.statusCode).toBe(400);
    expect(disabled.exception.generalErrors[0].code).toBe('[IdentityProviderDisabled]');
  });

  it('applies the linking strategies and noLink', async () => {
    const patch = (linkingStrategy: string) => client.patchIdentityProvider(FACEBOOK_ID, { identityProvider: { linkingStrategy } as never });
    // noLink: no link yet → 404; an existing link logs in.
    expect((await failure(login({ token: graph.issueToken({ id: '20001', email: 'nolink@example.com' }) }, { noLink: true }))).statusCode).toBe(404);
    expect((await login({ token: graph.issueToken({ id: '10001', email: 'zuck@example.com' }) }, { noLink: true })).statusCode).toBe(200);
    // An account without an email cannot be linked by email.
    const noEmail = await failure(login({ token: graph.issueToken({ id: '20002' }) }));
    expect(noEmail.statusCode).toBe(401);
    await patch('LinkByEmailForExistingUser');
    expect((await failure(login({ token: graph.issueToken({ id: '20003', email: 'nobody@example.com' }) }))).statusCode).toBe(404);
    const existing = await client.createUser(randomUUID(), { user: { email: 'existing@example.com', password: 'correct horse battery' } });
    expect((await login({ token: graph.issueToken({ id: '20004', email: 'existing@example.com' }) })).response.user?.id).toBe(existing.response.user!.id);
    await patch('LinkAnonymously');
    const anonymous = await login({ token: graph.issueToken({ id: '20005' }) });
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.response.user?.email).toBeUndefined();
    await patch('LinkByUsername');
    expect((await failure(login({ token: graph.issueToken({ id: '20006', email: 'u@example.com' }) }))).statusCode).toBe(401);
    await patch('Disabled');
    expect((await failure(login({ token: graph.issueToken({ id: '20007', email: 'd@example.com' }) }))).statusCode).toBe(404);
    await patch('CreatePendingLink');
    const pending = await login({ token: graph.issueToken({ id: '20008', email: 'p@example.com' }) });
    expect(pending.statusCode).toBe(232);
    const target = await client.createUser(randomUUID(), { user: { email: 'pending-target@example.com', password: 'correct horse battery' } });
    const linked = await client.createUserLink({ pendingIdPLinkId: (pending.response as { pendingIdPLinkId: string }).pendingIdPLinkId, identityProviderLink: { userId: target.response.user!.id } });
    // The long-lived token travels with the pending link.
    expect(linked.response.identityProviderLink?.token).toMatch(/^LL/);
    await patch('LinkByEmail');
  });

  it('debug: true writes Event Log entries for each Graph call, without tokens or the client secret', async () => {
    await client.patchIdentityProvider(FACEBOOK_ID, { identityProvider: { debug: true } as never });
    try {
      const token = graph.issueToken({ id: '10099', email: 'debug@example.com', name: 'Debbie' });
      expect((await login({ token })).statusCode).toBe(200);
      await service.service.projector!.eventLog.catchUp();
      const found = await client.searchEventLogs({ search: { message: 'Facebook identity provider', type: 'Debug' as never, numberOfResults: 50 } });
      const messages = found.response.eventLogs!.map((e) => e.message!).reverse();
      expect(messages).toEqual([
        expect.stringContaining('login started'),
        expect.stringContaining('Graph /oauth/access_token answered HTTP 200'),
        expect.stringContaining('Graph /me answered HTTP 200'),
        expect.stringContaining('Graph /me returned the fields [id, email'),
        expect.stringContaining('Graph /me/picture answered HTTP 200'),
        expect.stringContaining('login reconciled with the linking strategy [LinkByEmail]: status 200'),
      ]);
      const all = JSON.stringify(found.response);
      for (const secret of [token, APP_SECRET, 'debug@example.com', 'Debbie']) expect(all).not.toContain(secret);
    } finally {
      await client.patchIdentityProvider(FACEBOOK_ID, { identityProvider: { debug: false } as never });
    }
  });

  it('deletes by type', async () => {
    await rawRequest(`${service.url}/api/identity-provider?type=Facebook`, { method: 'DELETE', apiKey: service.apiKey }).then((r) => expect(r.status).toBe(200));
    expect((await failure(client.retrieveIdentityProviderByType('Facebook' as never))).statusCode).toBe(404);
  });
});
