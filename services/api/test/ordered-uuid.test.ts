import { describe, expect, it } from 'vitest';
import { orderedUuid } from '../src/application/ordered-uuid.js';
import { isUuid } from '../src/http/input.js';

describe('orderedUuid', () => {
  it('gives distinct version-7 UUIDs that sort in creation order, also many per millisecond', () => {
    const ids = Array.from({ length: 50_000 }, orderedUuid);
    expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id) && isUuid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
  });

  it('carries the current time in its first 48 bits', () => {
    const before = Date.now();
    const id = orderedUuid();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });
});
