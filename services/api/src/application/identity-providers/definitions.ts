/**
 * Identity provider configuration (SAMLv2 and Facebook): defaults, validation and presentation in
 * FusionAuth's shapes. Facebook's `client_secret` (top level and per application) is sealed at rest
 * and never returned; a PUT or PATCH without it keeps the stored one.
 */
import { FieldErrors, type ConfigDocument } from '@idstream/domain';
import type { AppContext } from '../context.js';
import { c14nAlgorithms, type C14nMethod } from './saml-request.js';

export const FACEBOOK_IDP_ID = '56abdcc7-8bd9-4321-9621-4e9bbebae494';
export const CLIENT_SECRET_PURPOSE = 'idp-client-secret';
export const identityProviderTypes = ['SAMLv2', 'Facebook'] as const;
export type IdentityProviderType = (typeof identityProviderTypes)[number];
export const linkingStrategies = [
  'CreatePendingLink',
  'Disabled',
  'LinkAnonymously',
  'LinkByEmail',
  'LinkByEmailForExistingUser',
  'LinkByUsername',
  'LinkByUsernameForExistingUser',
] as const;
export type LinkingStrategy = (typeof linkingStrategies)[number];

export interface ApplicationConfiguration {
  enabled?: boolean;
  createRegistration?: boolean;
  buttonText?: string;
  buttonImageURL?: string;
  appId?: string;
  client_secret?: string;
  fields?: string;
  permissions?: string;
}

export interface IdentityProviderDocument extends ConfigDocument {
  type: IdentityProviderType;
  name: string;
  enabled: boolean;
  debug: boolean;
  linkingStrategy: LinkingStrategy;
  applicationConfiguration: Record<string, ApplicationConfiguration>;
  tenantConfiguration: Record<string, { limitUserLinkCount?: { enabled?: boolean; maximumLinks?: number } }>;
  buttonText?: string;
  domains?: string[];
  // SAMLv2
  emailClaim?: string;
  uniqueIdClaim?: string;
  usernameClaim?: string;
  useNameIdForEmail?: boolean;
  idpEndpoint?: string;
  issuer?: string;
  keyId?: string;
  nameIdFormat?: string;
  idpInitiatedConfiguration?: { enabled?: boolean; issuer?: string };
  assertionConfiguration?: { destination?: { policy?: string; alternates?: string[] } };
  postRequest?: boolean;
  signRequest?: boolean;
  requestSigningKeyId?: string;
  xmlSignatureC14nMethod?: C14nMethod;
  // Facebook
  appId?: string;
  client_secret?: string;
  fields?: string;
  permissions?: string;
  loginMethod?: string;
}

const str = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const domainPattern = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Builds the document to store from client input (a create when `existing` is undefined, else a full
 * replacement of `existing`). Throws the Errors JSON for every problem at once.
 */
