import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** Digits only: FusionAuth's numeric one-time codes. */
export const DIGITS = '0123456789';
/** Upper-case letters and digits without the look-alikes 0/O, 1/I/L: codes people type from an email. */
export const UNAMBIGUOUS_ALPHANUMERIC = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** `bytes` of CSPRNG output, base64url without padding (32 bytes → 43 characters, 256 bits). */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 16) throw new RangeError('randomToken needs an integer of at least 16 bytes');
  return randomBytes(bytes).toString('base64url');
}

/**
 * A code of `length` characters drawn uniformly from `alphabet`. Bytes at or above the largest multiple
 * of the alphabet size are discarded (rejection sampling), so `byte % size` carries no modulo bias.
 */
export function randomCode(length: number, alphabet: string = DIGITS): string {
  const symbols = Array.from(alphabet);
  const size = symbols.length;
  if (!Number.isInteger(length) || length < 1) throw new RangeError('randomCode length must be a positive integer');
  if (size < 2 || size > 256) throw new RangeError('randomCode alphabet must have 2 to 256 symbols');
  if (new Set(symbols).size !== size) throw new RangeError('randomCode alphabet has repeated symbols');
  const limit = 256 - (256 % size);
  const picked: string[] = [];
  while (picked.length < length) {
    for (const byte of randomBytes(Math.ceil((length - picked.length) * 1.25) + 4)) {
      if (byte >= limit) continue;
      picked.push(symbols[byte % size]!);
      if (picked.length === length) break;
    }
  }
  return picked.join('');
}

/** A random (version 4) UUID. */
export function uuid(): string {
  return randomUUID();
}

/**
 * SHA-256 of a high-entropy secret (token, code, API key), base64url: the lookup key stored instead of
 * the secret. Only for values with ≥ 128 bits of entropy or rate-limited lookups; never for passwords.
 */
export function sha256Base64url(value: string | Uint8Array): string {
  return createHash('sha256').update(value).digest('base64url');
}

const comparisonKey = randomBytes(32);

/**
 * Constant-time equality for strings of any length: both sides are HMACed under a per-process random
 * key first, so neither the content nor the length of the secret leaks through timing.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const macA = createHmac('sha256', comparisonKey).update(a).digest();
  const macB = createHmac('sha256', comparisonKey).update(b).digest();
  return timingSafeEqual(macA, macB);
}
