/**
 * The SAML AuthnRequest in the binding and signing the provider asks for:
 * - Redirect binding (default): the deflated request in the IdP URL's query; with `signRequest`,
 *   SigAlg and Signature parameters over the query (SAML bindings §3.4.4.1), by saml2-js.
 * - HTTP-POST binding (`postRequest`): the base64 request for an auto-submitted form; with
 *   `signRequest`, an enveloped XML signature after the Issuer, canonicalised by
 *   `xmlSignatureC14nMethod` (xml-crypto).
 * The signing key is `requestSigningKeyId`, an RSA key with its private part (RSA-SHA256).
 */
import { X509Certificate } from 'node:crypto';
import saml2 from 'saml2-js';
import { SignedXml } from 'xml-crypto';

export const c14nAlgorithms = {
  exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  exclusive_with_comments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  inclusive_with_comments: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
} as const;
export type C14nMethod = keyof typeof c14nAlgorithms;

export interface AuthnRequestSettings {
  /** The SP entity id (`identityProvider.issuer`). */
  issuer: string;
  idpEndpoint: string;
  acsUrl: string;
  nameIdFormat?: string;
  relayState?: string;
  post: boolean;
  /** Present when the request is signed. */
  signing?: { privateKeyPem: string; certificatePem?: string; c14nMethod?: C14nMethod };
}

export type BuiltAuthnRequest =
  | { binding: 'HTTP-Redirect'; requestId: string; redirectURL: string }
  | { binding: 'HTTP-POST'; requestId: string; postURL: string; samlRequest: string; relayState?: string };

const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

export async function buildAuthnRequest(settings: AuthnRequestSettings): Promise<BuiltAuthnRequest> {
  const sp = new saml2.ServiceProvider({
    entity_id: settings.issuer,
    assert_endpoint: settings.acsUrl,
    private_key: settings.signing?.privateKeyPem ?? '',
    certificate: '',
    allow_unencrypted_assertion: true,
    nameid_format: settings.nameIdFormat,
  } as never);
  const idp = new saml2.IdentityProvider({ sso_login_url: settings.idpEndpoint, sso_logout_url: settings.idpEndpoint, certificates: [] });

  if (!settings.post) {
    const { url, id } = await new Promise<{ url: string; id: string }>((resolve, reject) => {
      const options = { ...(settings.relayState && { relay_state: settings.relayState }), ...(settings.signing && { sign_get_request: true }) };
      sp.create_login_request_url(idp, options, (error: Error | null, url: string, id: string) => (error ? reject(error) : resolve({ url, id })));
    });
    return { binding: 'HTTP-Redirect', requestId: id, redirectURL: url };
  }

  const { id, xml } = (saml2 as unknown as { create_authn_request: (...args: unknown[]) => { id: string; xml: string } }).create_authn_request(
    settings.issuer,
    settings.acsUrl,
    settings.idpEndpoint,
    false,
    undefined,
    settings.nameIdFormat,
  );
  const document = settings.signing ? signEnveloped(xml, id, settings.signing) : xml;
  return {
    binding: 'HTTP-POST',
    requestId: id,
    postURL: settings.idpEndpoint,
    samlRequest: Buffer.from(document, 'utf8').toString('base64'),
    ...(settings.relayState && { relayState: settings.relayState }),
  };
}

function signEnveloped(xml: string, id: string, signing: NonNullable<AuthnRequestSettings['signing']>): string {
  const c14n = c14nAlgorithms[signing.c14nMethod ?? 'exclusive'];
  const certificateBody = signing.certificatePem ? new X509Certificate(signing.certificatePem).raw.toString('base64') : undefined;
  const signer = new SignedXml({
    privateKey: signing.privateKeyPem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: c14n,
    // The certificate lets an IdP pick the right key; without one it relies on its configuration.
    getKeyInfoContent: () => (certificateBody ? `<X509Data><X509Certificate>${certificateBody}</X509Certificate></X509Data>` : null),
  });
  signer.addReference({
    xpath: `//*[local-name(.)='AuthnRequest' and @ID='${id}']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', c14n],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  // SAML core §5.4.1: the signature follows the Issuer.
  signer.computeSignature(xml, { location: { reference: "//*[local-name(.)='Issuer']", action: 'after' } });
  return signer.getSignedXml();
}
