import { describe, expect, it } from 'vitest';
import { digestsEqual, includesDigest } from '../src/index.js';

describe('constant-time digest comparison', () => {
  it('is equality', () => {
    expect(digestsEqual('abc', 'abc')).toBe(true);
    expect(digestsEqual('', '')).toBe(true);
    expect(digestsEqual('abc', 'abd')).toBe(false);
    expect(digestsEqual('abc', 'ab')).toBe(false);
    expect(digestsEqual('ab', 'abc')).toBe(false);
    expect(digestsEqual('abc', '')).toBe(false);
    // Characters whose codes XOR to bits another pair could cancel: the OR accumulator keeps them.
    expect(digestsEqual('\u0001\u0002', '\u0002\u0001')).toBe(false);
    expect(digestsEqual('é', 'e')).toBe(false);
  });

  it('finds a digest in a list and visits every entry', () => {
    expect(includesDigest(['a', 'b', 'c'], 'b')).toBe(true);
    expect(includesDigest(['a', 'b', 'c'], 'd')).toBe(false);
    expect(includesDigest([], 'a')).toBe(false);
    let reads = 0;
    const list = new Proxy(['x', 'y', 'z'], { get: (target, key, receiver) => (typeof key === 'string' && /^\d+$/.test(key) && reads++, Reflect.get(target, key, receiver)) });
    includesDigest(list, 'x');
    expect(reads).toBe(3);
  });

  it('takes no longer for a mismatch at the last character than at the first (no early exit)', () => {
    const secret = 'a'.repeat(4096);
    const early = 'b' + 'a'.repeat(4095);
    const late = 'a'.repeat(4095) + 'b';
    const time = (other: string) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < 2000; i++) digestsEqual(secret, other);
      return Number(process.hrtime.bigint() - start);
    };
    time(early);
    time(late);
    // Interleaved medians with wide bounds, robust to a busy machine: an early exit would make `early` ~4000× faster.
    const ratios: number[] = [];
    for (let i = 0; i < 7; i++) ratios.push(time(late) / time(early));
    ratios.sort((x, y) => x - y);
    expect(ratios[3]).toBeGreaterThan(0.1);
    expect(ratios[3]).toBeLessThan(10);
  });
});
