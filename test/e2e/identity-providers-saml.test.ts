/**
 * SAML v2 identity providers end to end: configuration through the FusionAuth client, keys imported
 * through the Key API, logins answered by a real samlify IdP on loopback, every refusal, the linking
 * strategies, the Link API, domain lookup and tenant isolation.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { selfSignedCertificate, TestSamlIdp, type SamlUser } from '../support/saml-idp.js';

const SP_ENTITY_ID = 'https://sp.idstream.test';
const ACS_URL = 'https://app.example.test/saml/acs';

let service: TestService;
let client: FusionAuthClient;
let idp: TestSamlIdp;
const keyId = randomUUID();
const idpId = randomUUID();
let applicationId: string;
/** The user the first SAML login created. */
let adaId: string;

const samlUser = (email: string, extra: Record<string, string> = {}): SamlUser => ({
  nameId: email,
  attributes: { email, first_name: 'Ada', last_name: 'Lovelace', name: 'Ada Lovelace', ...extra },
});

/** The browser flow: start, follow the redirect to the IdP, take the SAMLResponse it POSTs back. */
async function browserLogin(user: SamlUser, options: { noLink?: boolean } = {}) {
  idp.currentUser = user;
  const started = await client.startIdentityProviderLogin({ identityProviderId: idpId, applicationId, data: { redirect_uri: ACS_URL } });
  const redirectURL = (started.response as { redirectURL: string }).redirectURL;
  expect(started.response.code).toMatch(/^_/);
  const page = await fetch(redirectURL);
  expect(page.status).toBe(200);
  const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(await page.text())![1]!;
  return login(samlResponse, options);
}

function login(samlResponse: string, options: { noLink?: boolean } = {}) {
  return client.identityProviderLogin({ applicationId, identityProviderId: idpId, data: { samlResponse }, ...(options.noLink && { noLink: true }) });
}

async function requestId(): Promise<string> {
  return (await client.startIdentityProviderLogin({ identityProviderId: idpId, applicationId, data: { redirect_uri: ACS_URL } })).response.code!;
}

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const encode = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

async function setStrategy(linkingStrategy: string, extra: Record<string, unknown> = {}) {
  await client.patchIdentityProvider(idpId, { identityProvider: { linkingStrategy, ...extra } as never });
}

beforeAll(async () => {
  idp = await new TestSamlIdp(SP_ENTITY_ID, ACS_URL).start();
  service = await startTestService();
  client = service.client;
  const imported = await client.importKey(keyId, { key: { name: 'Test IdP signing certificate', certificate: idp.keys.certificate } });
  expect(imported.response.key?.hasPrivateKey).toBe(false);
  const app = await client.createApplication(randomUUID(), {
    application: { name: 'SAML app', roles: [{ name: 'user', isDefault: true } as never, { name: 'admin' } as never] },
  } as never);
  applicationId = app.response.application!.id!;
  await client.createIdentityProvider(idpId, {
    identityProvider: {
      type: 'SAMLv2',
      name: 'Test IdP',
      buttonText: 'Login with Test IdP',
      buttonImageURL: 'https://idp.example.test/button.png',
      issuer: SP_ENTITY_ID,
      idpEndpoint: `${idp.url}/sso`,
      keyId,
      emailClaim: 'email',
      usernameClaim: 'username',
      enabled: true,
      debug: false,
      domains: ['Example.com', 'example.org'],
      applicationConfiguration: { [applicationId]: { enabled: true, createRegistration: true, buttonText: 'App button' } },
    } as never,
  });
}, 60_000);

afterAll(async () => {
  await service?.destroy();
  await idp?.stop();
});

