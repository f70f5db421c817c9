import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqliteEventStore } from '@idstream/eventstore';
import { configDecider, entityStream, reservationStream, uniqueValuesOf, userDecider, userStream, ValidationError } from '@idstream/domain';
import { handleCommand } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'commands-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const newUser = (email: string) => {
  const id = randomUUID();
  return { id, command: { type: 'CreateUser', user: { id, tenantId, email, active: true, verified: true, insertInstant: 1, lastUpdateInstant: 1, passwordChangeRequired: false } } };
};
const tenantId = randomUUID();

describe('handleCommand', () => {
  it('reserves a unique email atomically: 30 racing creates on separate connections leave one owner', async () => {
    // Separate store instances on one file race for real (separate SQLite connections).
    const stores = await Promise.all(Array.from({ length: 6 }, () => openSqliteEventStore({ path: join(dir, 'race.db') })));
    const email = `race-${randomUUID()}@example.com`;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => {
        const { id, command } = newUser(i % 2 ? email.toUpperCase() : email);
        return handleCommand(stores[i % stores.length]!, userStream(id), id, userDecider, command, { uniqueValues: uniqueValuesOf, tenantId });
      }),
    );
    const winners = results.filter((r) => r.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ValidationError);
    const reservation = await stores[0]!.readStream(reservationStream(tenantId, 'email', email));
    expect(reservation.map((e) => e.type)).toEqual(['UniqueValueReserved']);
    // The reservation stream names a digest, never the address.
    expect(reservationStream(tenantId, 'email', email)).not.toContain('example.com');
    await Promise.all(stores.map((s) => s.close()));
  });

  it('retries optimistic conflicts: 10 concurrent replaces of one entity all apply, in some order', async () => {
    const stores = await Promise.all(Array.from({ length: 4 }, () => openSqliteEventStore({ path: join(dir, 'retry.db') })));
    const id = randomUUID();
    const decider = configDecider('Application');
    await handleCommand(stores[0]!, entityStream('application', id), id, decider, { type: 'Create', document: { id, name: 'v0' } });
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        handleCommand(stores[i % stores.length]!, entityStream('application', id), id, decider, { type: 'Replace', document: { id, name: `v${i + 1}` } }, { maxRetries: 20 }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await stores[0]!.readStream(entityStream('application', id))).toHaveLength(11);
    await Promise.all(stores.map((s) => s.close()));
  });
});
