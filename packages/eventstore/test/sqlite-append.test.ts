/**
 * The SQLite append path checks `no_stream` by inserting at revision 0 (no lookup first); these are the
 * cases where that insert meets something other than a free slot.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openSqliteEventStore, WrongExpectedRevisionError, type EventData } from '../src/index.js';

const ev = (id = randomUUID()): EventData => ({ id, type: 'Happened', data: { n: 1 } });

describe('SQLite appendMultiple with no_stream', () => {
  it('rejects a stream named twice in one append and writes nothing', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    const error = await store
      .appendMultiple([
        { streamName: 'a', events: [ev()], expectedRevision: 'no_stream' },
        { streamName: 'b', events: [ev()], expectedRevision: 'no_stream' },
        { streamName: 'a', events: [ev()], expectedRevision: 'no_stream' },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(error).toMatchObject({ streamName: 'a', expected: 'no_stream', actual: 0 });
    expect(await store.headPosition()).toBe(0);
    expect(await store.readStream('b')).toEqual([]);
    await store.close();
  });

  it('reports a reused event id as the storage error it is, not as a revision conflict', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    const id = randomUUID();
    await store.append('a', [ev(id)], 'no_stream');
    const error = await store.append('b', [ev(id)], 'no_stream').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(WrongExpectedRevisionError);
    expect(error).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(await store.readStream('b')).toEqual([]);
    await store.close();
  });

  it('starts a deleted stream again at revision 0, and conflicts with it once it has events', async () => {
    const store = openSqliteEventStore({ path: ':memory:' });
    await store.append('a', [ev(), ev()], 'no_stream');
    await store.deleteStream('a');
    const again = await store.append('a', [ev()], 'no_stream');
    expect(again.nextExpectedRevision).toBe(0);
    await expect(store.append('a', [ev()], 'no_stream')).rejects.toMatchObject({ streamName: 'a', actual: 0 });
    await store.close();
  });
});
