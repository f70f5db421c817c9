import { createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createEnvelopeKey,
  decrypt,
  decryptBytes,
  deriveKey,
  encrypt,
  EnvelopeError,
  envelopeKeyId,
  generateEnvelopeKey,
  unwrapKey,
  wrapKey,
} from '../src/envelope.js';
import type { EnvelopeKey } from '../src/envelope.js';

const master = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

function reason(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof EnvelopeError) return error.reason;
    throw error;
  }
  return undefined;
}

// The first character carries 6 real bits; the last may hold only padding bits that decoding drops.
function flipFirstChar(part: string): string {
  return (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
}

describe('encrypt/decrypt', () => {
  const key = generateEnvelopeKey('k1');

  it('round-trips text and bytes', () => {
    expect(decrypt(encrypt('123456 ✓ código', key), key)).toBe('123456 ✓ código');
    const bytes = randomBytes(100);
    expect(decryptBytes(encrypt(bytes, key), key).equals(bytes)).toBe(true);
    expect(decrypt(encrypt('', key), key)).toBe('');
  });

  it('writes version, key id, 96-bit IV and 128-bit tag, readable with plain AES-256-GCM', () => {
    const sealed = encrypt('hello', key, 'user-1');
    const [version, keyId, iv, tag, body] = sealed.split('.') as [string, string, string, string, string];
    expect([version, keyId]).toEqual(['v1', 'k1']);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from('v1.k1\0user-1'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    expect(Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString()).toBe('hello');
    expect(envelopeKeyId(sealed)).toBe('k1');
  });

  it('uses a fresh IV every time', () => {
    const a = encrypt('same', key);
    const b = encrypt('same', key);
    expect(a).not.toBe(b);
    expect(a.split('.')[2]).not.toBe(b.split('.')[2]);
  });

  it('rejects any tampered part', () => {
    const sealed = encrypt('secret code 991234', key);
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const tampered = parts.map((part, i) => (i === index ? flipFirstChar(part) : part)).join('.');
      expect(reason(() => decrypt(tampered, key))).toBe('rejected');
    }
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0]! ^= 1;
    expect(reason(() => decrypt([...parts.slice(0, 4), body.toString('base64url')].join('.'), key))).toBe('rejected');
    expect(reason(() => decrypt(parts.slice(0, 4).join('.'), key))).toBe('malformed');
    expect(reason(() => decrypt(`v2${sealed.slice(2)}`, key))).toBe('malformed');
    expect(reason(() => decrypt('garbage', key))).toBe('malformed');
  });

  it('refuses a relabelled key id even when the attacker holds that key', () => {
    const other = createEnvelopeKey('k2', key.key);
    const relabelled = encrypt('x', key).replace('v1.k1.', 'v1.k2.');
    expect(reason(() => decrypt(relabelled, other))).toBe('rejected');
  });

  it('binds the context', () => {
    const sealed = encrypt('654321', key, 'code:abc');
    expect(decrypt(sealed, key, 'code:abc')).toBe('654321');
    expect(reason(() => decrypt(sealed, key, 'code:abd'))).toBe('rejected');
    expect(reason(() => decrypt(sealed, key))).toBe('rejected');
  });

  it('fails with the wrong key or an unknown key id', () => {
    const sealed = encrypt('x', key);
    expect(reason(() => decrypt(sealed, createEnvelopeKey('k1', randomBytes(32))))).toBe('rejected');
    expect(reason(() => decrypt(sealed, generateEnvelopeKey('k9')))).toBe('unknown-key');
  });

  it('validates keys', () => {
    expect(() => createEnvelopeKey('k', randomBytes(16))).toThrow(RangeError);
    expect(() => createEnvelopeKey('has.dot', randomBytes(32))).toThrow(RangeError);
  });
});

describe('deriveKey', () => {
  it('is deterministic per purpose and independent across purposes and masters', () => {
    const a = deriveKey(master, 'email-codes');
    expect(deriveKey(master, 'email-codes')).toEqual(a);
    const b = deriveKey(master, 'signing-keys');
    expect(Buffer.from(b.key).equals(Buffer.from(a.key))).toBe(false);
    expect(b.id).not.toBe(a.id);
    const rotated = deriveKey(randomBytes(32), 'email-codes');
    expect(rotated.id).not.toBe(a.id);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(reason(() => decrypt(encrypt('x', a), createEnvelopeKey(a.id, b.key)))).toBe('rejected');
  });

  it('does not hand out the master itself', () => {
    expect(Buffer.from(deriveKey(master, 'p').key).equals(master)).toBe(false);
    expect(() => deriveKey(randomBytes(16), 'p')).toThrow(RangeError);
  });

  it('lets a resolver keep old keys readable after rotation', () => {
    const old = deriveKey(master, 'email-codes');
    const current = deriveKey(randomBytes(32), 'email-codes');
    const ring = new Map<string, EnvelopeKey>([old, current].map((k) => [k.id, k]));
    const before = encrypt('issued before rotation', old);
    expect(decrypt(before, (id) => ring.get(id))).toBe('issued before rotation');
    expect(decrypt(encrypt('after', current), (id) => ring.get(id))).toBe('after');
  });
});

describe('crypto-shredding with wrapped data keys', () => {
  it('makes data unreadable once the data key is deleted', () => {
    const kek = deriveKey(master, 'user-data-keys');
    const dataKey = generateEnvelopeKey('user-6f1c');
    const wrapped = wrapKey(dataKey, kek);
    const email = encrypt('ada@example.com', dataKey);

    const store = new Map([[dataKey.id, wrapped]]);
    const resolve = (id: string) => {
      const entry = store.get(id);
      return entry === undefined ? undefined : unwrapKey(id, entry, kek);
    };
    expect(decrypt(email, resolve)).toBe('ada@example.com');
    expect(reason(() => unwrapKey('user-other', wrapped, kek))).toBe('rejected');

    store.delete(dataKey.id);
    expect(reason(() => decrypt(email, resolve))).toBe('unknown-key');
  });
});
