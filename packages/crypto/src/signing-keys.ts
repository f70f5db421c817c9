import { createHmac, createPrivateKey, randomBytes, sign as signBytes, type KeyObject } from 'node:crypto';
import { errors, exportJWK, exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify } from 'jose';
import type { CryptoKey, JWK, JWTPayload, JSONWebKeySet, JWTHeaderParameters } from 'jose';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'HS256';

/**
 * JWT signing key material as stored (JSON-serialisable). `privateKeyPem` (PKCS#8) and `secret`
 * (HMAC, base64url) are secrets: the caller seals them with an envelope key before persisting.
 */
export interface SigningKeyRecord {
  kid: string;
  algorithm: SigningAlgorithm;
  /** SPKI PEM; absent for HMAC keys. */
  publicKeyPem?: string;
  /** PKCS#8 PEM; absent for HMAC keys and for verification-only (public) records. */
  privateKeyPem?: string;
  /** HMAC secret, base64url. */
  secret?: string;
}

/** A JWK as published in `/.well-known/jwks.json`. */
export type PublicJwk = JWK & { kid: string; alg: SigningAlgorithm; use: 'sig' };

export interface JwtSignOptions {
  expiresInSeconds: number;
  now?: Date;
}

export interface JwtVerifyOptions {
  issuer?: string | string[];
  audience?: string | string[];
  clockToleranceSeconds?: number;
  now?: Date;
}

/** Finds the key named by a token's `kid` header; undefined when unknown (the token is then rejected). */
export type SigningKeyResolver = (kid: string | undefined) => SigningKeyRecord | undefined | Promise<SigningKeyRecord | undefined>;

const HMAC_SECRET_BYTES = 32;
const KID = /^[\x21-\x7e]{1,128}$/;

/** Creates a new key: RSA 2048 (RS256), P-256 (ES256) or a 256-bit HMAC secret (HS256). */
export async function generateSigningKey(algorithm: SigningAlgorithm, kid: string): Promise<SigningKeyRecord> {
  if (!KID.test(kid)) throw new RangeError('kid must be 1-128 printable ASCII characters');
  if (algorithm === 'HS256') return { kid, algorithm, secret: randomBytes(HMAC_SECRET_BYTES).toString('base64url') };
  if (algorithm !== 'RS256' && algorithm !== 'ES256') throw new RangeError(`unsupported signing algorithm ${String(algorithm)}`);
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true, ...(algorithm === 'RS256' ? { modulusLength: 2048 } : {}) });
  return { kid, algorithm, publicKeyPem: await exportSPKI(publicKey), privateKeyPem: await exportPKCS8(privateKey) };
}

/**
 * Keys derived from a kid's material (an imported CryptoKey, a node:crypto KeyObject), by slot.
 * Deriving costs far more than a signature, so every call after the first reuses the key; the entry
 * is replaced when the slot's material changes, and the oldest leaves past MAX_CACHED_KEYS.
 */
function materialCache<T>() {
  const entries = new Map<string, { material: string; value: T }>();
  return {
    get(slot: string, material: string, derive: () => T): T {
      const hit = entries.get(slot);
      if (hit && hit.material === material) return hit.value;
      if (entries.size >= MAX_CACHED_KEYS) entries.delete(entries.keys().next().value!);
      const value = derive();
      entries.set(slot, { material, value });
      return value;
    },
    forget(slot: string, value: T): void {
      if (entries.get(slot)?.value === value) entries.delete(slot);
    },
    clear(): void {
      entries.clear();
    },
  };
}

const MAX_CACHED_KEYS = 512;
/** WebCrypto keys by kid and use, for verification. */
const keyCache = materialCache<Promise<CryptoKey>>();

function cached(slot: string, material: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
  return keyCache.get(slot, material, () => {
    const key = load();
    // A failed import must not stay cached: the next call retries and reports its own error.
    key.catch(() => keyCache.forget(slot, key));
    return key;
  });
}

/** Forgets imported keys (after a key is deleted or rotated out). */
export function clearSigningKeyCache(): void {
  keyCache.clear();
  signingKeyObjects.clear();
}

