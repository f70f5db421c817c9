/**
 * The contract guard: every public event type a mapper module can emit has a JSON Schema, so a
 * capability that adds a mapper without describing its events fails here, not at a receiver.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicEventSchema, publicEventTypes, toPublicEvents, type UserRecord } from '../src/index.js';

const dir = join(import.meta.dirname, '../src/public-events');
const mapperModules = readdirSync(dir).filter((f) => f.endsWith('.ts') && !['index.ts', 'types.ts', 'schemas.ts'].includes(f));

describe('public event schemas', () => {
  it('exist for every event type the mapper modules emit', () => {
    const emitted = new Set<string>();
    for (const file of mapperModules) {
      for (const match of readFileSync(join(dir, file), 'utf8').matchAll(/'((?:user|jwt)\.[a-z0-9.-]+)'/g)) emitted.add(match[1]!);
    }
    expect(emitted.size).toBeGreaterThan(3);
    expect([...emitted].filter((type) => !publicEventSchema(type))).toEqual([]);
  });

  it('describe the FusionAuth envelope of a mapped event', () => {
    const user = { id: '2f9a4c1e-0000-4000-8000-000000000001', tenantId: '2f9a4c1e-0000-4000-8000-000000000002', active: true, verified: true, insertInstant: 1, lastUpdateInstant: 1, passwordChangeRequired: false } as UserRecord;
    const [created] = toPublicEvents({ id: '2f9a4c1e-0000-4000-8000-000000000003', type: 'UserCreated', data: { user }, recordedAt: 5 });
    expect(created?.type).toBe('user.create');
    const schema = publicEventSchema('user.create') as any;
    const event = schema.properties.event;
    for (const field of event.required) expect(created).toHaveProperty(field);
    expect(publicEventTypes).toEqual([...publicEventTypes].sort());
  });
});
