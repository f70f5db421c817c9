/**
 * FusionAuth's Key API (Key Master): generate signing keys, import certificates, public keys and
 * private keys, rename and delete. SAML identity providers verify responses with a key referenced by
 * `keyId`. Private material is sealed before it enters an event and never returned.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { randomToken } from '@idstream/crypto';
import { FieldErrors, ValidationError, type ConfigDocument } from '@idstream/domain';
import { presentKey, type KeyDocument } from '@idstream/platform';
import type { AppContext } from '../context.js';
import { ConfigEntities } from '../config-entities.js';

/** The purpose SigningKeys opens private keys with (platform/signing-keys.ts), so imported keys can sign. */
const PRIVATE_KEY_PURPOSE = 'signing-key';
const algorithms = ['RS256', 'ES256', 'HS256'] as const;
type Algorithm = (typeof algorithms)[number];

export interface KeyInput {
  algorithm?: unknown;
  name?: unknown;
  kid?: unknown;
  certificate?: unknown;
  publicKey?: unknown;
  privateKey?: unknown;
  secret?: unknown;
  length?: unknown;
  [key: string]: unknown;
}

export async function generateKey(ctx: AppContext, id: string, input: KeyInput): Promise<ConfigDocument> {
  const errors = new FieldErrors();
  const name = requireName(input, errors);
  const algorithm = input.algorithm ?? 'RS256';
  if (typeof algorithm !== 'string' || !(algorithms as readonly string[]).includes(algorithm)) {
    errors.add('key.algorithm', 'invalid', `The [key.algorithm] must be one of ${algorithms.join(', ')}.`);
  }
  await checkUnique(ctx, id, name, errors);
  errors.throwIfAny();
  const document = await ctx.signingKeys.generate(id, name!, algorithm as Algorithm);
  const created = await new ConfigEntities(ctx).create<KeyDocument>('Key', document);
  return presentKey(created) as ConfigDocument;
}

export async function importKey(ctx: AppContext, id: string, input: KeyInput): Promise<ConfigDocument> {
  const errors = new FieldErrors();
  const name = requireName(input, errors);
  for (const field of ['certificate', 'publicKey', 'privateKey', 'secret', 'kid', 'algorithm'] as const) {
    if (input[field] !== undefined && input[field] !== null && typeof input[field] !== 'string') errors.add(`key.${field}`, 'couldNotConvert', `[key.${field}] must be a string.`);
  }
  errors.throwIfAny();
  const material = parseMaterial(input, errors);
  await checkUnique(ctx, id, name, errors);
  errors.throwIfAny();
  const kid = typeof input.kid === 'string' && input.kid ? input.kid : randomToken(16).slice(0, 16);
  const document: KeyDocument & Record<string, unknown> = {
    id,
    name: name!,
    kid,
    algorithm: material!.algorithm,
    type: material!.type,
    hasPrivateKey: Boolean(material!.privateKeyPem),
    ...(material!.publicKeyPem && { publicKey: material!.publicKeyPem }),
    ...(material!.certificate && { certificate: material!.certificate }),
    ...(material!.certificateInformation && { certificateInformation: material!.certificateInformation }),
    ...(material!.expirationInstant !== undefined && { expirationInstant: material!.expirationInstant }),
    ...(material!.issuer && { issuer: material!.issuer }),
    ...(material!.length && { length: material!.length }),
    ...(material!.privateKeyPem && { sealedSecret: ctx.secrets.seal(PRIVATE_KEY_PURPOSE, material!.privateKeyPem) }),
    ...(material!.secret && { sealedSecret: ctx.secrets.seal(PRIVATE_KEY_PURPOSE, material!.secret) }),
  };
  const created = await new ConfigEntities(ctx).create<KeyDocument>('Key', document);
  return presentKey(created) as ConfigDocument;
}

/** Only the name changes on update (FusionAuth's rule: key material is immutable). */
export async function renameKey(ctx: AppContext, existing: ConfigDocument, input: KeyInput): Promise<ConfigDocument> {
  const errors = new FieldErrors();
  const name = requireName(input, errors);
  await checkUnique(ctx, existing.id, name, errors, false);
  errors.throwIfAny();
  const replaced = await new ConfigEntities(ctx).replace('Key', { ...existing, name: name! });
  return presentKey(replaced) as ConfigDocument;
}

