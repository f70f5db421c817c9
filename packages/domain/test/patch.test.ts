import { describe, expect, it } from 'vitest';
import { applyPatch, patchFormatOf, ValidationError } from '../src/index.js';

const user = { email: 'a@b.c', data: { a: 1, list: [1] }, roles: ['x'] };

describe('PATCH formats', () => {
  it('picks the format from the content type', () => {
    expect(patchFormatOf('application/json; charset=utf-8')).toBe('fusionauth');
    expect(patchFormatOf('application/merge-patch+json')).toBe('merge-patch');
    expect(patchFormatOf('application/json-patch+json')).toBe('json-patch');
  });

  it('FusionAuth merge appends arrays and removes nulls', () => {
    expect(applyPatch(user, { data: { list: [2], a: null }, roles: ['y'] }, 'fusionauth')).toEqual({
      email: 'a@b.c',
      data: { list: [1, 2] },
      roles: ['x', 'y'],
    });
  });

  it('RFC 7396 merge replaces arrays', () => {
    expect(applyPatch(user, { roles: ['y'], email: null }, 'merge-patch')).toEqual({ data: { a: 1, list: [1] }, roles: ['y'] });
  });

  it('RFC 6902 applies operations in order and leaves the input untouched', () => {
    const result = applyPatch(
      user,
      [
        { op: 'replace', path: '/email', value: 'z@b.c' },
        { op: 'add', path: '/roles/-', value: 'y' },
        { op: 'remove', path: '/data/a' },
        { op: 'test', path: '/roles/0', value: 'x' },
      ],
      'json-patch',
    );
    expect(result).toEqual({ email: 'z@b.c', data: { list: [1] }, roles: ['x', 'y'] });
    expect(user.email).toBe('a@b.c');
  });

  it('RFC 6902 refuses a failed test or a missing path with a validation error', () => {
    expect(() => applyPatch(user, [{ op: 'test', path: '/email', value: 'no' }], 'json-patch')).toThrow(ValidationError);
    expect(() => applyPatch(user, [{ op: 'remove', path: '/nope' }], 'json-patch')).toThrow(ValidationError);
    expect(() => applyPatch(user, { op: 'add' }, 'json-patch')).toThrow(ValidationError);
  });
});
