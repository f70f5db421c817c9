/**
 * The SAML AuthnRequest as FusionAuth's fields ask: Redirect or HTTP-POST binding (`postRequest`),
 * signed (`signRequest`, `requestSigningKeyId`) in the query or as an enveloped XML signature
 * canonicalised by `xmlSignatureC14nMethod`. samlify, as the identity provider, verifies every
 * signed request against the SP certificate; a changed request fails its verification. The `debug`
 * flag writes event-log lines without secrets.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import * as samlify from 'samlify';
import { FusionAuthClient } from '@fusionauth/typescript-client';
import { failure, rawRequest, startTestService, type TestService } from '../support/harness.js';
import { selfSignedCertificate } from '../support/saml-idp.js';

samlify.setSchemaValidator({ validate: async () => 'skipped' });

const SP_ENTITY_ID = 'https://sp.requests.test';
const ACS_URL = 'https://app.requests.test/saml/acs';
const IDP_SSO = 'https://idp.requests.test/sso';

let svc: TestService;
let applicationId: string;
const spKeys = selfSignedCertificate('Idstream SP request signing');
const otherKeys = selfSignedCertificate('Someone else');
const signingKeyId = randomUUID();
const verificationKeyId = randomUUID();

/** samlify as the IdP: it demands signed AuthnRequests from an SP whose certificate it knows. */
function samlifyPeers(spCertificate: string, signed = true) {
  const idp = samlify.IdentityProvider({
    entityID: 'https://idp.requests.test/metadata',
    signingCert: otherKeys.certificate,
    wantAuthnRequestsSigned: signed,
    singleSignOnService: [
      { Binding: samlify.Constants.namespace.binding.redirect, Location: IDP_SSO },
      { Binding: samlify.Constants.namespace.binding.post, Location: IDP_SSO },
    ],
    singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: 'https://idp.requests.test/slo' }],
  });
  const sp = samlify.ServiceProvider({
    entityID: SP_ENTITY_ID,
    authnRequestsSigned: signed,
    signingCert: spCertificate,
    assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: ACS_URL }],
  });
  return { idp, sp };
}

/** What the IdP receives at its SSO URL in the Redirect binding, verified by samlify. */
async function verifyRedirect(redirectURL: string, spCertificate: string) {
  const url = new URL(redirectURL);
  const raw = url.search.slice(1).split('&');
  const octetString = ['SAMLRequest', 'RelayState', 'SigAlg'].map((name) => raw.find((p) => p.startsWith(`${name}=`))).filter(Boolean).join('&');
  const { idp, sp } = samlifyPeers(spCertificate);
  return idp.parseLoginRequest(sp, 'redirect', { query: Object.fromEntries(url.searchParams), octetString } as never);
}

async function verifyPost(samlRequest: string, spCertificate: string, signed = true) {
  const { idp, sp } = samlifyPeers(spCertificate, signed);
  return idp.parseLoginRequest(sp, 'post', { body: { SAMLRequest: samlRequest } } as never);
}

async function createProvider(fields: Record<string, unknown>): Promise<string> {
  const id = randomUUID();
  await svc.client.createIdentityProvider(id, {
    identityProvider: {
      type: 'SAMLv2',
      name: `Requests ${id}`,
      buttonText: 'Login',
      issuer: SP_ENTITY_ID,
      idpEndpoint: IDP_SSO,
      keyId: verificationKeyId,
      emailClaim: 'email',
      enabled: true,
      applicationConfiguration: { [applicationId]: { enabled: true } },
      ...fields,
    } as never,
  });
  return id;
}

async function start(identityProviderId: string): Promise<Record<string, string>> {
  const started = await svc.client.startIdentityProviderLogin({ identityProviderId, applicationId, data: { redirect_uri: ACS_URL } });
  return started.response as Record<string, string>;
}

beforeAll(async () => {
  svc = await startTestService();
  await svc.client.importKey(signingKeyId, { key: { name: 'SP request signing', privateKey: spKeys.privateKey, certificate: spKeys.certificate } });
  await svc.client.importKey(verificationKeyId, { key: { name: 'IdP verification', certificate: otherKeys.certificate } });
  applicationId = (await svc.client.createApplication(randomUUID(), { application: { name: 'Requests app' } })).response.application!.id!;
}, 60_000);

afterAll(async () => {
  await svc?.destroy();
});

