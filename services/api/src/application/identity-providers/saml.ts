/**
 * SAML v2: the AuthnRequest (start) and the verification of a SAML response (login). The signature,
 * status and audience are checked by saml2-js against the key the provider references; this module
 * adds what saml2-js leaves to the caller, on the signed assertion only: the certificate's validity
 * dates and the time window (our clock), destination/recipient, InResponseTo (a request we issued,
 * used once) and assertion replay.
 */
import { promisify } from 'node:util';
import { DOMParser } from '@xmldom/xmldom';
import saml2 from 'saml2-js';
import { samlAssertionStream, samlRequestStream, type SamlAuthnRequestIssued } from '@idstream/domain';
import { WrongExpectedRevisionError } from '@idstream/eventstore';
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../context.js';
import { HttpError } from '../../http/errors.js';
import type { IdentityProviderDocument } from './definitions.js';
import { certificateValidity, requestSigningMaterial, verificationPem } from './keys.js';
import { buildAuthnRequest, type BuiltAuthnRequest } from './saml-request.js';
import { debugLog } from './debug-log.js';

const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP_NS = 'urn:oasis:names:tc:SAML:2.0:protocol';
/** Tolerated clock difference with the identity provider. */
const CLOCK_SKEW_MS = 60_000;
/** How long an AuthnRequest may be answered. */
const REQUEST_TTL_MS = 10 * 60_000;
/** Replay memory for assertions without an expiry of their own. */
const DEFAULT_ASSERTION_TTL_MS = 10 * 60_000;

export interface VerifiedSamlResponse {
  nameId?: string;
  attributes: Record<string, string[]>;
  assertionId: string;
  issuer?: string;
}

function serviceProvider(idp: IdentityProviderDocument, acsUrl: string) {
  return new saml2.ServiceProvider({
    entity_id: idp.issuer!,
    assert_endpoint: acsUrl,
    private_key: '',
    certificate: '',
    allow_unencrypted_assertion: true,
    nameid_format: idp.nameIdFormat,
  } as never);
}

export function defaultAcsUrl(ctx: AppContext): string {
  return `${(ctx.config.publicUrl ?? `http://localhost:${ctx.config.port}`).replace(/\/$/, '')}/samlv2/acs`;
}

/**
 * Builds the AuthnRequest in the provider's binding (Redirect, or HTTP-POST with `postRequest`),
 * signed with `requestSigningKeyId` when `signRequest`, and remembers its id for `InResponseTo`.
 */
export async function startSamlLogin(
  ctx: AppContext,
  idp: IdentityProviderDocument,
  options: { applicationId?: string; tenantId?: string; acsUrl: string; relayState?: string },
): Promise<BuiltAuthnRequest> {
  const built = await buildAuthnRequest({
    issuer: idp.issuer!,
    idpEndpoint: idp.idpEndpoint!,
    acsUrl: options.acsUrl,
    ...(idp.nameIdFormat && { nameIdFormat: idp.nameIdFormat }),
    ...(options.relayState && { relayState: options.relayState }),
    post: idp.postRequest === true,
    ...(idp.signRequest === true && { signing: { ...(await requestSigningMaterial(ctx, idp.requestSigningKeyId)), ...(idp.xmlSignatureC14nMethod && { c14nMethod: idp.xmlSignatureC14nMethod }) } }),
  });
  const now = ctx.now();
  const event: SamlAuthnRequestIssued = {
    type: 'SamlAuthnRequestIssued',
    data: {
      identityProviderId: idp.id,
      ...(options.tenantId && { tenantId: options.tenantId }),
      ...(options.applicationId && { applicationId: options.applicationId }),
      acsUrl: options.acsUrl,
      instant: now,
      expiresAt: now + REQUEST_TTL_MS,
    },
  };
  await ctx.eventStore.append(samlRequestStream(built.requestId), [{ id: randomUUID(), type: event.type, data: event.data }], 'no_stream');
  await debugLog(ctx, idp, `SAML v2 AuthnRequest [${built.requestId}] built for the ${built.binding} binding${idp.signRequest ? ', signed' : ''}, to [${idp.idpEndpoint}] with the ACS URL [${options.acsUrl}].`);
  return built;
}

const refuse = (code: string, message: string) => HttpError.general(401, code, message);

