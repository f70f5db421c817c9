/**
 * The signed example response of FusionAuth's SAML v2 identity provider page verifies here.
 *
 * The fixture (`test/fixtures/fusionauth-saml-example-response.b64`) is the `data.samlResponse` of
 * the "Example Request JSON" of the Complete-the-login section of FusionAuth's "SAML v2 Identity
 * Provider APIs" page (`/work/shared/spec/source/saml-v2-identity-provider-api.txt`, line 771), copied
 * byte for byte. It is a real Azure AD response to FusionAuth's AuthnRequest
 * `id31f83b35-5954-4b67-acf8-763c15fc3aac`, its Assertion signed (RSA-SHA256, exclusive c14n) by the
 * certificate it embeds ("Microsoft Azure Federated SSO Certificate", valid 2019-02-27 – 2022-02-27).
 *
 * To verify it as FusionAuth did, the certificate is imported through the Key API, the service clock
 * (`ctx.now`, which every SAML time check uses: saml2-js's own checks read `Date.now()` and are turned
 * off) is pinned inside the assertion's window, and the AuthnRequest it answers is recorded as if this
 * service had issued it (its ACS URL is the response's Destination).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samlRequestStream } from '@idstream/domain';
import { failure, startTestService, type TestService } from '../support/harness.js';

const samlResponse = readFileSync(new URL('../fixtures/fusionauth-saml-example-response.b64', import.meta.url), 'utf8').trim();
const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
const certificate = /<X509Certificate>([^<]+)<\/X509Certificate>/.exec(xml)![1]!;
const REQUEST_ID = 'id31f83b35-5954-4b67-acf8-763c15fc3aac';
const ACS_URL = 'https://local.fusionauth.io/oauth2/callback';
/** Inside Conditions (18:24:55–19:24:55) and SubjectConfirmationData (until 18:34:55) of 2019-02-28. */
const ISSUED_AT = Date.parse('2019-02-28T18:29:55.473Z');

let svc: TestService;
let applicationId: string;
const idpId = randomUUID();
const keyId = randomUUID();

async function loginAt(instant: number) {
  const ctx = svc.service.context;
  const realNow = ctx.now;
  ctx.now = () => instant;
  try {
    return await svc.client.identityProviderLogin({ applicationId, identityProviderId: idpId, data: { samlResponse }, ipAddress: '192.168.1.42' });
  } finally {
    ctx.now = realNow;
  }
}

async function refusedAt(instant: number, code: string) {
  const refused = await failure(loginAt(instant));
  expect(refused.statusCode).toBe(401);
  expect(refused.exception.generalErrors[0].code).toBe(code);
}

beforeAll(async () => {
  svc = await startTestService();
  const imported = await svc.client.importKey(keyId, { key: { name: 'Microsoft Azure Federated SSO Certificate', certificate } });
  expect(imported.response.key).toMatchObject({ algorithm: 'RS256', hasPrivateKey: false });
  expect(imported.response.key?.certificateInformation?.subject).toContain('Microsoft Azure Federated SSO Certificate');
  applicationId = (await svc.client.createApplication(randomUUID(), { application: { name: 'Pied Piper' } })).response.application!.id!;
  await svc.client.createIdentityProvider(idpId, {
    identityProvider: {
      type: 'SAMLv2',
      name: 'Azure AD (FusionAuth example)',
      buttonText: 'Login with Azure AD',
      // The SP entity id FusionAuth sent: the example's Audience.
      issuer: 'https://local.fusionauth.io',
      idpEndpoint: 'https://login.microsoftonline.com/c2150111-3c44-4508-9f08-790cb4032a23/saml2',
      keyId,
      useNameIdForEmail: false,
      emailClaim: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
      enabled: true,
      applicationConfiguration: { [applicationId]: { enabled: true, createRegistration: true } },
    } as never,
  });
  // The AuthnRequest the example answers, recorded as this service records the ones it issues.
  await svc.service.adapters.eventStore.append(
    samlRequestStream(REQUEST_ID),
    [{ id: randomUUID(), type: 'SamlAuthnRequestIssued', data: { identityProviderId: idpId, acsUrl: ACS_URL, instant: ISSUED_AT - 60_000, expiresAt: ISSUED_AT + 600_000 } }],
    'no_stream',
  );
}, 60_000);

afterAll(async () => {
  await svc?.destroy();
});

describe("FusionAuth's signed example SAML response", () => {
  it('is refused on the real clock, outside the certificate dates and outside the assertion window', async () => {
    // Today the certificate has long expired.
    await refusedAt(Date.now(), '[SAMLCertificateExpired]');
    await refusedAt(Date.parse('2022-03-01T00:00:00Z'), '[SAMLCertificateExpired]');
    // Before the certificate was issued.
    await refusedAt(Date.parse('2019-02-26T00:00:00Z'), '[SAMLCertificateNotYetValid]');
    // Certificate valid, but the assertion's subject confirmation has passed (18:34:55 + 60 s skew).
    await refusedAt(Date.parse('2019-02-28T18:40:00Z'), '[SAMLResponseExpired]');
  });

  it('is refused when one byte of the signed assertion changes', async () => {
    const tampered = Buffer.from(xml.replace('>Pontarelli<', '>Pontarelly<'), 'utf8').toString('base64');
    const ctx = svc.service.context;
    const realNow = ctx.now;
    ctx.now = () => ISSUED_AT;
    try {
      const refused = await failure(svc.client.identityProviderLogin({ applicationId, identityProviderId: idpId, data: { samlResponse: tampered } }));
      expect(refused.statusCode).toBe(401);
      expect(refused.exception.generalErrors[0].code).toBe('[SAMLResponseInvalid]');
    } finally {
      ctx.now = realNow;
    }
  });

  it('verifies with the clock pinned to its instant: the Azure user logs in, mapped by the claim list', async () => {
    const result = await loginAt(ISSUED_AT);
    expect(result.statusCode).toBe(200);
    expect(result.response.user).toMatchObject({ email: 'brian@inversoft.com', firstName: 'Brian', lastName: 'Pontarelli', fullName: 'brian_inversoft.com#EXT#@brianinversoft.onmicrosoft.com', verified: true });
    expect(result.response.user?.registrations?.map((r) => r.applicationId)).toEqual([applicationId]);
    const links = await svc.client.retrieveUserLinksByUserId(idpId, result.response.user!.id!);
    expect(links.response.identityProviderLinks?.[0]).toMatchObject({ identityProviderId: idpId, identityProviderUserId: 'brian@inversoft.com' });
    // The same response again is a replay.
    await refusedAt(ISSUED_AT + 1000, '[SAMLResponseReplayed]');
  });
});
