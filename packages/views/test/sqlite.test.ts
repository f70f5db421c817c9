import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteViewDatabase } from '../src/index.js';
import { viewDatabaseContract, viewDoc } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-views-'));
const path = join(dir, 'views.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

viewDatabaseContract('SQLite view store contract', async () => openSqliteViewDatabase({ path }));

describe('SQLite view store', () => {
  it('rolls back documents and checkpoint together when a write fails mid-batch', async () => {
    const db = openSqliteViewDatabase({ path: join(dir, 'atomic.db') });
    try {
      const users = db.collection('users_v1');
      await users.write([viewDoc('u1', 1, { keys: ['a'], body: { v: 1 } }), viewDoc('u2', 2, { keys: ['b'] })], { name: 'p', position: 2 });
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      // Valid in shape, so it passes validation and fails only when serialised, after earlier rows were written.
      const batch = [
        viewDoc('u1', 3, { keys: ['b', 'c'], body: { v: 3 } }),
        viewDoc('u2', 4, { deleted: true }),
        viewDoc('u3', 5, { keys: ['d'] }),
        viewDoc('u4', 6, { body: circular }),
      ];
      await expect(users.write(batch, { name: 'p', position: 6 })).rejects.toThrow(/circular/i);

      expect(await db.getCheckpoint('p')).toBe(2);
      expect(await users.get('u1')).toEqual(viewDoc('u1', 1, { keys: ['a'], body: { v: 1 } }));
      expect((await users.findByKey('b'))?.id).toBe('u2');
      expect(await users.findByKey('c')).toBeNull();
      expect(await users.getIncludingDeleted('u3')).toBeNull();
      expect(await users.count()).toBe(2);
    } finally {
      await db.close();
    }
  });

  it('runs in WAL mode so readers do not block the projector', async () => {
    const db = openSqliteViewDatabase({ path: join(dir, 'wal.db') });
    await db.close();
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(join(dir, 'wal.db'));
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });
});
