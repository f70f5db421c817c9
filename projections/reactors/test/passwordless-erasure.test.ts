import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@idstream/eventstore';
import { openSqliteViewDatabase } from '@idstream/views';
import { PASSWORDLESS_CODES_COLLECTION, PasswordlessErasureReactor, type PasswordlessCodesBody } from '../src/passwordless-erasure.js';

const userId = '11111111-1111-4111-8111-111111111111';
const otherId = '22222222-2222-4222-8222-222222222222';
const tenantId = '33333333-3333-4333-8333-333333333333';
const stream = (n: number) => `passwordless-${String(n).padStart(64, '0')}`;

let position = 0;
function event(streamName: string, type: string, data: Record<string, unknown>): RecordedEvent {
  position += 1;
  return { id: `e${position}`, type, data, metadata: {}, streamName, revision: 0, position, recordedAt: 0 };
}
const issued = (n: number, user = userId) => event(stream(n), 'PasswordlessCodeIssued', { userId: user, tenantId, applicationId: 'a', instant: 0, expiresAt: 1, sealedCode: 's', state: { secret: n } });
const deleted = (user = userId) => event(`erasure-${user}`, 'UserDeleted', { userId: user, tenantId, instant: 0 });

function setup() {
  const db = openSqliteViewDatabase({ path: ':memory:' });
  const removed: string[] = [];
  const reactor = new PasswordlessErasureReactor(db, { deleteStream: async (name) => void removed.push(name) });
  const index = (id: string) => db.collection<PasswordlessCodesBody>(PASSWORDLESS_CODES_COLLECTION).get(id);
  return { db, reactor, removed, index };
}

describe('passwordless erasure reactor', () => {
  it("indexes a user's code streams once each, and deletes them all on UserDeleted, not another user's", async () => {
    const { reactor, removed, index } = setup();
    await reactor.applyBatch([issued(1), issued(2), event(stream(1), 'PasswordlessCodeSent', { userId, tenantId }), issued(3, otherId)]);
    expect((await index(userId))?.body.streams).toEqual([stream(1), stream(2)]);
    await reactor.applyBatch([deleted()]);
    expect(removed.sort()).toEqual([stream(1), stream(2)]);
    expect((await index(userId))?.body).toEqual({ streams: [], erased: true });
    expect((await index(otherId))?.body.streams).toEqual([stream(3)]);
  });

  it('a code stream seen after the erasure is deleted on sight; the same batch applied twice changes nothing more', async () => {
    const { reactor, removed, index, db } = setup();
    const batch = [issued(4), deleted(), event(stream(4), 'PasswordlessEmailDelivered', { userId, tenantId }), issued(5)];
    await reactor.applyBatch(batch);
    expect([...new Set(removed)].sort()).toEqual([stream(4), stream(5)]);
    const before = await index(userId);
    await reactor.applyBatch(batch);
    expect(await index(userId)).toEqual(before);
    expect(before?.body).toEqual({ streams: [], erased: true });
    expect(await db.getCheckpoint(reactor.name)).toBe(batch.at(-1)!.position);
  });
});