/** Verifies a base64 SAMLResponse for `idp`; throws a 400 (unreadable) or 401 (refused) HttpError. */
export async function verifySamlResponse(ctx: AppContext, idp: IdentityProviderDocument, samlResponse: string): Promise<VerifiedSamlResponse> {
  // 1. Decode and parse (xmldom resolves no external entities).
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  if (!xml.trimStart().startsWith('<')) throw invalidInput('The [data.samlResponse] is not a base64-encoded SAML response.');
  if (/<!DOCTYPE/i.test(xml)) throw invalidInput('A SAML response may not contain a DOCTYPE.');
  const dom = parseXml(xml);
  if (!dom) throw invalidInput('The [data.samlResponse] is not well-formed XML.');
  const responses = dom.getElementsByTagNameNS(SAMLP_NS, 'Response');
  const assertions = dom.getElementsByTagNameNS(SAML_NS, 'Assertion');
  if (responses.length !== 1) throw invalidInput('The [data.samlResponse] must hold one SAML Response.');
  // Exactly one assertion in the whole document: the one saml2-js verified is the one read below
  // (no signature-wrapping copy can hide elsewhere).
  if (assertions.length !== 1) throw refuse('[SAMLResponseInvalid]', `A SAML response must contain exactly one Assertion; found ${assertions.length}.`);

  // 2. Signature, status and audience (saml2-js), against the provider's key.
  const key = idp.keyId ? (await ctx.readModels.config.Key.get(idp.keyId))?.body : undefined;
  const pem = key && verificationPem(key);
  if (!pem) throw refuse('[SAMLResponseInvalid]', 'The key of this identity provider no longer exists.');
  // A certificate outside its validity dates proves nothing, whatever it signed (checked on our clock).
  const validity = certificateValidity(key!, ctx.now());
  if (validity) throw refuse(validity.code, validity.message);
  const response = dom.getElementsByTagNameNS(SAMLP_NS, 'Response')[0]!;
  const samlIdp = new saml2.IdentityProvider({ sso_login_url: idp.idpEndpoint!, sso_logout_url: idp.idpEndpoint!, certificates: [pem] });
  const sp = serviceProvider(idp, defaultAcsUrl(ctx));
  const postAssert = promisify(sp.post_assert.bind(sp)) as (idp: unknown, options: unknown) => Promise<{ user: { name_id?: string; attributes?: Record<string, string[]> } }>;
  let asserted: Awaited<ReturnType<typeof postAssert>>;
  try {
    asserted = await postAssert(samlIdp, {
      request_body: { SAMLResponse: samlResponse },
      allow_unencrypted_assertion: true,
      require_session_index: false,
      // saml2-js would read Date.now(); the time window is checked below on this service's clock
      // (ctx.now, which tests pin), with a tolerance.
      ignore_timing: true,
      audience: idp.issuer,
    });
  } catch (error) {
    throw refuse('[SAMLResponseInvalid]', `The SAML response was refused: ${(error as Error).message}`);
  }

  // 3. Conditions of the (signed) assertion against our clock.
  const assertion = assertions[0]!;
  const now = ctx.now();
  const conditions = assertion.getElementsByTagNameNS(SAML_NS, 'Conditions')[0];
  const notBefore = instantOf(conditions?.getAttribute('NotBefore'));
  const notOnOrAfter = instantOf(conditions?.getAttribute('NotOnOrAfter'));
  if (notBefore !== undefined && notBefore > now + CLOCK_SKEW_MS) throw refuse('[SAMLResponseNotYetValid]', 'The SAML assertion is not valid yet (NotBefore).');
  if (notOnOrAfter !== undefined && notOnOrAfter <= now - CLOCK_SKEW_MS) throw refuse('[SAMLResponseExpired]', 'The SAML assertion has expired (NotOnOrAfter).');
  const confirmation = assertion.getElementsByTagNameNS(SAML_NS, 'SubjectConfirmationData')[0];
  const confirmationExpiry = instantOf(confirmation?.getAttribute('NotOnOrAfter'));
  if (confirmationExpiry !== undefined && confirmationExpiry <= now - CLOCK_SKEW_MS) throw refuse('[SAMLResponseExpired]', 'The SAML subject confirmation has expired (NotOnOrAfter).');

  // 4. InResponseTo names a request we issued to this provider, still open.
  const inResponseTo = response.getAttribute('InResponseTo') || confirmation?.getAttribute('InResponseTo') || undefined;
  const confirmationInResponseTo = confirmation?.getAttribute('InResponseTo') || undefined;
  if (inResponseTo && confirmationInResponseTo && inResponseTo !== confirmationInResponseTo) {
    throw refuse('[SAMLResponseInvalid]', 'The InResponseTo of the response and of the assertion differ.');
  }
  let request: { revision: number; data: SamlAuthnRequestIssued['data'] } | undefined;
  if (inResponseTo) {
    const events = await ctx.eventStore.readStream(samlRequestStream(inResponseTo));
    const issued = events[0]?.type === 'SamlAuthnRequestIssued' ? (events[0].data as SamlAuthnRequestIssued['data']) : undefined;
    if (!issued || issued.identityProviderId !== idp.id) throw refuse('[SAMLUnknownInResponseTo]', `The SAML response answers an unknown request [${inResponseTo}].`);
    if (events.length > 1) throw refuse('[SAMLResponseReplayed]', 'The SAML request was already answered.');
    if (issued.expiresAt <= now) throw refuse('[SAMLResponseExpired]', 'The SAML request this response answers has expired.');
    request = { revision: events.at(-1)!.revision, data: issued };
  } else if (idp.idpInitiatedConfiguration?.enabled !== true) {
    throw refuse('[SAMLUnknownInResponseTo]', 'The SAML response has no InResponseTo and IdP-initiated login is not enabled for this identity provider.');
  }

  // 5. Destination and Recipient: where the response was meant to go.
  const policy = idp.assertionConfiguration?.destination?.policy ?? 'Enabled';
  if (policy !== 'Disabled') {
    const allowed = new Set([request?.data.acsUrl ?? defaultAcsUrl(ctx), ...(policy === 'AllowAlternates' ? (idp.assertionConfiguration?.destination?.alternates ?? []) : [])]);
    const destination = response.getAttribute('Destination') || undefined;
    const recipient = confirmation?.getAttribute('Recipient') || undefined;
    for (const [label, value] of [['Destination', destination], ['Recipient', recipient]] as const) {
      if (value !== undefined && !allowed.has(value)) throw refuse('[SAMLResponseWrongDestination]', `The SAML response ${label} [${value}] is not this service.`);
    }
  }

  // 6. Replay: the assertion id is consumed (and the request closed) in one conditional append.
  const assertionId = assertion.getAttribute('ID');
  if (!assertionId) throw refuse('[SAMLResponseInvalid]', 'The SAML assertion has no ID.');
  const expiresAt = Math.max(notOnOrAfter ?? 0, confirmationExpiry ?? 0) || now + DEFAULT_ASSERTION_TTL_MS;
  try {
    await ctx.eventStore.appendMultiple([
      { streamName: samlAssertionStream(idp.id, assertionId), expectedRevision: 'no_stream', events: [{ id: randomUUID(), type: 'SamlAssertionConsumed', data: { identityProviderId: idp.id, instant: now, expiresAt } }] },
      ...(request && inResponseTo
        ? [{ streamName: samlRequestStream(inResponseTo), expectedRevision: request.revision, events: [{ id: randomUUID(), type: 'SamlAuthnRequestConsumed', data: { identityProviderId: idp.id, instant: now } }] }]
        : []),
    ]);
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) throw refuse('[SAMLResponseReplayed]', 'This SAML assertion was already used.');
    throw error;
  }

  const issuer = assertion.getElementsByTagNameNS(SAML_NS, 'Issuer')[0]?.textContent?.trim();
  await debugLog(ctx, idp, `SAML v2 response verified: assertion [${assertionId}] from [${issuer ?? 'unknown issuer'}]${inResponseTo ? ` answering [${inResponseTo}]` : ' (IdP-initiated)'}, attributes [${Object.keys(asserted.user.attributes ?? {}).join(', ')}].`);
  return {
    ...(asserted.user.name_id && { nameId: asserted.user.name_id }),
    attributes: asserted.user.attributes ?? {},
    assertionId,
    ...(issuer && { issuer }),
  };
}

function parseXml(xml: string) {
  let failed = false;
  const parser = new DOMParser({ errorHandler: { warning: () => undefined, error: () => { failed = true; }, fatalError: () => { failed = true; } } });
  try {
    const dom = parser.parseFromString(xml, 'text/xml');
    return failed || !dom?.documentElement ? undefined : dom;
  } catch {
    return undefined;
  }
}

function instantOf(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

function invalidInput(message: string): HttpError {
  return new HttpError(400, { fieldErrors: { 'data.samlResponse': [{ code: '[invalid]data.samlResponse', message }] } });
}
