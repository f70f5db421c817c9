/**
 * `POST /api/identity-provider/login` for SAML v2 and Facebook: verify what the provider sent, map it
 * to an external identity, then reconcile and log in.
 */
import type { ConfigDocument } from '@idstream/domain';
import type { AppContext } from '../context.js';
import type { LoginRequest } from '../login.js';
import { CLIENT_SECRET_PURPOSE, resolved, type IdentityProviderDocument } from './definitions.js';
import { facebookProfile } from './facebook.js';
import { LINK_TOKEN_PURPOSE } from './links.js';
import { reconcileAndLogin, type ExternalIdentity, type IdentityProviderLoginOutcome } from './reconcile.js';
import { verifySamlResponse, type VerifiedSamlResponse } from './saml.js';
import type { EventMetadata } from '@idstream/eventstore';
import { debugLog } from './debug-log.js';

export interface IdentityProviderLoginInput {
  idp: IdentityProviderDocument;
  application: ConfigDocument;
  data: { samlResponse?: string; token?: string; code?: string; redirect_uri?: string };
  noLink: boolean;
  login: LoginRequest;
  metadata?: EventMetadata;
}

/** SAML attribute names FusionAuth maps to user fields (recovered claim list of the SAML page). */
const samlClaims: Record<string, string> = {
  birthdate: 'birthDate',
  date_of_birth: 'birthDate',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/dateofbirth': 'birthDate',
  email: 'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'email',
  first_name: 'firstName',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname': 'firstName',
  last_name: 'lastName',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname': 'lastName',
  name: 'fullName',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': 'fullName',
  mobile_number: 'mobilePhone',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/mobilephone': 'mobilePhone',
};

export async function identityProviderLogin(ctx: AppContext, input: IdentityProviderLoginInput): Promise<IdentityProviderLoginOutcome> {
  await debugLog(ctx, input.idp, `${input.idp.type} login started for the application [${input.application.id}].`);
  let identity: ExternalIdentity;
  try {
    identity = input.idp.type === 'SAMLv2' ? await samlIdentity(ctx, input) : await facebookIdentity(ctx, input);
  } catch (error) {
    const body = (error as { body?: { generalErrors?: { code: string; message: string }[]; fieldErrors?: Record<string, { code: string; message: string }[]> } }).body;
    const reason = body?.generalErrors?.[0] ?? Object.values(body?.fieldErrors ?? {})[0]?.[0];
    await debugLog(ctx, input.idp, `${input.idp.type} login refused: ${reason ? `${reason.code} ${reason.message}` : (error as Error).message}`);
    throw error;
  }
  const outcome = await reconcileAndLogin(ctx, {
    idp: input.idp,
    application: input.application,
    identity,
    noLink: input.noLink,
    login: input.login,
    authenticationType: input.idp.type === 'SAMLv2' ? 'SAMLv2' : 'FACEBOOK',
    ...(input.metadata && { metadata: input.metadata }),
  });
  // No user id: the event log outlives a hard delete of the user.
  await debugLog(ctx, input.idp, `${input.idp.type} login reconciled with the linking strategy [${input.idp.linkingStrategy}]: status ${outcome.status}.`);
  return outcome;
}

async function samlIdentity(ctx: AppContext, input: IdentityProviderLoginInput): Promise<ExternalIdentity> {
  const verified = await verifySamlResponse(ctx, input.idp, input.data.samlResponse!);
  return samlToIdentity(input.idp, verified);
}

export function samlToIdentity(idp: IdentityProviderDocument, verified: VerifiedSamlResponse): ExternalIdentity {
  const first = (name: string | undefined) => (name ? verified.attributes[name]?.find((v) => typeof v === 'string' && v.trim() !== '')?.trim() : undefined);
  const profile: Record<string, unknown> = {};
  for (const [attribute, field] of Object.entries(samlClaims)) {
    const value = first(attribute);
    if (value !== undefined && profile[field] === undefined) profile[field] = value;
  }
  if (typeof profile.birthDate === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(profile.birthDate)) delete profile.birthDate;
  // useNameIdForEmail wins over emailClaim when both are set (the SAML page's example sets both).
  const email = idp.useNameIdForEmail ? verified.nameId : first(idp.emailClaim);
  delete profile.email;
  const username = first(idp.usernameClaim) ?? verified.nameId;
  const uniqueId = first(idp.uniqueIdClaim) ?? email ?? verified.nameId;
  if (!uniqueId) throw new Error('unreachable: a verified SAML response without a subject');
  return {
    identityProviderUserId: uniqueId,
    ...(email && { email }),
    ...(username && { username }),
    displayName: email ?? username ?? uniqueId,
    profile,
  };
}

async function facebookIdentity(ctx: AppContext, input: IdentityProviderLoginInput): Promise<ExternalIdentity> {
  const { idp, application, data } = input;
  const sealedSecret = resolved(idp, application.id, 'client_secret');
  const profile = await facebookProfile(
    ctx,
    {
      appId: resolved(idp, application.id, 'appId') ?? '',
      clientSecret: sealedSecret ? ctx.secrets.open(CLIENT_SECRET_PURPOSE, sealedSecret) : '',
      fields: resolved(idp, application.id, 'fields') ?? 'email',
    },
    data.token ? { token: data.token } : { code: data.code!, redirectUri: data.redirect_uri! },
    (message) => debugLog(ctx, idp, message),
  );
  const name = typeof profile.claims.name === 'string' ? profile.claims.name : undefined;
  return {
    identityProviderUserId: profile.id,
    ...(profile.email && { email: profile.email }),
    displayName: profile.email ?? name ?? profile.id,
    // Without a reconcile lambda FusionAuth takes the email (and the picture) only.
    profile: { ...(profile.imageUrl && { imageUrl: profile.imageUrl }) },
    sealedToken: ctx.secrets.seal(LINK_TOKEN_PURPOSE, profile.longLivedToken),
  };
}
