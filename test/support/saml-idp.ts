/**
 * A real SAML v2 identity provider on loopback, built with samlify: it receives the AuthnRequest
 * (Redirect binding) at `/sso` and answers with the auto-POST form browsers get, carrying a signed
 * SAMLResponse. Tests choose who logs in, what gets signed, and may alter the template values
 * (expiry, audience…) to build hostile responses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as samlify from 'samlify';

samlify.setSchemaValidator({ validate: async () => 'skipped' });

export interface SamlUser {
  nameId: string;
  attributes: Record<string, string>;
}

export interface RespondOptions {
  user: SamlUser;
  requestId?: string;
  signAssertion?: boolean;
  signResponse?: boolean;
  /** Changes template values before signing (NotOnOrAfter, Audience, Destination…). */
  values?: Record<string, string>;
}

/** A self-signed RSA key and certificate (openssl), PEM. */
export function selfSignedCertificate(commonName: string): { privateKey: string; certificate: string } {
  const dir = mkdtempSync(join(tmpdir(), 'saml-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${commonName}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { privateKey: readFileSync(join(dir, 'key.pem'), 'utf8'), certificate: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export class TestSamlIdp {
  readonly entityId = 'https://idp.example.test/metadata';
  readonly keys = selfSignedCertificate('Test SAML IdP');
  url = '';
  /** Who logs in when the browser arrives at `/sso`. */
  currentUser: SamlUser = { nameId: 'nobody@example.com', attributes: {} };
  private server?: Server;

  constructor(readonly spEntityId: string, readonly acsUrl: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.pathname !== '/sso') {
          res.writeHead(404).end();
          return;
        }
        try {
          const parsed = await this.identityProvider(true, false).parseLoginRequest(this.serviceProvider(true, false), 'redirect', { query: Object.fromEntries(url.searchParams) } as never);
          const requestId = (parsed.extract as { request?: { id?: string } }).request?.id;
          const samlResponse = await this.respond({ user: this.currentUser, ...(requestId && { requestId }), signAssertion: true });
          const relayState = url.searchParams.get('RelayState') ?? '';
          res.writeHead(200, { 'content-type': 'text/html' }).end(
            `<form method="post" action="${this.acsUrl}"><input type="hidden" name="SAMLResponse" value="${samlResponse}"/><input type="hidden" name="RelayState" value="${relayState}"/></form>`,
          );
        } catch (error) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
        }
      })();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A base64 SAMLResponse, as the IdP would POST it. */
  async respond(options: RespondOptions): Promise<string> {
    const signAssertion = options.signAssertion ?? true;
    const signResponse = options.signResponse ?? false;
    const idp = this.identityProvider(signAssertion, signResponse);
    const sp = this.serviceProvider(signAssertion, signResponse);
    const attributes = Object.entries(options.user.attributes)
      .map(([name, value]) => `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"><saml:AttributeValue xsi:type="xs:string">${escapeXml(value)}</saml:AttributeValue></saml:Attribute>`)
      .join('');
    const now = new Date();
    const later = new Date(now.getTime() + 5 * 60_000).toISOString();
    const { context } = await idp.createLoginResponse(sp, { extract: { request: { id: options.requestId ?? '' } } } as never, 'post', {}, {
      customTagReplacement: (template: string) => {
        const values: Record<string, string> = {
          ID: `_${crypto.randomUUID()}`,
          AssertionID: `_${crypto.randomUUID()}`,
          Destination: this.acsUrl,
          Audience: this.spEntityId,
          SubjectRecipient: this.acsUrl,
          Issuer: this.entityId,
          IssueInstant: now.toISOString(),
          StatusCode: 'urn:oasis:names:tc:SAML:2.0:status:Success',
          ConditionsNotBefore: now.toISOString(),
          ConditionsNotOnOrAfter: later,
          SubjectConfirmationDataNotOnOrAfter: later,
          NameIDFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
          NameID: options.user.nameId,
          InResponseTo: options.requestId ?? '',
          ...options.values,
        };
        const authnStatement = `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="_session-${crypto.randomUUID()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`;
        const withAttributes = template
          .replace('{AuthnStatement}', authnStatement)
          .replace('{AttributeStatement}', attributes ? `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>` : '');
        const filled = withAttributes.replace(/\{(\w+)\}/g, (_m, tag: string) => escapeXml(values[tag] ?? ''));
        // An IdP-initiated response has no InResponseTo at all.
        return { id: values.ID!, context: options.requestId ? filled : filled.replace(/ InResponseTo=""/g, '') };
      },
    });
    return context;
  }

  private identityProvider(_signAssertion: boolean, _signResponse: boolean) {
    return samlify.IdentityProvider({
      entityID: this.entityId,
      privateKey: this.keys.privateKey,
      signingCert: this.keys.certificate,
      isAssertionEncrypted: false,
      wantAuthnRequestsSigned: false,
      singleSignOnService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${this.url}/sso` }],
      singleLogoutService: [{ Binding: samlify.Constants.namespace.binding.redirect, Location: `${this.url}/slo` }],
    });
  }

  private serviceProvider(signAssertion: boolean, signResponse: boolean) {
    return samlify.ServiceProvider({
      entityID: this.spEntityId,
      wantAssertionsSigned: signAssertion,
      wantMessageSigned: signResponse,
      assertionConsumerService: [{ Binding: samlify.Constants.namespace.binding.post, Location: this.acsUrl }],
    });
  }
}

function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