describe('AuthnRequest bindings and signatures', () => {
  it('Redirect binding, signed: samlify verifies the query signature; another certificate or a changed query fails', async () => {
    const id = await createProvider({ signRequest: true, requestSigningKeyId: signingKeyId });
    const started = await start(id);
    expect(started.binding).toBe('HTTP-Redirect');
    const url = new URL(started.redirectURL!);
    expect(url.origin + url.pathname).toBe(IDP_SSO);
    expect(url.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    const parsed = await verifyRedirect(started.redirectURL!, spKeys.certificate);
    expect((parsed.extract as { request: { id: string } }).request.id).toBe(started.code);
    await expect(verifyRedirect(started.redirectURL!, otherKeys.certificate)).rejects.toBeTruthy();
    const other = await start(id);
    const spliced = new URL(started.redirectURL!);
    spliced.searchParams.set('SAMLRequest', new URL(other.redirectURL!).searchParams.get('SAMLRequest')!);
    await expect(verifyRedirect(spliced.toString(), spKeys.certificate)).rejects.toBeTruthy();
  });

  it('Redirect binding, unsigned: no Signature parameter', async () => {
    const id = await createProvider({});
    const started = await start(id);
    expect(new URL(started.redirectURL!).searchParams.has('Signature')).toBe(false);
    expect(new URL(started.redirectURL!).searchParams.has('SAMLRequest')).toBe(true);
  });

  it('HTTP-POST binding, signed with each canonicalisation method: samlify verifies the XML signature; a changed request fails', async () => {
    const id = await createProvider({ postRequest: true, signRequest: true, requestSigningKeyId: signingKeyId, xmlSignatureC14nMethod: 'exclusive' });
    const algorithms = {
      exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#',
      exclusive_with_comments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
      inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
      inclusive_with_comments: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
    };
    for (const [method, algorithm] of Object.entries(algorithms)) {
      await svc.client.patchIdentityProvider(id, { identityProvider: { xmlSignatureC14nMethod: method } as never });
      const started = await start(id);
      expect(started).toMatchObject({ binding: 'HTTP-POST', postURL: IDP_SSO });
      const xml = Buffer.from(started.samlRequest!, 'base64').toString('utf8');
      expect(xml).toContain(`<CanonicalizationMethod Algorithm="${algorithm}"`);
      // The signature follows the Issuer (SAML core §5.4.1).
      expect(xml.indexOf('<Signature')).toBeGreaterThan(xml.indexOf('</saml:Issuer>'));
      const parsed = await verifyPost(started.samlRequest!, spKeys.certificate);
      expect((parsed.extract as { request: { id: string } }).request.id, method).toBe(started.code);
      const changed = Buffer.from(xml.replace(ACS_URL, 'https://evil.test/acs'), 'utf8').toString('base64');
      await expect(verifyPost(changed, spKeys.certificate), method).rejects.toBeTruthy();
    }
  });

  it('HTTP-POST binding, unsigned: a plain request the IdP accepts when it does not ask for signatures', async () => {
    const id = await createProvider({ postRequest: true });
    const started = await start(id);
    const xml = Buffer.from(started.samlRequest!, 'base64').toString('utf8');
    expect(xml).not.toContain('Signature');
    expect(xml).toContain(`AssertionConsumerServiceURL="${ACS_URL}"`);
    const parsed = await verifyPost(started.samlRequest!, spKeys.certificate, false);
    expect((parsed.extract as { request: { id: string } }).request.id).toBe(started.code);
  });

  it('answers 400 with the Errors JSON for incomplete signing settings', async () => {
    const invalid = async (fields: Record<string, unknown>, field: string, code: string) => {
      const refused = await failure(createProvider(fields));
      expect(refused.statusCode).toBe(400);
      expect(refused.exception.fieldErrors[`identityProvider.${field}`]?.[0]?.code, JSON.stringify(refused.exception)).toBe(`[${code}]identityProvider.${field}`);
    };
    await invalid({ signRequest: true }, 'requestSigningKeyId', 'blank');
    await invalid({ signRequest: true, requestSigningKeyId: 'nope' }, 'requestSigningKeyId', 'couldNotConvert');
    await invalid({ signRequest: true, requestSigningKeyId: randomUUID() }, 'requestSigningKeyId', 'invalid');
    // A verification-only certificate cannot sign.
    await invalid({ signRequest: true, requestSigningKeyId: verificationKeyId }, 'requestSigningKeyId', 'invalid');
    await invalid({ signRequest: true, postRequest: true, requestSigningKeyId: signingKeyId }, 'xmlSignatureC14nMethod', 'blank');
    await invalid({ xmlSignatureC14nMethod: 'sideways' }, 'xmlSignatureC14nMethod', 'invalid');
    await invalid({ postRequest: 'yes' }, 'postRequest', 'couldNotConvert');
    // The signing key is in use: it cannot be deleted.
    const inUse = await failure(svc.client.deleteKey(signingKeyId));
    expect(inUse.exception.generalErrors[0].code).toBe('[KeyInUse]');
  });
});

describe('debug', () => {
  it('a provider in debug writes event-log lines for the start and a refused login, with no SAML response in them; others write none', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const ctx = svc.service.context;
    const realLogger = ctx.logger;
    ctx.logger = pino({ level: 'info' }, sink) as never;
    try {
      const debugged = await createProvider({ debug: true });
      const quiet = await createProvider({ debug: false });
      await start(debugged);
      await start(quiet);
      const forged = Buffer.from('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><x/></samlp:Response>').toString('base64');
      for (const identityProviderId of [debugged, quiet]) {
        expect((await failure(svc.client.identityProviderLogin({ applicationId, identityProviderId, data: { samlResponse: forged } }))).statusCode).toBe(401);
      }
      const entries = lines.filter((l) => l.eventLog === 'Debug');
      expect(entries.every((l) => l.identityProviderId === debugged)).toBe(true);
      const messages = entries.map((l) => String(l.msg));
      expect(messages.some((m) => m.includes('AuthnRequest') && m.includes('HTTP-Redirect'))).toBe(true);
      expect(messages.some((m) => m.includes('login started'))).toBe(true);
      expect(messages.some((m) => m.includes('login refused') && m.includes('[SAMLResponseInvalid]'))).toBe(true);
      expect(JSON.stringify(entries)).not.toContain(forged);

      // The same entries through FusionAuth's Event Log API, newest first.
      await svc.service.projector!.eventLog.catchUp();
      const found = await svc.client.searchEventLogs({ search: { message: `Requests ${debugged}`, type: 'Debug' as never, numberOfResults: 50 } });
      const logged = found.response.eventLogs!;
      expect(found.response.total).toBe(3);
      expect(logged.map((e) => e.message)).toEqual([
        expect.stringContaining('login refused: [SAMLResponseInvalid]'),
        expect.stringContaining('login started'),
        expect.stringContaining('AuthnRequest'),
      ]);
      expect(logged[0]!.insertInstant! >= logged[2]!.insertInstant!).toBe(true);
      expect((await svc.client.searchEventLogs({ search: { message: `Requests ${quiet}` } })).response.total).toBe(0);
      const one = await svc.client.retrieveEventLog(logged[1]!.id!);
      expect(one.response.eventLog).toEqual(logged[1]);
      expect(JSON.stringify(logged)).not.toContain(forged);
    } finally {
      ctx.logger = realLogger;
    }
  });

  it('Event Log API: 404 for an unknown id, 400 with the Errors JSON for bad criteria, 401 for a tenant-locked key', async () => {
    expect((await failure(svc.client.retrieveEventLog(999_999_999))).statusCode).toBe(404);
    const bad = await failure(svc.client.searchEventLogs({ search: { type: 'Loud' as never, numberOfResults: 0 } }));
    expect(bad.statusCode).toBe(400);
    expect(Object.keys(bad.exception.fieldErrors).sort()).toEqual(['search.numberOfResults', 'search.type']);
    const wrongTypes = await rawRequest(`${svc.url}/api/system/event-log/search`, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ search: { start: 'yesterday' } }) });
    expect(wrongTypes.status).toBe(400);
    expect(wrongTypes.body.fieldErrors['search.start'][0].code).toBe('[couldNotConvert]search.start');
    const malformed = await rawRequest(`${svc.url}/api/system/event-log/search`, { method: 'POST', apiKey: svc.apiKey, headers: { 'Content-Type': 'application/json' }, body: '{"search":' });
    expect(malformed.status).toBe(400);
    const byQuery = await rawRequest(`${svc.url}/api/system/event-log/search?type=Debug&numberOfResults=2`, { apiKey: svc.apiKey });
    expect(byQuery.status).toBe(200);
    expect(byQuery.body.eventLogs.length).toBeLessThanOrEqual(2);
    const tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
    const locked = await svc.client.createAPIKey(randomUUID(), { apiKey: { tenantId } } as never);
    const lockedClient = new FusionAuthClient(locked.response.apiKey!.key!, svc.url);
    expect((await failure(lockedClient.searchEventLogs({ search: {} }))).statusCode).toBe(401);
  });
});
