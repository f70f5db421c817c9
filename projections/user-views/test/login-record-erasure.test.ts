import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@idstream/eventstore';
import { ViewProjectionHandler } from '@idstream/projection-runner';
import { openSqliteViewDatabase } from '@idstream/views';
import { LOGIN_RECORDS_BY_USER_COLLECTION, LoginRecordErasure, type LoginRecordsByUserBody } from '../src/login-record-erasure.js';
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
  return { projection, erasure, index, userIds };
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
});
