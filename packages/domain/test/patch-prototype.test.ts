/**
 * PATCH bodies are attacker-controlled: no format may reach Object.prototype or give the patched
 * document inherited fields (found by test/e2e/hostile-input.test.ts: `/__proto__/x` polluted the
 * whole process).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { applyPatch, ValidationError } from '../src/index.js';

const user = { user: { email: 'a@b.c', data: { a: 1 } } };

afterEach(() => {
  delete (Object.prototype as Record<string, unknown>).polluted;
});

describe('PATCH and prototypes', () => {
  it.each([
    [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }],
    [{ op: 'replace', path: '/user/__proto__', value: { polluted: 'yes' } }],
    [{ op: 'add', path: '/user/data/__proto__', value: { polluted: 'yes' } }],
    [{ op: 'copy', from: '/user', path: '/__proto__' }],
  ])('JSON Patch %j is refused', (operation) => {
    expect(() => applyPatch(user, [operation], 'json-patch')).toThrow(ValidationError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('JSON Patch does not walk into inherited properties', () => {
    expect(() => applyPatch(user, [{ op: 'add', path: '/constructor/prototype/polluted', value: 'yes' }], 'json-patch')).toThrow(ValidationError);
    expect(() => applyPatch(user, [{ op: 'remove', path: '/user/toString' }], 'json-patch')).toThrow(ValidationError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['fusionauth', 'merge-patch'] as const)('a %s merge with a __proto__ key is refused', (format) => {
    const patch = JSON.parse('{"user": {"__proto__": {"polluted": "yes"}}}');
    expect(() => applyPatch(user, patch, format)).toThrow(ValidationError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a merge may still set an own field named constructor', () => {
    const patched = applyPatch(user, JSON.parse('{"user": {"data": {"constructor": {"prototype": {"polluted": "yes"}}}}}'), 'fusionauth');
    expect(Object.hasOwn(patched.user.data, 'constructor')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
