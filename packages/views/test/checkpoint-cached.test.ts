import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkpointCached, openSqliteViewDatabase } from '../src/index.js';
import { viewDoc } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-views-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A reader (the API) and a writer (the projector, another process) on one file, as in production. */
function openPair(file: string) {
  const path = join(dir, file);
  const writer = openSqliteViewDatabase({ path });
  const reader = openSqliteViewDatabase({ path });
  const tenants = checkpointCached(reader.collection('tenants_v1'), () => reader.getCheckpoint('config-views'));
  opened.push(reader, writer);
  return { writer, tenants, written: writer.collection('tenants_v1') };
}

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

describe('checkpointCached', () => {
  it('answers from memory while the checkpoint stands, and reads again the moment a write moves it', async () => {
    const { tenants, written } = openPair('moves.db');
    await written.write([viewDoc('t1', 1, { keys: ['name:blue'], body: { name: 'blue', lockout: 3 } })], { name: 'config-views', position: 1 });
    const first = await tenants.get('t1');
    expect(first?.body).toEqual({ name: 'blue', lockout: 3 });
    // The same checkpoint: the very same answer, no second read and parse.
    expect(await tenants.get('t1')).toBe(first);
    expect(await tenants.findByKey('name:blue')).toBe(await tenants.findByKey('name:blue'));

    // The projector applies an update in another connection; its checkpoint moves in the same transaction.
    await written.write([viewDoc('t1', 2, { keys: ['name:green'], body: { name: 'green', lockout: 5 } })], { name: 'config-views', position: 2 });
    expect((await tenants.get('t1'))?.body).toEqual({ name: 'green', lockout: 5 });
    expect(await tenants.findByKey('name:blue')).toBeNull();
    expect((await tenants.findByKey('name:green'))?.id).toBe('t1');
    expect((await tenants.list({ limit: 2 })).map((d) => d.id)).toEqual(['t1']);

    await written.write([viewDoc('t1', 3, { deleted: true })], { name: 'config-views', position: 3 });
    expect(await tenants.get('t1')).toBeNull();
    expect(await tenants.count()).toBe(0);
  });

  it('rereads after a rebuild moves the checkpoint back', async () => {
    const { writer, tenants, written } = openPair('rebuild.db');
    await written.write([viewDoc('t1', 5, { body: { name: 'old' } })], { name: 'config-views', position: 5 });
    expect((await tenants.get('t1'))?.body).toEqual({ name: 'old' });
    // A rebuild rewrites documents, and moves the checkpoint back to replay from the start.
    await written.write([viewDoc('t1', 6, { body: { name: 'rebuilt' } })]);
    await writer.setCheckpoint({ name: 'config-views', position: 0 });
    expect((await tenants.get('t1'))?.body).toEqual({ name: 'rebuilt' });
  });

  it('hands out frozen answers, so no request can change what the next one reads', async () => {
    const { tenants, written } = openPair('frozen.db');
    await written.write([viewDoc('t1', 1, { body: { name: 'blue', policy: { minLength: 8 } } })], { name: 'config-views', position: 1 });
    const tenant = (await tenants.get('t1'))!;
    expect(() => {
      (tenant.body.policy as { minLength: number }).minLength = 1;
    }).toThrow(TypeError);
    expect(() => (tenant.keys as string[]).push('x')).toThrow(TypeError);
    expect((await tenants.get('t1'))?.body).toEqual({ name: 'blue', policy: { minLength: 8 } });
  });
});