export async function deleteKey(ctx: AppContext, existing: ConfigDocument): Promise<void> {
  const providers = await ctx.readModels.config.IdentityProvider.list({ limit: 100_000 });
  const user = providers.find((p) => p.body.keyId === existing.id || p.body.requestSigningKeyId === existing.id);
  const tenants = await ctx.readModels.config.Tenant.list({ limit: 100_000 });
  const signing = tenants.find((t) => {
    const jwt = t.body.jwtConfiguration as { accessTokenKeyId?: string; idTokenKeyId?: string } | undefined;
    return jwt?.accessTokenKeyId === existing.id || jwt?.idTokenKeyId === existing.id;
  });
  if (user || signing) {
    throw ValidationError.general('[KeyInUse]', `The key is in use by ${user ? `the identity provider [${user.body.name as string}]` : `the tenant [${signing!.body.name as string}]`} and cannot be deleted.`);
  }
  await new ConfigEntities(ctx).delete('Key', existing.id);
}

function requireName(input: KeyInput, errors: FieldErrors): string | undefined {
  if (typeof input.name !== 'string' || input.name.trim() === '') {
    errors.add('key.name', 'blank', 'You must specify the [key.name] property.');
    return undefined;
  }
  return input.name.trim();
}

async function checkUnique(ctx: AppContext, id: string, name: string | undefined, errors: FieldErrors, isNew = true): Promise<void> {
  if (isNew && (await ctx.readModels.config.Key.get(id))) errors.add('key.id', 'duplicate', `A Key with Id [${id}] already exists.`);
  if (name && (await ctx.readModels.config.Key.list({ limit: 100_000 })).some((k) => k.id !== id && k.body.name === name)) {
    errors.add('key.name', 'duplicate', `A Key with name [${name}] already exists.`);
  }
}

interface Material {
  algorithm: Algorithm;
  type: KeyDocument['type'];
  publicKeyPem?: string;
  privateKeyPem?: string;
  secret?: string;
  certificate?: string;
  certificateInformation?: Record<string, unknown>;
  expirationInstant?: number;
  issuer?: string;
  length?: number;
}

