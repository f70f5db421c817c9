import { describe, expect, it } from 'vitest';
import { withDefaults } from '../src/application/merge-defaults.js';

describe('withDefaults', () => {
  it('fills missing nested settings and lets the client win', () => {
    expect(withDefaults({ a: { b: 1, c: 2 }, d: 3 }, { a: { b: 5 } })).toEqual({ a: { b: 5, c: 2 }, d: 3 });
  });

  it('ignores a __proto__ key from JSON: no inherited settings, no prototype change', () => {
    const input = JSON.parse('{"name": "t", "__proto__": {"failedAuthenticationConfiguration": {"tooManyAttempts": 1000000}}}');
    const merged = withDefaults({ failedAuthenticationConfiguration: { tooManyAttempts: 5 } }, input) as Record<string, any>;
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(merged.failedAuthenticationConfiguration.tooManyAttempts).toBe(5);
    expect(({} as Record<string, unknown>).failedAuthenticationConfiguration).toBeUndefined();
  });
});