describe('Key API', () => {
  it('imports, generates, lists, renames and deletes keys; a key in use is refused', async () => {
    const retrieved = await client.retrieveKey(keyId);
    expect(retrieved.response.key).toMatchObject({ id: keyId, name: 'Test IdP signing certificate', algorithm: 'RS256', type: 'RSA', hasPrivateKey: false });
    expect(retrieved.response.key?.certificate).toContain('BEGIN CERTIFICATE');
    expect(retrieved.response.key?.certificateInformation?.subject).toContain('Test SAML IdP');
    const generated = await client.generateKey(randomUUID(), { key: { name: 'generated', algorithm: 'ES256' as never } });
    expect(generated.response.key).toMatchObject({ algorithm: 'ES256', hasPrivateKey: true });
    expect(JSON.stringify(generated.response)).not.toContain('PRIVATE KEY');
    const other = selfSignedCertificate('Another');
    const withPrivate = await client.importKey(randomUUID(), { key: { name: 'pair', privateKey: other.privateKey, certificate: other.certificate } });
    expect(withPrivate.response.key?.hasPrivateKey).toBe(true);
    expect(JSON.stringify(withPrivate.response)).not.toContain('PRIVATE KEY');
    const keys = (await client.retrieveKeys()).response.keys!.map((k) => k.id);
    expect(keys).toEqual(expect.arrayContaining([keyId, generated.response.key!.id, withPrivate.response.key!.id]));
    const renamed = await client.updateKey(withPrivate.response.key!.id!, { key: { name: 'renamed pair' } });
    expect(renamed.response.key?.name).toBe('renamed pair');
    await client.deleteKey(withPrivate.response.key!.id!);
    expect((await failure(client.retrieveKey(withPrivate.response.key!.id!))).statusCode).toBe(404);
    const inUse = await failure(client.deleteKey(keyId));
    expect(inUse.statusCode).toBe(400);
    expect(inUse.exception.generalErrors[0].code).toBe('[KeyInUse]');
  });

  it('answers 400 with the Errors JSON for bad key input', async () => {
    const noName = await failure(client.importKey(randomUUID(), { key: { certificate: idp.keys.certificate } }));
    expect(noName.exception.fieldErrors['key.name'][0].code).toBe('[blank]key.name');
    const badCert = await failure(client.importKey(randomUUID(), { key: { name: 'bad', certificate: 'not a certificate' } }));
    expect(badCert.exception.fieldErrors['key.certificate'][0].code).toBe('[invalid]key.certificate');
    const nothing = await failure(client.importKey(randomUUID(), { key: { name: 'empty' } }));
    expect(nothing.statusCode).toBe(400);
    const duplicate = await failure(client.importKey(keyId, { key: { name: 'again', certificate: idp.keys.certificate } }));
    expect(duplicate.exception.fieldErrors['key.id'][0].code).toBe('[duplicate]key.id');
    const malformed = await rawRequest(`${service.url}/api/key/import`, { method: 'POST', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: '{"key":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.generalErrors[0].code).toBe('[invalidJSON]');
    const wrongType = await rawRequest(`${service.url}/api/key/generate`, { method: 'POST', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: '{"key":"x"}' });
    expect(wrongType.status).toBe(400);
  });
});

describe('SAML v2 configuration', () => {
  it('creates, retrieves (id, type, list), updates, patches in three formats and deletes', async () => {
    const retrieved = (await client.retrieveIdentityProvider(idpId)).response.identityProvider as Record<string, any>;
    expect(retrieved).toMatchObject({
      id: idpId,
      type: 'SAMLv2',
      name: 'Test IdP',
      buttonText: 'Login with Test IdP',
      buttonImageURL: 'https://idp.example.test/button.png',
      enabled: true,
      debug: false,
      useNameIdForEmail: false,
      linkingStrategy: 'LinkByEmail',
      nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
      domains: ['example.com', 'example.org'],
      keyId,
    });
    expect(retrieved.applicationConfiguration[applicationId]).toEqual({ enabled: true, createRegistration: true, buttonText: 'App button' });
    expect(typeof retrieved.insertInstant).toBe('number');
    expect((await client.retrieveIdentityProviders()).response.identityProviders!.map((p) => p.id)).toContain(idpId);
    expect((await client.retrieveIdentityProviderByType('SAMLv2' as never)).response.identityProvider?.type).toBe('SAMLv2');

    // A second provider, created without an id, then changed every way and deleted.
    const created = await client.createIdentityProvider(undefined as never, {
      identityProvider: { type: 'SAMLv2', name: 'Second', buttonText: 'Second', issuer: 'sp', idpEndpoint: 'https://second.example.test/sso', keyId, useNameIdForEmail: true } as never,
    });
    const secondId = created.response.identityProvider!.id!;
    expect(secondId).toMatch(/^[0-9a-f-]{36}$/);
    const put = await client.updateIdentityProvider(secondId, {
      identityProvider: { type: 'SAMLv2', name: 'Second (PUT)', buttonText: 'B', issuer: 'sp', idpEndpoint: 'https://second.example.test/sso', keyId, emailClaim: 'mail', domains: ['second.test'] } as never,
    });
    expect(put.response.identityProvider).toMatchObject({ name: 'Second (PUT)', emailClaim: 'mail', useNameIdForEmail: false, domains: ['second.test'] });
    // application/json: objects merge and arrays append (FusionAuth's documented behaviour).
    const merged = await client.patchIdentityProvider(secondId, { identityProvider: { domains: ['third.test'], debug: true } as never });
    expect(merged.response.identityProvider).toMatchObject({ domains: ['second.test', 'third.test'], debug: true, name: 'Second (PUT)' });
    const mergePatch = await rawRequest(`${service.url}/api/identity-provider/${secondId}`, {
      method: 'PATCH', apiKey: service.apiKey, headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ identityProvider: { domains: ['only.test'] } }),
    });
    expect(mergePatch.body.identityProvider.domains).toEqual(['only.test']);
    const jsonPatch = await rawRequest(`${service.url}/api/identity-provider/${secondId}`, {
      method: 'PATCH', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json-patch+json' }, body: JSON.stringify([{ op: 'replace', path: '/identityProvider/buttonText', value: 'Patched' }]),
    });
    expect(jsonPatch.status).toBe(200);
    expect(jsonPatch.body.identityProvider.buttonText).toBe('Patched');
    await client.deleteIdentityProvider(secondId);
    expect((await failure(client.retrieveIdentityProvider(secondId))).statusCode).toBe(404);
    expect((await failure(client.deleteIdentityProvider(secondId))).statusCode).toBe(404);
  });

  it('answers 400 with the Errors JSON for bad configuration input', async () => {
    const missing = await failure(client.createIdentityProvider(randomUUID(), { identityProvider: { type: 'SAMLv2' } as never }));
    expect(Object.keys(missing.exception.fieldErrors)).toEqual(
      expect.arrayContaining(['identityProvider.buttonText', 'identityProvider.name', 'identityProvider.issuer', 'identityProvider.idpEndpoint', 'identityProvider.keyId', 'identityProvider.emailClaim']),
    );
    const badTypes = await failure(client.createIdentityProvider(randomUUID(), { identityProvider: { type: 'SAMLv2', enabled: 'yes', domains: 'x' } as never }));
    expect(badTypes.exception.fieldErrors['identityProvider.enabled'][0].code).toBe('[couldNotConvert]identityProvider.enabled');
    const unknownType = await failure(client.createIdentityProvider(randomUUID(), { identityProvider: { type: 'LDAP' } as never }));
    expect(unknownType.exception.fieldErrors['identityProvider.type'][0].code).toBe('[invalid]identityProvider.type');
    const base = { type: 'SAMLv2', buttonText: 'x', issuer: 'sp', idpEndpoint: 'https://x.test/sso', emailClaim: 'email' };
    const badRefs = await failure(client.createIdentityProvider(randomUUID(), {
      identityProvider: { ...base, name: 'Refs', keyId: randomUUID(), linkingStrategy: 'Sometimes', applicationConfiguration: { [randomUUID()]: { enabled: true } }, tenantConfiguration: { [randomUUID()]: {} } } as never,
    }));
    expect(Object.keys(badRefs.exception.fieldErrors)).toEqual(expect.arrayContaining(['identityProvider.keyId', 'identityProvider.linkingStrategy']));
    const duplicateName = await failure(client.createIdentityProvider(randomUUID(), { identityProvider: { ...base, name: 'Test IdP', keyId } as never }));
    expect(duplicateName.exception.fieldErrors['identityProvider.name'][0].code).toBe('[duplicate]identityProvider.name');
    const takenDomain = await failure(client.createIdentityProvider(randomUUID(), { identityProvider: { ...base, name: 'Domains', keyId, domains: ['example.com'] } as never }));
    expect(takenDomain.exception.fieldErrors['identityProvider.domains'][0].code).toBe('[duplicate]identityProvider.domains');
    const malformed = await rawRequest(`${service.url}/api/identity-provider`, { method: 'POST', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: '{' });
    expect(malformed.status).toBe(400);
    const noBody = await rawRequest(`${service.url}/api/identity-provider/${idpId}`, { method: 'PUT', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(noBody.body.fieldErrors.identityProvider[0].code).toBe('[missing]identityProvider');
    const badType = await rawRequest(`${service.url}/api/identity-provider?type=Nope`, { apiKey: service.apiKey });
    expect(badType.status).toBe(400);
    expect((await rawRequest(`${service.url}/api/identity-provider`, {})).status).toBe(401);
  });

  it('looks up a provider by the domain of an email', async () => {
    const found = await client.lookupIdentityProvider('ada@EXAMPLE.com');
    expect(found.response.identityProvider).toMatchObject({ id: idpId, name: 'Test IdP', type: 'SAMLv2', idpEndpoint: `${idp.url}/sso`, applicationIds: [applicationId] });
    expect((await failure(client.lookupIdentityProvider('nowhere.test'))).statusCode).toBe(404);
    const blank = await rawRequest(`${service.url}/api/identity-provider/lookup`, { apiKey: service.apiKey });
    expect(blank.status).toBe(400);
    expect(blank.body.fieldErrors.domain[0].code).toBe('[blank]domain');
  });
});

describe('SAML v2 login', () => {
  it('logs in through the IdP: creates the user with the mapped claims, the registration with default roles, the link', async () => {
    const result = await browserLogin(samlUser('ada@example.com', { mobile_number: '+15551234', birthdate: '1815-12-10' }));
    expect(result.statusCode).toBe(200);
    const user = result.response.user!;
    adaId = user.id!;
    expect(user).toMatchObject({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', fullName: 'Ada Lovelace', mobilePhone: '+15551234', birthDate: '1815-12-10', verified: true });
    expect(user.registrations?.find((r) => r.applicationId === applicationId)?.roles).toEqual(['user']);
    expect(result.response.token).toBeTruthy();
    const links = await client.retrieveUserLinksByUserId(idpId, user.id!);
    expect(links.response.identityProviderLinks).toEqual([
      expect.objectContaining({ identityProviderId: idpId, identityProviderUserId: 'ada@example.com', identityProviderName: 'Test IdP', identityProviderType: 'SAMLv2', userId: user.id }),
    ]);
    // The same identity logs in as the same user.
    const again = await browserLogin(samlUser('ada@example.com'));
    expect(again.response.user?.id).toBe(user.id);
  });

  it('accepts assertion-signed, response-signed and doubly signed responses', async () => {
    for (const [signAssertion, signResponse] of [[true, false], [false, true], [true, true]] as const) {
      const response = await idp.respond({ user: samlUser('signed@example.com'), requestId: await requestId(), signAssertion, signResponse });
      const result = await login(response);
      expect(result.statusCode, `assertion ${signAssertion} response ${signResponse}`).toBe(200);
    }
  });

  it('refuses tampered, unsigned, wrongly signed, wrapped, expired, misaddressed, replayed and unsolicited responses', async () => {
    const refused = async (samlResponse: string, code: string) => {
      const result = await failure(login(samlResponse));
      expect(result.statusCode).toBe(401);
      expect(result.exception.generalErrors[0].code).toBe(code);
    };
    const user = samlUser('mallory@example.com');
    // Tampered attribute value after signing.
    const good = decode(await idp.respond({ user, requestId: await requestId() }));
    await refused(encode(good.replace('mallory@example.com</saml:AttributeValue>', 'admin@example.com</saml:AttributeValue>')), '[SAMLResponseInvalid]');
    // Stripped signature.
    const stripped = decode(await idp.respond({ user, requestId: await requestId() })).replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/g, '');
    await refused(encode(stripped), '[SAMLResponseInvalid]');
    // Signed by another key.
    const impostor = new TestSamlIdp(SP_ENTITY_ID, ACS_URL);
    await refused(await impostor.respond({ user, requestId: await requestId() }), '[SAMLResponseInvalid]');
    // XML signature wrapping: a forged assertion next to the signed one.
    const signed = decode(await idp.respond({ user: samlUser('victim@example.com'), requestId: await requestId() }));
    const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(signed)![0];
    const forged = assertion.replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '').replace(/ID="[^"]+"/, 'ID="_forged"').replaceAll('victim@example.com', 'admin@example.com');
    await refused(encode(signed.replace(assertion, forged + assertion)), '[SAMLResponseInvalid]');
    // Expired.
    const past = new Date(Date.now() - 3_600_000).toISOString();
    await refused(await idp.respond({ user, requestId: await requestId(), values: { ConditionsNotBefore: past, ConditionsNotOnOrAfter: past, SubjectConfirmationDataNotOnOrAfter: past } }), '[SAMLResponseExpired]');
    // For another service provider.
    await refused(await idp.respond({ user, requestId: await requestId(), values: { Audience: 'https://other-sp.test' } }), '[SAMLResponseInvalid]');
    // Sent to another destination.
    await refused(await idp.respond({ user, requestId: await requestId(), values: { Destination: 'https://evil.test/acs', SubjectRecipient: 'https://evil.test/acs' } }), '[SAMLResponseWrongDestination]');
    // Replayed.
    const once = await idp.respond({ user, requestId: await requestId() });
    expect((await login(once)).statusCode).toBe(200);
    await refused(once, '[SAMLResponseReplayed]');
    // Unknown InResponseTo, and none at all (IdP-initiated is off).
    await refused(await idp.respond({ user, requestId: '_never-issued' }), '[SAMLUnknownInResponseTo]');
    await refused(await idp.respond({ user }), '[SAMLUnknownInResponseTo]');
  });

  it('answers 400 with the Errors JSON for bad login and start input', async () => {
    const missing = await rawRequest(`${service.url}/api/identity-provider/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(400);
    expect(Object.keys(missing.body.fieldErrors)).toEqual(['applicationId', 'identityProviderId']);
    const malformed = await rawRequest(`${service.url}/api/identity-provider/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"x"' });
    expect(malformed.status).toBe(400);
    const noResponse = await failure(client.identityProviderLogin({ applicationId, identityProviderId: idpId, data: {} }));
    expect(noResponse.exception.fieldErrors['data.samlResponse'][0].code).toBe('[blank]data.samlResponse');
    const garbage = await failure(client.identityProviderLogin({ applicationId, identityProviderId: idpId, data: { samlResponse: 'bm90IHhtbA==' } }));
    expect(garbage.exception.fieldErrors['data.samlResponse'][0].code).toBe('[invalid]data.samlResponse');
    const wrongTypes = await rawRequest(`${service.url}/api/identity-provider/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ applicationId: 5, identityProviderId: idpId, data: 'x' }) });
    expect(wrongTypes.status).toBe(400);
    expect(wrongTypes.body.fieldErrors.applicationId[0].code).toBe('[couldNotConvert]applicationId');
    const unknownIdp = await failure(client.identityProviderLogin({ applicationId, identityProviderId: randomUUID(), data: { samlResponse: 'x' } }));
    expect(unknownIdp.exception.fieldErrors.identityProviderId[0].code).toBe('[invalid]identityProviderId');
    const badStart = await failure(client.startIdentityProviderLogin({ identityProviderId: 'nope' as never }));
    expect(badStart.exception.fieldErrors.identityProviderId[0].code).toBe('[couldNotConvert]identityProviderId');
    expect((await failure(client.startIdentityProviderLogin({ applicationId }))).statusCode).toBe(400);
  });

  it('applies every linking strategy and noLink', async () => {
    // noLink: an identity without a link is not found.
    expect((await failure(browserLogin(samlUser('nolink@example.com'), { noLink: true }))).statusCode).toBe(404);
    // LinkByEmailForExistingUser: only existing users.
    await setStrategy('LinkByEmailForExistingUser');
    expect((await failure(browserLogin(samlUser('stranger@example.com')))).statusCode).toBe(404);
    const existing = await client.createUser(randomUUID(), { user: { email: 'grace@example.com', password: 'correct horse battery' } });
    const linkedExisting = await browserLogin(samlUser('grace@example.com'));
    expect(linkedExisting.response.user?.id).toBe(existing.response.user!.id);
    // LinkByUsername: the username claim.
    await setStrategy('LinkByUsername');
    const byUsername = await browserLogin(samlUser('hopper@example.com', { username: 'ghopper' }));
    expect(byUsername.statusCode).toBe(200);
    expect(byUsername.response.user?.username).toBe('ghopper');
    // LinkAnonymously: a user without email or username, found again by the link.
    await setStrategy('LinkAnonymously');
    const anonymous = await browserLogin(samlUser('anon@example.com'));
    expect(anonymous.response.user?.email).toBeUndefined();
    expect((await browserLogin(samlUser('anon@example.com'))).response.user?.id).toBe(anonymous.response.user!.id);
    // Disabled: no automatic link.
    await setStrategy('Disabled');
    expect((await failure(browserLogin(samlUser('disabled@example.com')))).statusCode).toBe(404);
    // CreatePendingLink: 232 with a pending link id, completed through the Link API.
    await setStrategy('CreatePendingLink');
    const pending = await browserLogin(samlUser('pending@example.com'));
    expect(pending.statusCode).toBe(232);
    const pendingIdPLinkId = (pending.response as { pendingIdPLinkId: string }).pendingIdPLinkId;
    expect(pendingIdPLinkId).toBeTruthy();
    const target = await client.createUser(randomUUID(), { user: { email: 'target@example.com', password: 'correct horse battery' } });
    const linked = await client.createUserLink({ pendingIdPLinkId, identityProviderLink: { userId: target.response.user!.id } });
    expect(linked.response.identityProviderLink).toMatchObject({ identityProviderId: idpId, identityProviderUserId: 'pending@example.com', userId: target.response.user!.id });
    expect((await failure(client.createUserLink({ pendingIdPLinkId, identityProviderLink: { userId: target.response.user!.id } }))).statusCode).toBe(400);
    expect((await browserLogin(samlUser('pending@example.com'))).response.user?.id).toBe(target.response.user!.id);
    await setStrategy('LinkByEmail');
  });

  it('limits the links of a user per tenant configuration', async () => {
    const tenantId = (await client.retrieveTenants()).response.tenants![0]!.id!;
    await setStrategy('LinkAnonymously', { tenantConfiguration: { [tenantId]: { limitUserLinkCount: { enabled: true, maximumLinks: 1 } } } });
    const user = await client.createUser(randomUUID(), { user: { email: 'limited@example.com', password: 'correct horse battery' } });
    const userId = user.response.user!.id!;
    await client.createUserLink({ identityProviderLink: { userId, identityProviderId: idpId, identityProviderUserId: 'first' } });
    const second = await failure(client.createUserLink({ identityProviderLink: { userId, identityProviderId: idpId, identityProviderUserId: 'second' } }));
    expect(second.statusCode).toBe(400);
    expect(second.exception.generalErrors[0].code).toBe('[UserLinkLimitExceeded]');
    await client.patchIdentityProvider(idpId, { identityProvider: { linkingStrategy: 'LinkByEmail', tenantConfiguration: null } as never });
  });
});

describe('Link API', () => {
  it('links, lists, retrieves and unlinks; one external identity belongs to one user', async () => {
    const a = (await client.createUser(randomUUID(), { user: { email: 'link-a@example.com', password: 'correct horse battery' } })).response.user!.id!;
    const b = (await client.createUser(randomUUID(), { user: { email: 'link-b@example.com', password: 'correct horse battery' } })).response.user!.id!;
    const created = await client.createUserLink({ identityProviderLink: { userId: a, identityProviderId: idpId, identityProviderUserId: 'ext-1', displayName: 'Ext One' } });
    expect(created.response.identityProviderLink).toMatchObject({ userId: a, identityProviderUserId: 'ext-1', displayName: 'Ext One', identityProviderName: 'Test IdP' });
    const taken = await failure(client.createUserLink({ identityProviderLink: { userId: b, identityProviderId: idpId, identityProviderUserId: 'ext-1' } }));
    expect(taken.exception.fieldErrors['identityProviderLink.identityProviderUserId'][0].code).toBe('[duplicate]identityProviderLink.identityProviderUserId');
    expect((await client.retrieveUserLink(idpId, 'ext-1', a)).response.identityProviderLink?.userId).toBe(a);
    expect((await client.retrieveUserLinksByUserId(undefined as never, a)).response.identityProviderLinks).toHaveLength(1);
    await client.deleteUserLink(idpId, 'ext-1', a);
    expect((await client.retrieveUserLinksByUserId(idpId, a)).response.identityProviderLinks).toEqual([]);
    expect((await failure(client.deleteUserLink(idpId, 'ext-1', a))).statusCode).toBe(404);
    // Released: another user may take it now.
    expect((await client.createUserLink({ identityProviderLink: { userId: b, identityProviderId: idpId, identityProviderUserId: 'ext-1' } })).statusCode).toBe(200);
  });

  it('answers 400 with the Errors JSON for bad link input', async () => {
    const empty = await failure(client.createUserLink({}));
    expect(Object.keys(empty.exception.fieldErrors)).toEqual(expect.arrayContaining(['identityProviderLink.userId', 'identityProviderLink.identityProviderId', 'identityProviderLink.identityProviderUserId']));
    const badId = await rawRequest(`${service.url}/api/identity-provider/link?userId=nope`, { apiKey: service.apiKey });
    expect(badId.body.fieldErrors.userId[0].code).toBe('[couldNotConvert]userId');
    const noUser = await rawRequest(`${service.url}/api/identity-provider/link`, { apiKey: service.apiKey });
    expect(noUser.body.fieldErrors.userId[0].code).toBe('[blank]userId');
    const deleteMissing = await rawRequest(`${service.url}/api/identity-provider/link`, { method: 'DELETE', apiKey: service.apiKey });
    expect(deleteMissing.status).toBe(400);
    const malformed = await rawRequest(`${service.url}/api/identity-provider/link`, { method: 'POST', apiKey: service.apiKey, headers: { 'Content-Type': 'application/json' }, body: '[' });
    expect(malformed.status).toBe(400);
  });
});

describe('tenant isolation', () => {
  it('a tenant-locked key cannot manage providers, see other tenants\' links or log in to their applications', async () => {
    const tenant = await client.createTenant(randomUUID(), { tenant: { name: `Other ${randomUUID()}` } });
    const otherTenantId = tenant.response.tenant!.id!;
    const key = await client.createAPIKey(randomUUID(), { apiKey: { tenantId: otherTenantId } } as never);
    const locked = new FusionAuthClient(key.response.apiKey!.key!, service.url);
    expect((await failure(locked.retrieveIdentityProviders())).statusCode).toBe(401);
    expect((await failure(locked.createIdentityProvider(randomUUID(), { identityProvider: { type: 'SAMLv2' } as never }))).statusCode).toBe(401);
    expect((await failure(locked.importKey(randomUUID(), { key: { name: 'x', certificate: idp.keys.certificate } }))).statusCode).toBe(401);
    const ada = adaId;
    expect((await failure(locked.retrieveUserLinksByUserId(idpId, ada))).statusCode).toBe(404);
    expect((await failure(locked.deleteUserLink(idpId, 'ada@example.com', ada))).statusCode).toBe(404);
    expect((await failure(locked.createUserLink({ identityProviderLink: { userId: ada, identityProviderId: idpId, identityProviderUserId: 'x' } }))).statusCode).toBe(400);
    // Lookups show only the applications of the key's tenant.
    expect((await locked.lookupIdentityProvider('example.com')).response.identityProvider?.applicationIds).toEqual([]);
    // A login scoped to the other tenant cannot use this tenant's application.
    const scoped = new FusionAuthClient('', service.url, otherTenantId);
    const response = await idp.respond({ user: samlUser('ada@example.com'), requestId: await requestId() });
    const refused = await failure(scoped.identityProviderLogin({ applicationId, identityProviderId: idpId, data: { samlResponse: response } }));
    expect(refused.statusCode).toBe(400);
    expect(refused.exception.fieldErrors.applicationId[0].code).toBe('[invalid]applicationId');
  });
});
