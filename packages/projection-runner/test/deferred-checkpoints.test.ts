/**
 * Checkpoints past ignored events are written behind; everything a restart or another reader relies
 * on still holds: reads here see the pending position, a document write's checkpoint is never moved
 * back, backward resets go straight through, and a flush (stop) stores the applied position.
 */
import { afterEach, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqliteViewDatabase, type ViewDatabase } from '@idstream/views';
import type { RecordedEvent } from '@idstream/eventstore';
import { deferCheckpoints, ViewProjectionHandler, type DocumentProjection } from '../src/index.js';

const dirs: string[] = [];
const dbs: ViewDatabase[] = [];
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openViews(): ViewDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'deferred-'));
  dirs.push(dir);
  const db = openSqliteViewDatabase({ path: join(dir, 'views.db') });
  dbs.push(db);
  return db;
}

const event = (position: number, type: string): RecordedEvent => ({ id: randomUUID(), type, data: {}, metadata: {}, streamName: `s-${position}`, revision: 0, position, recordedAt: 0 });

/** Counts `Counted` events; ignores every other type. */
const counted: DocumentProjection<{ n: number }> = {
  documentId: (e) => (e.type === 'Counted' ? 'total' : undefined),
  evolve: (doc, e) => ({ id: 'total', tenantId: 't', position: e.position, deleted: false, keys: [], body: { n: (doc?.body.n ?? 0) + 1 } }),
};

it('writes an ignored batch behind, a batch with documents at once, and never moves a stored checkpoint back', async () => {
  const raw = openViews();
  const views = deferCheckpoints(raw, 60_000);
  const handler = new ViewProjectionHandler('counts', views, [{ collection: views.collection('counts'), projection: counted }]);
  await views.setCheckpoint({ name: 'counts', position: 0 });
  expect(await handler.getCheckpoint()).toBe(0);

  await handler.applyBatch([event(1, 'Ignored'), event(2, 'Ignored')]);
  // Pending here, not yet stored: a restart would replay events 1 and 2, which change nothing.
  expect(await handler.getCheckpoint()).toBe(2);
  expect(await raw.getCheckpoint('counts')).toBe(0);

  await handler.applyBatch([event(3, 'Counted')]);
  expect(await raw.getCheckpoint('counts')).toBe(3);
  await handler.applyBatch([event(4, 'Ignored')]);
  // The document write stored 3 after 2 was pending; the flush must not take it back to 2.
  await views.flush();
  expect(await raw.getCheckpoint('counts')).toBe(4);
  expect((await raw.collection<{ n: number }>('counts').get('total'))?.body.n).toBe(1);
});

it('a backward move (a rebuild resetting to 0) is stored at once; the interval flushes on its own', async () => {
  const raw = openViews();
  const views = deferCheckpoints(raw, 20);
  await views.setCheckpoint({ name: 'c', position: 10 });
  expect(await raw.getCheckpoint('c')).toBe(10);
  await views.setCheckpoint({ name: 'c', position: 12 });
  expect(await raw.getCheckpoint('c')).toBe(10);
  await views.setCheckpoint({ name: 'c', position: 0 });
  expect(await raw.getCheckpoint('c')).toBe(0);
  await views.setCheckpoint({ name: 'c', position: 5 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await raw.getCheckpoint('c')).toBe(5);
});
