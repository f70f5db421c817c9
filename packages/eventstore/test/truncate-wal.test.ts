import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { truncateSqliteWal } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-truncate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database in WAL mode whose WAL holds `rows` rows that are not checkpointed yet. */
function walWithRows(name: string, rows: number): { path: string; db: Database.Database } {
  const path = join(dir, name);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE t (v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  for (let i = 0; i < rows; i++) insert.run(`secret-${i}-${'x'.repeat(200)}`);
  return { path, db };
}

/** Another connection inside a read transaction: the WAL cannot be truncated until it ends. */
function holdWal(path: string): { release(): void } {
  const reader = new Database(path);
  reader.exec('BEGIN');
  reader.prepare('SELECT count(*) FROM t').get();
  return {
    release() {
      reader.exec('COMMIT');
      reader.close();
    },
  };
}

describe('truncateSqliteWal (hard delete)', () => {
  it('leaves a zero-byte WAL and every row in the database', async () => {
    const { path, db } = walWithRows('plain.db', 200);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    expect(await truncateSqliteWal(path)).toBe(true);
    expect(statSync(`${path}-wal`).size).toBe(0);
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 200 });
    db.close();
  });

  // A checkpoint running on another connection (the WAL checkpointer thread, a projection thread's
  // autocheckpoint) makes TRUNCATE answer busy at once, busy handler or not; so does a reader past
  // the busy timeout. The erasure must not give up on the first busy answer: it tries again.
  it('keeps trying while another connection holds the WAL, and truncates once it lets go', async () => {
    const { path, db } = walWithRows('held.db', 200);
    const reader = holdWal(path);
    const released = new Promise<void>((resolve) =>
      setTimeout(() => {
        reader.release();
        resolve();
      }, 200),
    );
    const truncated = await truncateSqliteWal(path, { busyTimeoutMs: 0, deadlineMs: 5_000 });
    await released;
    expect(truncated).toBe(true);
    expect(statSync(`${path}-wal`).size).toBe(0);
    db.close();
  });

  it('answers false once the deadline passes with the WAL still held', async () => {
    const { path, db } = walWithRows('stuck.db', 50);
    const reader = holdWal(path);
    expect(await truncateSqliteWal(path, { busyTimeoutMs: 0, deadlineMs: 100 })).toBe(false);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    reader.release();
    db.close();
  });
});
