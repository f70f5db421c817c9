import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@idstream/eventstore';
import { ViewProjectionHandler } from '@idstream/projection-runner';
import { openSqliteViewDatabase } from '@idstream/views';
import { LOGIN_RECORDS_BY_USER_COLLECTION, LoginRecordErasure, RECORDS_PER_CHUNK, type LoginRecordsByUserBody } from '../src/login-record-erasure.js';
import { LOGIN_RECORDS_CHECKPOINT, LOGIN_RECORDS_COLLECTION, loginRecordsProjection, type LoginRecordBody } from '../src/login-records.js';

const userId = '11111111-1111-4111-8111-111111111111';
const otherId = '22222222-2222-4222-8222-222222222222';
const tenantId = '33333333-3333-4333-8333-333333333333';

let position = 0;
function event(streamName: string, type: string, data: Record<string, unknown>): RecordedEvent {
  position += 1;
  return { id: `e${position}`, type, data, metadata: {}, streamName, revision: 0, position, recordedAt: 0 };
}
const login = (user = userId) => event(`login-${user}`, 'LoginSucceeded', { userId: user, tenantId, instant: 1_000 + position, authenticationType: 'PASSWORD', info: { ipAddress: '10.0.0.1' } });
const deleted = (user = userId) => event(`erasure-${user}`, 'UserDeleted', { userId: user, tenantId, instant: 0 });

function setup() {
  const db = openSqliteViewDatabase({ path: ':memory:' });
  const records = db.collection<LoginRecordBody>(LOGIN_RECORDS_COLLECTION);
  const projection = new ViewProjectionHandler(LOGIN_RECORDS_CHECKPOINT, db, [{ collection: records, projection: loginRecordsProjection }]);
  const erasure = new LoginRecordErasure(db, records);
  const index = (id: string) => db.collection<LoginRecordsByUserBody>(LOGIN_RECORDS_BY_USER_COLLECTION).getIncludingDeleted(id);
  const userIds = async () => (await records.list()).map((r) => r.body.userId);
  return { db, projection, erasure, index, userIds };
}

describe('login record erasure', () => {
  it("tombstones every record of a deleted user, not another user's, and keeps no record id", async () => {
    const { projection, erasure, index, userIds } = setup();
    const batch = [login(), login(), login(otherId), deleted()];
    await projection.applyBatch(batch);
    expect(await userIds()).toEqual([userId, userId, otherId]);
    await erasure.applyBatch(batch);
    expect(await userIds()).toEqual([otherId]);
    expect((await index(userId))!.body).toEqual({ recordIds: [], erased: true });
    expect((await index(otherId))!.body.recordIds).toHaveLength(1);
  });

  it('wins whichever runner is ahead: the records projection replayed after the erasure writes nothing back', async () => {
    const { projection, erasure, userIds } = setup();
    const batch = [login(), deleted()];
    await erasure.applyBatch(batch);
    await projection.applyBatch(batch);
    await erasure.applyBatch(batch);
    expect(await userIds()).toEqual([]);
  });

  it('tombstones for good a record of an erased user that appears after the erasure', async () => {
    const { projection, erasure, userIds } = setup();
    const first = [deleted()];
    await erasure.applyBatch(first);
    const late = [login()];
    await projection.applyBatch(late);
    await erasure.applyBatch(late);
    await projection.applyBatch(late);
    expect(await userIds()).toEqual([]);
  });

  it("a user with thousands of logins: each login rewrites at most one chunk's ids, and erasure still reaches every record", async () => {
    const { projection, erasure, index, userIds } = setup();
    const logins = Array.from({ length: RECORDS_PER_CHUNK * 3 + 5 }, () => login());
    // Several batches, as the runner delivers them, with another user's logins between.
    for (let i = 0; i < logins.length; i += 50) {
      const batch = [...logins.slice(i, i + 50), login(otherId)];
      await projection.applyBatch(batch);
      await erasure.applyBatch(batch);
    }
    const head = (await index(userId))!.body;
    expect(head.recordIds.length).toBeLessThanOrEqual(RECORDS_PER_CHUNK);
    expect(head.sealedChunks).toBe(3);
    expect((await userIds()).filter((u) => u === userId)).toHaveLength(logins.length);

    const erase = [login(), deleted()];
    await projection.applyBatch(erase);
    await erasure.applyBatch(erase);
    expect(await userIds()).not.toContain(userId);
    expect((await userIds()).filter((u) => u === otherId)).toHaveLength(Math.ceil(logins.length / 50));
    expect((await index(userId))!.body).toEqual({ recordIds: [], erased: true });
    for (let n = 0; n < 3; n++) expect((await index(`${userId}:${n}`))!.deleted).toBe(true);
  });

  it('erases the records of an index written before chunking (every id in the user document)', async () => {
    const { db, projection, erasure, userIds } = setup();
    const logins = Array.from({ length: RECORDS_PER_CHUNK * 2 }, () => login());
    await projection.applyBatch(logins);
    const ids = (await db.collection<LoginRecordBody>(LOGIN_RECORDS_COLLECTION).list()).map((r) => r.id);
    const legacy = db.collection<LoginRecordsByUserBody>(LOGIN_RECORDS_BY_USER_COLLECTION);
    await legacy.write([{ id: userId, tenantId, position: logins.at(-1)!.position, deleted: false, keys: [], body: { recordIds: ids } }], { name: 'login-record-erasure', position: logins.at(-1)!.position });
    const next = [login(), login(), deleted()];
    await projection.applyBatch(next);
    await erasure.applyBatch(next);
    expect(await userIds()).toEqual([]);
  });
});