export async function prepareIdentityProvider(
  ctx: AppContext,
  input: Record<string, unknown>,
  id: string,
  existing: IdentityProviderDocument | undefined,
): Promise<IdentityProviderDocument> {
  const errors = new FieldErrors();
  const f = (name: string) => `identityProvider.${name}`;
  const type = input.type ?? existing?.type;
  if (!str(type)) {
    errors.add(f('type'), 'blank', 'You must specify the [identityProvider.type] property.');
    errors.throwIfAny();
  }
  if (!(identityProviderTypes as readonly string[]).includes(type as string)) {
    errors.add(f('type'), 'invalid', `The [identityProvider.type] must be one of ${identityProviderTypes.join(', ')}.`);
    errors.throwIfAny();
  }
  if (existing && existing.type !== type) errors.add(f('type'), 'invalid', 'The [identityProvider.type] of an identity provider cannot change.');
  if (type === 'Facebook' && id !== FACEBOOK_IDP_ID) errors.add(f('id'), 'invalid', `The Facebook identity provider always has the Id [${FACEBOOK_IDP_ID}].`);

  // Types of the shared optional fields.
  for (const name of ['enabled', 'debug', 'useNameIdForEmail', 'postRequest', 'signRequest']) {
    if (input[name] !== undefined && input[name] !== null && typeof input[name] !== 'boolean') errors.add(f(name), 'couldNotConvert', `[${f(name)}] must be true or false.`);
  }
  const stringFields = ['name', 'buttonText', 'buttonImageURL', 'emailClaim', 'uniqueIdClaim', 'usernameClaim', 'idpEndpoint', 'issuer', 'keyId', 'nameIdFormat', 'requestSigningKeyId', 'xmlSignatureC14nMethod', 'appId', 'client_secret', 'fields', 'permissions', 'loginMethod', 'linkingStrategy'];
  for (const name of stringFields) {
    if (input[name] !== undefined && input[name] !== null && typeof input[name] !== 'string') errors.add(f(name), 'couldNotConvert', `[${f(name)}] must be a string.`);
  }
  for (const name of ['applicationConfiguration', 'tenantConfiguration', 'lambdaConfiguration', 'idpInitiatedConfiguration', 'assertionConfiguration']) {
    if (input[name] !== undefined && input[name] !== null && !isPlain(input[name])) errors.add(f(name), 'couldNotConvert', `[${f(name)}] must be an object.`);
  }
  errors.throwIfAny();

  if (!str(input.buttonText)) errors.add(f('buttonText'), 'blank', 'You must specify the [identityProvider.buttonText] property.');
  const linkingStrategy = (input.linkingStrategy as string | undefined) ?? 'LinkByEmail';
  if (!(linkingStrategies as readonly string[]).includes(linkingStrategy)) {
    errors.add(f('linkingStrategy'), 'invalid', `The [identityProvider.linkingStrategy] must be one of ${linkingStrategies.join(', ')}.`);
  }
  if (input.lambdaConfiguration && isPlain(input.lambdaConfiguration) && input.lambdaConfiguration.reconcileId !== undefined && input.lambdaConfiguration.reconcileId !== null) {
    // No lambda engine exists here: a reconcile lambda could never run, so referencing one is refused.
    errors.add(f('lambdaConfiguration.reconcileId'), 'invalid', 'Reconcile lambdas are not supported by this server.');
  }
  const applicationConfiguration = await checkApplicationConfiguration(ctx, input.applicationConfiguration, type as IdentityProviderType, errors);
  const tenantConfiguration = await checkTenantConfiguration(ctx, input.tenantConfiguration, errors);

  const base = {
    ...input,
    id,
    type: type as IdentityProviderType,
    enabled: input.enabled === true,
    debug: input.debug === true,
    linkingStrategy: linkingStrategy as LinkingStrategy,
    applicationConfiguration,
    tenantConfiguration,
  } as IdentityProviderDocument;
  delete (base as Record<string, unknown>).insertInstant;
  delete (base as Record<string, unknown>).lastUpdateInstant;

  if (type === 'SAMLv2') await checkSaml(ctx, base, id, errors);
  else checkFacebook(ctx, base, existing, errors);
  errors.throwIfAny();
  return base;
}

