import { describe, expect, it } from 'vitest';
import { constantTimeEqual, DIGITS, randomCode, randomToken, sha256Base64url, UNAMBIGUOUS_ALPHANUMERIC, uuid } from '../src/secrets.js';

function chiSquare(text: string, alphabet: string): number {
  const counts = new Map<string, number>(Array.from(alphabet, (c) => [c, 0]));
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  const expected = text.length / alphabet.length;
  let sum = 0;
  for (const observed of counts.values()) sum += (observed - expected) ** 2 / expected;
  return sum;
}

describe('randomToken', () => {
  it('is base64url of the requested number of bytes and never repeats', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => randomToken(32)));
    expect(tokens.size).toBe(2000);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    }
    expect(randomToken(16)).toHaveLength(22);
  });

  it('refuses guessable sizes', () => {
    expect(() => randomToken(8)).toThrow(RangeError);
  });
});

describe('randomCode', () => {
  it('has the requested length and only alphabet symbols', () => {
    for (let i = 0; i < 200; i++) {
      expect(randomCode(6)).toMatch(/^[0-9]{6}$/);
      expect(randomCode(8, UNAMBIGUOUS_ALPHANUMERIC)).toMatch(/^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/);
    }
    expect(Array.from(randomCode(5, '😀😎'))).toHaveLength(5);
  });

  // Plain `byte % size` favours the first 256 % size symbols; at a million draws that pushes chi-square to
  // about 240 for digits and 3000 for 31 symbols, while an unbiased draw stays near the degrees of freedom.
  it.each([
    ['digits', DIGITS],
    ['31 unambiguous symbols', UNAMBIGUOUS_ALPHANUMERIC],
  ])('is uniform over %s (chi-square)', (_, alphabet) => {
    const sample = randomCode(1_000_000, alphabet);
    const degreesOfFreedom = alphabet.length - 1;
    // Far beyond the p = 1e-6 tail for these degrees of freedom, far below what modulo bias produces.
    expect(chiSquare(sample, alphabet)).toBeLessThan(degreesOfFreedom + 60);
  });

  it('rejects unusable alphabets and lengths', () => {
    expect(() => randomCode(6, '7')).toThrow(RangeError);
    expect(() => randomCode(6, 'aab')).toThrow(RangeError);
    expect(() => randomCode(0)).toThrow(RangeError);
  });
});

describe('uuid', () => {
  it('is a random version 4 UUID', () => {
    const a = uuid();
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuid()).not.toBe(a);
  });
});

describe('sha256Base64url', () => {
  it('matches the FIPS 180-2 "abc" vector, base64url', () => {
    const fips = Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString('base64url');
    expect(sha256Base64url('abc')).toBe(fips);
    expect(sha256Base64url(Buffer.from('abc'))).toBe(fips);
    expect(fips).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
  });
});

describe('constantTimeEqual', () => {
  it('compares strings of any length', () => {
    expect(constantTimeEqual('secret', 'secret')).toBe(true);
    expect(constantTimeEqual('secret', 'secreT')).toBe(false);
    expect(constantTimeEqual('secret', 'secret-longer')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('', 'x')).toBe(false);
    expect(constantTimeEqual(Buffer.from('é'), 'é')).toBe(true);
  });
});
