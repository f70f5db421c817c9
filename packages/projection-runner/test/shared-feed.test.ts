import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqliteEventStore, type EventStore, type RecordedEvent } from '@idstream/eventstore';
import { SharedEventFeed } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openStore(): Promise<EventStore> {
  const dir = mkdtempSync(join(tmpdir(), 'feed-'));
  dirs.push(dir);
  return openSqliteEventStore({ path: join(dir, 'events.db') });
}

const appendMany = async (store: EventStore, n: number) => {
  for (let i = 0; i < n; i++) await store.append(`s-${i % 7}`, [{ id: randomUUID(), type: 'E', data: { i } }], 'any');
};

/** Counts how often the underlying store is read, to prove the sharing. */
function countingStore(store: EventStore) {
  const counts = { readAll: 0, subscriptions: 0 };
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'readAll') return (...args: Parameters<EventStore['readAll']>) => (counts.readAll++, target.readAll(...args));
      if (property === 'subscribeToAll') return (...args: Parameters<EventStore['subscribeToAll']>) => (counts.subscriptions++, target.subscribeToAll(...args));
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { wrapped, counts };
}

describe('SharedEventFeed', () => {
  it('gives every subscriber every event once, in order, from its own start, while appends run', async () => {
    const store = await openStore();
    await appendMany(store, 300);
    const { wrapped, counts } = countingStore(store);
    const feed = new SharedEventFeed(wrapped);
    const starts = [0, 150, 299, 50, 0];
    const received = starts.map(() => [] as number[]);
    const subscriptions = starts.map((after, i) => feed.subscribe({ after, onEvent: (e) => void received[i]!.push(e.position) }));
    await appendMany(store, 300);
    const all = (await store.readAll()).map((e) => e.position);
    const expected = starts.map((after) => all.filter((p) => p > after));
    const deadline = Date.now() + 10_000;
    while (received.some((r, i) => r.length < expected[i]!.length) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    starts.forEach((_, i) => expect(received[i]).toEqual(expected[i]));
    // One shared subscription; the later subscribers read only their own catch-up.
    expect(counts.subscriptions).toBe(1);
    await Promise.all(subscriptions.map((s) => s.close()));
    await store.close();
  });

  it('a slow subscriber neither holds back a fast one nor loses events', async () => {
    const store = await openStore();
    const feed = new SharedEventFeed(store);
    const fast: number[] = [];
    const slow: number[] = [];
    const a = feed.subscribe({ onEvent: (e) => void fast.push(e.position) });
    const b = feed.subscribe({ onEvent: async (e: RecordedEvent) => {
      await new Promise((r) => setTimeout(r, 5));
      slow.push(e.position);
    } });
    await appendMany(store, 100);
    const positions = (await store.readAll()).map((e) => e.position);
    const fastDeadline = Date.now() + 3_000;
    while (fast.length < positions.length && Date.now() < fastDeadline) await new Promise((r) => setTimeout(r, 10));
    expect(fast).toEqual(positions);
    // The slow one is still working through its events when the fast one is done.
    expect(slow.length).toBeLessThan(positions.length);
    const slowDeadline = Date.now() + 10_000;
    while (slow.length < positions.length && Date.now() < slowDeadline) await new Promise((r) => setTimeout(r, 20));
    expect(slow).toEqual(positions);
    await a.close();
    await b.close();
    await store.close();
  });

  it('subscribers catching up from behind the shared window read each store page once between them', async () => {
    const store = await openStore();
    // Appended in bulk: 5,000 events, five catch-up pages.
    for (let i = 0; i < 50; i++) await store.appendMultiple(Array.from({ length: 100 }, (_, j) => ({ streamName: `bulk-${i}-${j}`, expectedRevision: 'no_stream' as const, events: [{ id: randomUUID(), type: 'E', data: { i, j } }] })));
    const head = await store.headPosition();
    const { wrapped, counts } = countingStore(store);
    const feed = new SharedEventFeed(wrapped);
    // The first subscriber starts the shared read at the head: the window holds nothing older.
    const live = feed.subscribe({ after: head, onEvent: () => undefined });
    const before = counts.readAll;
    const received = [[], [], [], []] as number[][];
    const behind = received.map((list) => feed.subscribe({ after: 0, onEvent: async (e) => void list.push(e.position) }));
    const deadline = Date.now() + 10_000;
    while (received.some((r) => r.length < head) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const expected = (await store.readAll()).map((e) => e.position);
    for (const list of received) expect(list).toEqual(expected);
    // Five pages for four subscribers: read once each (the live read and the last, empty read
    // of each may add a few), not 4 × 5.
    expect(counts.readAll - before).toBeLessThan(12);
    await Promise.all([live, ...behind].map((s) => s.close()));
    await store.close();
  });

  it('reports a failing subscriber and keeps serving the others', async () => {
    const store = await openStore();
    const feed = new SharedEventFeed(store);
    const errors: unknown[] = [];
    const ok: number[] = [];
    const bad = feed.subscribe({ onEvent: () => { throw new Error('boom'); }, onError: (e) => errors.push(e) });
    const good = feed.subscribe({ onEvent: (e) => void ok.push(e.position) });
    await appendMany(store, 5);
    const deadline = Date.now() + 3_000;
    while (ok.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(ok).toHaveLength(5);
    expect(errors).toHaveLength(1);
    await bad.close();
    await good.close();
    await store.close();
  });
});
