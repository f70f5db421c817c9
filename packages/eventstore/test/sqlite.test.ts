import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteEventStore, type RecordedEvent } from '../src/index.js';
import { eventStoreContract } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-eventstore-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const contractFile = join(dir, 'contract.sqlite');
eventStoreContract('SQLite (file)', async () => openSqliteEventStore({ path: contractFile }));

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Runs a fixture under tsx in its own process, i.e. with its own SQLite connection. */
function child(script: string, args: string[]) {
  const proc = spawn(process.execPath, ['--import', 'tsx', fixture(script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<string>((resolve, reject) =>
    proc.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}`)))),
  );
  const ready = async () => {
    while (!out.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return { proc, exited, ready };
}

describe('SQLite event store specifics', () => {
  it('works on :memory: and reports head 0 when empty', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    expect(await store.headPosition()).toBe(0);
    const seen: RecordedEvent[] = [];
    const sub = store.subscribeToAll({ onEvent: (e) => void seen.push(e) });
    const result = await store.append('s-1', [{ id: randomUUID(), type: 'T', data: 1 }], 'no_stream');
    expect(await store.headPosition()).toBe(result.position);
    await expect.poll(() => seen.length).toBe(1);
    await sub.close();
    await store.close();
  });

  it('keeps the revision check safe when several processes race on one file', async () => {
    const path = join(dir, 'race.sqlite');
    await openSqliteEventStore({ path }).close();
    const stream = `race-${randomUUID()}`;
    const workers = Array.from({ length: 4 }, () => child('race-worker.ts', [path, stream, '60']));
    await Promise.all(workers.map((w) => w.ready()));
    for (const w of workers) w.proc.stdin.write('go\n');
    const results = (await Promise.all(workers.map((w) => w.exited))).map(
      (out) => JSON.parse(out.trim().split('\n').at(-1)!) as { wins: number; conflicts: number },
    );

    const store = openSqliteEventStore({ path });
    const events = await store.readStream(stream);
    await store.close();
    const wins = results.reduce((sum, r) => sum + r.wins, 0);
    expect(events).toHaveLength(wins);
    expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
    // Four processes on one stream must have collided at least once, or the test proved nothing.
    expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBeGreaterThan(0);
  }, 60_000);

  it('delivers appends made by another process through the poll fallback', async () => {
    const path = join(dir, 'foreign.sqlite');
    const store = openSqliteEventStore({ path, pollIntervalMs: 25 });
    const seen: RecordedEvent[] = [];
    const sub = store.subscribeToAll({ onEvent: (e) => void seen.push(e) });
    const stream = `foreign-${randomUUID()}`;
    await child('append-once.ts', [path, stream]).exited;
    await expect.poll(() => seen.map((e) => e.streamName), { timeout: 5_000 }).toEqual([stream]);
    await sub.close();
    await store.close();
  }, 30_000);

  it('persists across reopening the file', async () => {
    const path = join(dir, 'reopen.sqlite');
    const first = openSqliteEventStore({ path });
    await first.append('s', [{ id: randomUUID(), type: 'T', data: { a: 1 } }], 'no_stream');
    await first.close();
    const second = openSqliteEventStore({ path });
    expect((await second.readStream('s')).map((e) => e.data)).toEqual([{ a: 1 }]);
    await second.close();
  });
});