function parseMaterial(input: KeyInput, errors: FieldErrors): Material | undefined {
  const { certificate, publicKey, privateKey, secret } = input as Record<string, string | undefined>;
  if (!certificate && !publicKey && !privateKey && !secret) {
    errors.add('key.certificate', 'blank', 'You must specify a [key.certificate], [key.publicKey], [key.privateKey] or [key.secret].');
    return undefined;
  }
  if (secret) {
    if (secret.length < 32) errors.add('key.secret', 'tooShort', 'An HMAC [key.secret] must be at least 32 characters.');
    return { algorithm: 'HS256', type: 'HMAC', secret };
  }
  let cert: X509Certificate | undefined;
  let publicObject: KeyObject | undefined;
  let privatePem: string | undefined;
  try {
    if (certificate) {
      cert = new X509Certificate(pemOf(certificate, 'CERTIFICATE'));
      publicObject = cert.publicKey;
    }
  } catch {
    errors.add('key.certificate', 'invalid', 'The [key.certificate] is not a valid X.509 certificate (PEM).');
  }
  try {
    if (publicKey && !publicObject) publicObject = createPublicKey(publicKey);
  } catch {
    errors.add('key.publicKey', 'invalid', 'The [key.publicKey] is not a valid public key (PEM).');
  }
  try {
    if (privateKey) {
      const privateObject = createPrivateKey(privateKey);
      privatePem = privateObject.export({ type: 'pkcs8', format: 'pem' }).toString();
      publicObject ??= createPublicKey(privateObject);
    }
  } catch {
    errors.add('key.privateKey', 'invalid', 'The [key.privateKey] is not a valid private key (PEM).');
  }
  if (!publicObject) return undefined;
  const details = publicObject.asymmetricKeyDetails;
  let algorithm: Algorithm;
  if (publicObject.asymmetricKeyType === 'rsa') algorithm = 'RS256';
  else if (publicObject.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') algorithm = 'ES256';
  else {
    errors.add('key.publicKey', 'invalid', 'Only RSA keys and EC keys on P-256 are supported.');
    return undefined;
  }
  if (typeof input.algorithm === 'string' && input.algorithm !== algorithm && !(algorithm === 'RS256' && /^RS(256|384|512)$/.test(input.algorithm))) {
    errors.add('key.algorithm', 'invalid', `The [key.algorithm] does not match the key (${algorithm}).`);
  }
  return {
    algorithm,
    type: algorithm === 'RS256' ? 'RSA' : 'EC',
    publicKeyPem: publicObject.export({ type: 'spki', format: 'pem' }).toString(),
    ...(privatePem && { privateKeyPem: privatePem }),
    ...(cert && {
      certificate: cert.toString(),
      certificateInformation: {
        issuer: cert.issuer.replace(/\n/g, ', '),
        subject: cert.subject.replace(/\n/g, ', '),
        serialNumber: cert.serialNumber,
        validFrom: Date.parse(cert.validFrom),
        validTo: Date.parse(cert.validTo),
        sha1Fingerprint: cert.fingerprint,
        sha256Fingerprint: cert.fingerprint256,
        sha1Thumbprint: Buffer.from(cert.fingerprint.replace(/:/g, ''), 'hex').toString('base64url'),
        sha256Thumbprint: Buffer.from(cert.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url'),
      },
      expirationInstant: Date.parse(cert.validTo),
      issuer: cert.issuer.replace(/\n/g, ', '),
    }),
    ...(details?.modulusLength && { length: details.modulusLength }),
  };
}

/** FusionAuth accepts certificates with or without the PEM armour. */
function pemOf(value: string, label: string): string {
  if (/-----BEGIN /.test(value)) return value;
  const body = value.replace(/\s+/g, '');
  return `-----BEGIN ${label}-----\n${body.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * Why a key's certificate cannot be trusted at `now` (outside its validity dates), or undefined when
 * it can, or when the key is a bare public key (which has no dates).
 */
export function certificateValidity(key: ConfigDocument, now: number): { code: string; message: string } | undefined {
  if (typeof key.certificate !== 'string') return undefined;
  const info = key.certificateInformation as { validFrom?: number; validTo?: number } | undefined;
  let validFrom = info?.validFrom;
  let validTo = info?.validTo;
  if (validFrom === undefined || validTo === undefined) {
    const cert = new X509Certificate(key.certificate);
    validFrom = Date.parse(cert.validFrom);
    validTo = Date.parse(cert.validTo);
  }
  if (now < validFrom) return { code: '[SAMLCertificateNotYetValid]', message: `The certificate of the key [${key.name as string}] is not valid before ${new Date(validFrom).toISOString()}.` };
  if (now > validTo) return { code: '[SAMLCertificateExpired]', message: `The certificate of the key [${key.name as string}] expired at ${new Date(validTo).toISOString()}.` };
  return undefined;
}

/** The private key (and certificate, if any) an AuthnRequest is signed with; the key was validated on save. */
export async function requestSigningMaterial(ctx: AppContext, keyId: string | undefined): Promise<{ privateKeyPem: string; certificatePem?: string }> {
  const key = keyId ? (await ctx.readModels.config.Key.get(keyId))?.body : undefined;
  if (!key || key.type !== 'RSA' || typeof key.sealedSecret !== 'string') {
    throw ValidationError.field('identityProvider.requestSigningKeyId', 'invalid', 'The request signing key of this identity provider no longer exists or has no RSA private key.');
  }
  return { privateKeyPem: ctx.secrets.open(PRIVATE_KEY_PURPOSE, key.sealedSecret), ...(typeof key.certificate === 'string' && { certificatePem: key.certificate }) };
}

/** The PEM a SAML verification uses: the certificate when there is one, else the public key. */
export function verificationPem(key: ConfigDocument): string | undefined {
  return (key.certificate as string | undefined) ?? (key.publicKey as string | undefined);
}
