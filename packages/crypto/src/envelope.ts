import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** A 256-bit AES key and the id written into every envelope it seals, so rotation can find the right key. */
export interface EnvelopeKey {
  readonly id: string;
  readonly key: Uint8Array;
}

/** Looks a key up by the id found in an envelope; undefined when that key is gone (e.g. crypto-shredded). */
export type EnvelopeKeyResolver = (keyId: string) => EnvelopeKey | undefined;

export type EnvelopeErrorReason = 'malformed' | 'unknown-key' | 'rejected';

/** Thrown by `decrypt`. `rejected` covers a wrong key, a wrong context and any tampering alike. */
export class EnvelopeError extends Error {
  constructor(readonly reason: EnvelopeErrorReason, message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Validates raw key material: exactly 32 bytes and an id usable inside the envelope format. */
export function createEnvelopeKey(id: string, key: Uint8Array): EnvelopeKey {
  if (!KEY_ID.test(id)) throw new RangeError('envelope key id must be 1-64 characters of [A-Za-z0-9_-]');
  if (key.length !== KEY_BYTES) throw new RangeError(`envelope key must be ${KEY_BYTES} bytes`);
  return { id, key: Uint8Array.from(key) };
}

/** A fresh random key, e.g. a per-user data key whose deletion crypto-shreds that user's ciphertexts. */
export function generateEnvelopeKey(id: string): EnvelopeKey {
  return createEnvelopeKey(id, randomBytes(KEY_BYTES));
}

/**
 * HKDF-SHA256 of the master key with `purpose` as info: one master secret in configuration, an
 * independent key per use ("email-codes", "signing-keys", …). The id is a fingerprint of the derived
 * key, so rotating the master changes every id and old envelopes name the key they need.
 */
export function deriveKey(master: Uint8Array, purpose: string): EnvelopeKey {
  if (master.length < KEY_BYTES) throw new RangeError(`master key must be at least ${KEY_BYTES} bytes`);
  if (purpose.length === 0) throw new RangeError('purpose must not be empty');
  const key = new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), `idstream envelope v1: ${purpose}`, KEY_BYTES));
  const id = createHash('sha256').update('idstream key id').update(key).digest('base64url').slice(0, 12);
  return createEnvelopeKey(id, key);
}

function additionalData(header: string, context: string): Buffer {
  // Binding the header stops an attacker from relabelling the key id; the NUL keeps header and context apart.
  return Buffer.concat([Buffer.from(header, 'utf8'), Buffer.from([0]), Buffer.from(context, 'utf8')]);
}

/**
 * AES-256-GCM with a random 96-bit IV: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts).
 * `context` (a user id, a code id) is authenticated but not stored: decrypting needs the same value,
 * so a ciphertext copied onto another record does not open.
 */
export function encrypt(plaintext: string | Uint8Array, key: EnvelopeKey, context = ''): string {
  const header = `${VERSION}.${key.id}`;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(header, context));
  const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
  return [header, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

interface Parsed {
  header: string;
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  body: Buffer;
}

function parse(sealed: string): Parsed {
  const parts = sealed.split('.');
  const [version, keyId, iv, tag, body] = parts;
  if (parts.length !== 5 || version !== VERSION || !keyId || !KEY_ID.test(keyId) || iv === undefined || tag === undefined || body === undefined) {
    throw new EnvelopeError('malformed', 'not a v1 envelope');
  }
  if (![iv, tag, body].every((part) => BASE64URL.test(part))) throw new EnvelopeError('malformed', 'envelope is not base64url');
  const parsed = { header: `${version}.${keyId}`, keyId, iv: Buffer.from(iv, 'base64url'), tag: Buffer.from(tag, 'base64url'), body: Buffer.from(body, 'base64url') };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) throw new EnvelopeError('malformed', 'bad IV or tag length');
  return parsed;
}

/** The key id an envelope was sealed with (for rotation: which envelopes still need an old key). */
export function envelopeKeyId(sealed: string): string {
  return parse(sealed).keyId;
}

/** Opens an envelope to bytes. Throws EnvelopeError; never returns unauthenticated data. */
export function decryptBytes(sealed: string, keys: EnvelopeKey | EnvelopeKeyResolver, context = ''): Buffer {
  const { header, keyId, iv, tag, body } = parse(sealed);
  const key = typeof keys === 'function' ? keys(keyId) : keys.id === keyId ? keys : undefined;
  if (!key) throw new EnvelopeError('unknown-key', `no key with id ${keyId}`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(header, context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new EnvelopeError('rejected', 'envelope failed authentication');
  }
}

/** Opens an envelope holding UTF-8 text. */
export function decrypt(sealed: string, keys: EnvelopeKey | EnvelopeKeyResolver, context = ''): string {
  return decryptBytes(sealed, keys, context).toString('utf8');
}

/** Seals a data key under a key-encryption key, bound to the data key's id. */
export function wrapKey(dataKey: EnvelopeKey, keyEncryptionKey: EnvelopeKey): string {
  return encrypt(dataKey.key, keyEncryptionKey, `data-key:${dataKey.id}`);
}

/** Reverses `wrapKey`; the id must be the one the key was wrapped with. */
export function unwrapKey(id: string, wrapped: string, keys: EnvelopeKey | EnvelopeKeyResolver): EnvelopeKey {
  return createEnvelopeKey(id, decryptBytes(wrapped, keys, `data-key:${id}`));
}