function hmacKey(record: SigningKeyRecord): Promise<CryptoKey> {
  const secret = record.secret;
  if (!secret) throw new TypeError(`signing key ${record.kid} has no HMAC secret`);
  return cached(`${record.kid}\0hmac`, secret, () =>
    globalThis.crypto.subtle.importKey('raw', Buffer.from(secret, 'base64url'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
  );
}

function publicKey(record: SigningKeyRecord): Promise<CryptoKey> {
  if (record.algorithm === 'HS256') return hmacKey(record);
  const pem = record.publicKeyPem;
  if (!pem) throw new TypeError(`signing key ${record.kid} has no public key`);
  return cached(`${record.kid}\0public`, pem, () => importSPKI(pem, record.algorithm, { extractable: true }));
}

/** The public JWK of an asymmetric key, ready for the JWKS document. HMAC keys have none and throw. */
export async function toPublicJwk(record: SigningKeyRecord): Promise<PublicJwk> {
  if (record.algorithm === 'HS256') throw new TypeError(`signing key ${record.kid} is an HMAC secret and must never be published`);
  const { kty, n, e, crv, x, y } = await exportJWK(await publicKey(record));
  const material = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, value]) => value !== undefined));
  return { ...material, kid: record.kid, alg: record.algorithm, use: 'sig' };
}

/** `/.well-known/jwks.json`: every asymmetric key; HMAC keys are skipped. */
export async function toJwks(records: readonly SigningKeyRecord[]): Promise<JSONWebKeySet> {
  const published = records.filter((record) => record.algorithm !== 'HS256');
  return { keys: await Promise.all(published.map(toPublicJwk)) };
}

/**
 * Private keys as node:crypto KeyObjects, by kid, for signing. Signing goes through node:crypto, not
 * WebCrypto: a WebCrypto ES256 signature cost 126 µs of event-loop CPU against 40 µs, and its job
 * waits in the libuv pool behind the argon2 verifications of concurrent logins (measured here).
 */
const signingKeyObjects = materialCache<KeyObject | Buffer>();

function signingMaterial(record: SigningKeyRecord): KeyObject | Buffer {
  const material = record.algorithm === 'HS256' ? record.secret : record.privateKeyPem;
  if (!material) throw new TypeError(`signing key ${record.kid} has no ${record.algorithm === 'HS256' ? 'HMAC secret' : 'private key'}`);
  return signingKeyObjects.get(record.kid, material, () => (record.algorithm === 'HS256' ? Buffer.from(material, 'base64url') : createPrivateKey(material)));
}

const base64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** Signs `claims` with `iat` = now and `exp` = now + expiresInSeconds; header `{alg, typ: 'JWT', kid}` as FusionAuth. */
export async function signJwt(record: SigningKeyRecord, claims: JWTPayload, options: JwtSignOptions): Promise<string> {
  if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds <= 0) throw new RangeError('expiresInSeconds must be a positive integer');
  if (record.algorithm !== 'RS256' && record.algorithm !== 'ES256' && record.algorithm !== 'HS256') throw new RangeError(`unsupported signing algorithm ${String(record.algorithm)}`);
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const header = { alg: record.algorithm, typ: 'JWT', kid: record.kid };
  const payload = { ...claims, iat: issuedAt, exp: issuedAt + options.expiresInSeconds };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const key = signingMaterial(record);
  const signature =
    record.algorithm === 'HS256'
      ? createHmac('sha256', key as Buffer).update(input).digest()
      : // JWS wants ES256 signatures as r || s, not DER.
        signBytes('sha256', Buffer.from(input), record.algorithm === 'ES256' ? { key: key as KeyObject, dsaEncoding: 'ieee-p1363' } : (key as KeyObject));
  return `${input}.${base64url(signature)}`;
}

export interface VerifiedJwt {
  payload: JWTPayload;
  header: JWTHeaderParameters;
}

/**
 * Verifies signature, `exp` (required), `nbf` and optional issuer/audience. The token's `alg` must equal
 * the resolved key's algorithm, so an RS256 key can never be used as an HMAC secret. Throws jose errors
 * (`code` such as ERR_JWT_EXPIRED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWKS_NO_MATCHING_KEY).
 */
export async function verifyJwt(token: string, resolve: SigningKeyResolver, options: JwtVerifyOptions = {}): Promise<VerifiedJwt> {
  const { payload, protectedHeader } = await jwtVerify(
    token,
    async (header) => {
      const record = await resolve(header.kid);
      if (!record) throw new errors.JWKSNoMatchingKey(`no signing key with kid ${String(header.kid)}`);
      if (header.alg !== record.algorithm) throw new errors.JOSEAlgNotAllowed(`"alg" ${String(header.alg)} does not match key ${record.kid}`);
      return publicKey(record);
    },
    {
      algorithms: ['RS256', 'ES256', 'HS256'],
      requiredClaims: ['exp'],
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      ...(options.audience !== undefined ? { audience: options.audience } : {}),
      ...(options.clockToleranceSeconds !== undefined ? { clockTolerance: options.clockToleranceSeconds } : {}),
      ...(options.now !== undefined ? { currentDate: options.now } : {}),
    },
  );
  return { payload, header: protectedHeader };
}
