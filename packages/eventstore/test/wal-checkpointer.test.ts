import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore, startWalCheckpointer, type SqliteEventStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USERS = 300;
const PADDING = 2_000;

async function appendUsers(store: SqliteEventStore): Promise<void> {
  for (let i = 0; i < USERS; i++) {
    await store.append(`user-${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`, [{ id: crypto.randomUUID(), type: 'UserCreated', data: { n: i, padding: 'x'.repeat(PADDING) } }], 'no_stream');
  }
}

/**
 * The database file's own size while the store is open: pages reach it only through a checkpoint
 * (closing the store would checkpoint, so the store stays open while this is read).
 */
const databaseBytes = (path: string) => statSync(path).size;

describe('WAL checkpointer', () => {
  it('copies committed pages into the database from its own thread while the store keeps writing', async () => {
    const path = join(dir, 'events.db');
    const store = openSqliteEventStore({ path });
    const checkpointer = startWalCheckpointer([path], { intervalMs: 20 });
    try {
      await appendUsers(store);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(databaseBytes(path)).toBeGreaterThan(USERS * PADDING);
      expect(await store.readAll({ after: 0 })).toHaveLength(USERS);
    } finally {
      await checkpointer.stop();
      await store.close();
    }
  });

  it('without it the same commits stay in the WAL (the store autocheckpoints only at 40 MB)', async () => {
    const path = join(dir, 'control.db');
    const store = openSqliteEventStore({ path });
    try {
      await appendUsers(store);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(databaseBytes(path)).toBeLessThan(USERS * PADDING);
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(USERS * PADDING);
    } finally {
      await store.close();
    }
  });

  it('waits for files that do not exist yet and stops cleanly', async () => {
    const path = join(dir, 'later.db');
    const checkpointer = startWalCheckpointer([path], { intervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const store = openSqliteEventStore({ path });
    try {
      await appendUsers(store);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(databaseBytes(path)).toBeGreaterThan(USERS * PADDING);
    } finally {
      await checkpointer.stop();
      await store.close();
    }
  });

  it('lets a command that stops it at top level exit 0 (not 13, "unsettled top-level await")', () => {
    const script = join(dir, 'cli.mts');
    const source = join(import.meta.dirname, '..', 'src', 'wal-checkpointer.ts');
    writeFileSync(script, `import { startWalCheckpointer } from ${JSON.stringify(source)};\nconst c = startWalCheckpointer([${JSON.stringify(join(dir, 'cli.db'))}]);\nawait c.stop();\nconsole.log('stopped');\n`);
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    expect(run.stdout).toContain('stopped');
    expect(run.status).toBe(0);
  });
});