async function checkSaml(ctx: AppContext, doc: IdentityProviderDocument, id: string, errors: FieldErrors): Promise<void> {
  const f = (name: string) => `identityProvider.${name}`;
  if (!str(doc.name)) errors.add(f('name'), 'blank', 'You must specify the [identityProvider.name] property.');
  else {
    const all = await ctx.readModels.config.IdentityProvider.list({ limit: 100_000 });
    if (all.some((p) => p.id !== id && p.body.name === doc.name)) errors.add(f('name'), 'duplicate', `An identity provider with name [${doc.name}] already exists.`);
  }
  if (!str(doc.issuer)) errors.add(f('issuer'), 'blank', 'You must specify the [identityProvider.issuer] property.');
  if (!str(doc.idpEndpoint)) errors.add(f('idpEndpoint'), 'blank', 'You must specify the [identityProvider.idpEndpoint] property.');
  else if (!/^https?:\/\//i.test(doc.idpEndpoint) || !URL.canParse(doc.idpEndpoint)) errors.add(f('idpEndpoint'), 'invalid', 'The [identityProvider.idpEndpoint] must be an http or https URL.');
  if (!str(doc.keyId)) errors.add(f('keyId'), 'blank', 'You must specify the [identityProvider.keyId] property.');
  else if (!uuidPattern.test(doc.keyId)) errors.add(f('keyId'), 'couldNotConvert', '[identityProvider.keyId] must be a UUID.');
  else {
    doc.keyId = doc.keyId.toLowerCase();
    const key = (await ctx.readModels.config.Key.get(doc.keyId))?.body;
    if (!key) errors.add(f('keyId'), 'invalid', `No Key with Id [${doc.keyId}] exists.`);
    else if (key.type === 'HMAC' || (!key.certificate && !key.publicKey)) errors.add(f('keyId'), 'invalid', 'The [identityProvider.keyId] must reference a certificate or public key.');
  }
  doc.useNameIdForEmail = doc.useNameIdForEmail === true;
  if (!doc.useNameIdForEmail && !str(doc.emailClaim) && doc.linkingStrategy !== 'LinkAnonymously' && !doc.linkingStrategy.startsWith('LinkByUsername')) {
    errors.add(f('emailClaim'), 'blank', 'You must specify the [identityProvider.emailClaim] property or set [identityProvider.useNameIdForEmail] to true.');
  }
  doc.nameIdFormat ??= 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
  await checkRequestSigning(ctx, doc, errors);
  const policy = doc.assertionConfiguration?.destination?.policy;
  if (policy !== undefined && !['Enabled', 'Disabled', 'AllowAlternates'].includes(policy)) {
    errors.add(f('assertionConfiguration.destination.policy'), 'invalid', 'The destination policy must be Enabled, Disabled or AllowAlternates.');
  }
  doc.assertionConfiguration = { ...doc.assertionConfiguration, destination: { policy: 'Enabled', ...doc.assertionConfiguration?.destination } };
  if (doc.domains !== undefined && doc.domains !== null) {
    if (!Array.isArray(doc.domains) || !doc.domains.every((d) => typeof d === 'string')) {
      errors.add(f('domains'), 'couldNotConvert', '[identityProvider.domains] must be an array of strings.');
    } else {
      doc.domains = [...new Set(doc.domains.map((d) => d.trim().toLowerCase()))];
      const bad = doc.domains.filter((d) => !domainPattern.test(d));
      if (bad.length > 0) errors.add(f('domains'), 'invalid', `Not valid domains: ${bad.join(', ')}.`);
      const others = await ctx.readModels.config.IdentityProvider.list({ limit: 100_000 });
      const taken = doc.domains.filter((d) => others.some((p) => p.id !== id && Array.isArray(p.body.domains) && (p.body.domains as string[]).includes(d)));
      if (taken.length > 0) errors.add(f('domains'), 'duplicate', `These domains belong to another identity provider: ${taken.join(', ')}.`);
    }
  } else {
    doc.domains = [];
  }
}

/** The AuthnRequest: binding, signing key (an RSA key with its private part) and canonicalisation. */
async function checkRequestSigning(ctx: AppContext, doc: IdentityProviderDocument, errors: FieldErrors): Promise<void> {
  const f = (name: string) => `identityProvider.${name}`;
  doc.postRequest = doc.postRequest === true;
  doc.signRequest = doc.signRequest === true;
  const methods = Object.keys(c14nAlgorithms);
  if (str(doc.xmlSignatureC14nMethod) && !methods.includes(doc.xmlSignatureC14nMethod)) {
    errors.add(f('xmlSignatureC14nMethod'), 'invalid', `The [identityProvider.xmlSignatureC14nMethod] must be one of ${methods.join(', ')}.`);
  }
  if (!doc.signRequest) return;
  if (doc.postRequest && !str(doc.xmlSignatureC14nMethod)) {
    errors.add(f('xmlSignatureC14nMethod'), 'blank', 'You must specify the [identityProvider.xmlSignatureC14nMethod] property when [signRequest] and [postRequest] are true.');
  }
  if (!str(doc.requestSigningKeyId)) {
    errors.add(f('requestSigningKeyId'), 'blank', 'You must specify the [identityProvider.requestSigningKeyId] property when [signRequest] is true.');
    return;
  }
  if (!uuidPattern.test(doc.requestSigningKeyId)) {
    errors.add(f('requestSigningKeyId'), 'couldNotConvert', '[identityProvider.requestSigningKeyId] must be a UUID.');
    return;
  }
  doc.requestSigningKeyId = doc.requestSigningKeyId.toLowerCase();
  const key = (await ctx.readModels.config.Key.get(doc.requestSigningKeyId))?.body;
  if (!key) errors.add(f('requestSigningKeyId'), 'invalid', `No Key with Id [${doc.requestSigningKeyId}] exists.`);
  else if (key.type !== 'RSA' || key.hasPrivateKey !== true) errors.add(f('requestSigningKeyId'), 'invalid', 'The [identityProvider.requestSigningKeyId] must reference an RSA key with a private key.');
}

function checkFacebook(ctx: AppContext, doc: IdentityProviderDocument, existing: IdentityProviderDocument | undefined, errors: FieldErrors): void {
  const f = (name: string) => `identityProvider.${name}`;
  doc.name = 'Facebook';
  doc.fields = str(doc.fields) ? doc.fields : 'email';
  doc.permissions = str(doc.permissions) ? doc.permissions : 'email';
  doc.loginMethod ??= 'UseRedirect';
  if (!['UsePopup', 'UseRedirect'].includes(doc.loginMethod)) errors.add(f('loginMethod'), 'invalid', 'The [identityProvider.loginMethod] must be UsePopup or UseRedirect.');
  if (!str(doc.appId)) errors.add(f('appId'), 'blank', 'You must specify the [identityProvider.appId] property.');
  if (str(doc.client_secret)) doc.client_secret = ctx.secrets.seal(CLIENT_SECRET_PURPOSE, doc.client_secret);
  else if (existing?.client_secret) doc.client_secret = existing.client_secret;
  else errors.add(f('client_secret'), 'blank', 'You must specify the [identityProvider.client_secret] property.');
  for (const [appId, config] of Object.entries(doc.applicationConfiguration)) {
    if (str(config.client_secret)) config.client_secret = ctx.secrets.seal(CLIENT_SECRET_PURPOSE, config.client_secret);
    else {
      const kept = existing?.applicationConfiguration?.[appId]?.client_secret;
      if (kept) config.client_secret = kept;
      else delete config.client_secret;
    }
  }
  delete doc.domains;
}

async function checkApplicationConfiguration(ctx: AppContext, value: unknown, type: IdentityProviderType, errors: FieldErrors): Promise<Record<string, ApplicationConfiguration>> {
  const result: Record<string, ApplicationConfiguration> = {};
  if (!isPlain(value)) return result;
  const strings = type === 'Facebook' ? ['buttonText', 'appId', 'client_secret', 'fields', 'permissions'] : ['buttonText', 'buttonImageURL'];
  for (const [rawId, config] of Object.entries(value)) {
    const field = `identityProvider.applicationConfiguration[${rawId}]`;
    if (!uuidPattern.test(rawId)) {
      errors.add(field, 'invalid', `The application Id [${rawId}] is not a UUID.`);
      continue;
    }
    const appId = rawId.toLowerCase();
    if (!(await ctx.readModels.config.Application.get(appId))) errors.add(field, 'invalid', `No Application with Id [${appId}] exists.`);
    if (!isPlain(config)) {
      errors.add(field, 'couldNotConvert', `[${field}] must be an object.`);
      continue;
    }
    for (const name of ['enabled', 'createRegistration']) {
      if (config[name] !== undefined && config[name] !== null && typeof config[name] !== 'boolean') errors.add(`${field}.${name}`, 'couldNotConvert', `[${field}.${name}] must be true or false.`);
    }
    for (const name of strings) {
      if (config[name] !== undefined && config[name] !== null && typeof config[name] !== 'string') errors.add(`${field}.${name}`, 'couldNotConvert', `[${field}.${name}] must be a string.`);
    }
    result[appId] = { ...config, enabled: config.enabled === true, createRegistration: config.createRegistration !== false } as ApplicationConfiguration;
  }
  return result;
}

async function checkTenantConfiguration(ctx: AppContext, value: unknown, errors: FieldErrors): Promise<IdentityProviderDocument['tenantConfiguration']> {
  const result: IdentityProviderDocument['tenantConfiguration'] = {};
  if (!isPlain(value)) return result;
  for (const [rawId, config] of Object.entries(value)) {
    const field = `identityProvider.tenantConfiguration[${rawId}]`;
    if (!uuidPattern.test(rawId) || !(await ctx.readModels.config.Tenant.get(rawId.toLowerCase()))) {
      errors.add(field, 'invalid', `No Tenant with Id [${rawId}] exists.`);
      continue;
    }
    const limit = isPlain(config) ? config.limitUserLinkCount : undefined;
    if (!isPlain(config) || (limit !== undefined && !isPlain(limit))) {
      errors.add(field, 'couldNotConvert', `[${field}] must be an object with a [limitUserLinkCount] object.`);
      continue;
    }
    const enabled = limit?.enabled ?? false;
    const maximumLinks = limit?.maximumLinks ?? 42;
    if (typeof enabled !== 'boolean') errors.add(`${field}.limitUserLinkCount.enabled`, 'couldNotConvert', 'Must be true or false.');
    if (typeof maximumLinks !== 'number' || !Number.isInteger(maximumLinks) || maximumLinks < 1) {
      errors.add(`${field}.limitUserLinkCount.maximumLinks`, 'invalid', 'The [maximumLinks] must be a whole number greater than 0.');
    }
    result[rawId.toLowerCase()] = { ...config, limitUserLinkCount: { enabled: enabled as boolean, maximumLinks: maximumLinks as number } };
  }
  return result;
}

/** What a client sees: never a client secret. */
export function presentIdentityProvider(document: ConfigDocument): Record<string, unknown> {
  const { client_secret: _secret, applicationConfiguration, ...rest } = document as IdentityProviderDocument;
  const apps = Object.fromEntries(Object.entries(applicationConfiguration ?? {}).map(([id, { client_secret: _s, ...config }]) => [id, config]));
  return { ...rest, applicationConfiguration: apps };
}

/** Effective per-application setting: the application override first, then the top level. */
export function resolved<K extends keyof ApplicationConfiguration>(idp: IdentityProviderDocument, applicationId: string, key: K): ApplicationConfiguration[K] | undefined {
  const override = idp.applicationConfiguration?.[applicationId]?.[key];
  return override ?? (idp as unknown as Record<string, ApplicationConfiguration[K]>)[key];
}
