import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WrongExpectedRevisionError,
  type EventData,
  type EventMetadata,
  type EventStore,
  type RecordedEvent,
} from '../src/port.js';

const streamName = (prefix: string) => `${prefix}-${randomUUID()}`;

const ev = (type: string, data: unknown = { n: 1 }, metadata?: EventMetadata): EventData => ({
  id: randomUUID(),
  type,
  data,
  ...(metadata ? { metadata } : {}),
});

const evs = (count: number, type = 'Counted'): EventData[] => Array.from({ length: count }, (_, n) => ev(type, { n }));

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** All events of the given streams in the log (the log may be shared with other tests or runs). */
async function readAllOf(store: EventStore, streams: Set<string>, after = 0): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  let last = after;
  for (;;) {
    const page = await store.readAll({ after: last, maxCount: 500 });
    if (page.length === 0) return out;
    out.push(...page.filter((e) => streams.has(e.streamName)));
    last = page[page.length - 1]!.position;
  }
}

/**
 * The event store contract. Every adapter runs it; `makeStore` may be called several times and
 * each call must return an independent instance (own connection) on the same underlying log, so
 * the concurrency cases race for real.
 */
export function eventStoreContract(
  name: string,
  makeStore: () => Promise<EventStore>,
  cleanup?: () => Promise<void>,
): void {
  describe(`event store contract: ${name}`, () => {
    let store: EventStore;
    const extra: EventStore[] = [];
    const another = async () => {
      const s = await makeStore();
      extra.push(s);
      return s;
    };

    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await Promise.all(extra.map((s) => s.close()));
      await store.close();
      await cleanup?.();
    });

    describe('append', () => {
      it('creates a stream with no_stream and numbers revisions from 0', async () => {
        const s = streamName('new');
        const result = await store.append(s, evs(3), 'no_stream');
        expect(result.nextExpectedRevision).toBe(2);
        const read = await store.readStream(s);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(result.position).toBe(read[2]!.position);
      });

      it('rejects no_stream on an existing stream and reports the actual revision', async () => {
        const s = streamName('exists');
        await store.append(s, evs(2), 'no_stream');
        const error = await rejection(store.append(s, evs(1), 'no_stream'));
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamName: s, expected: 'no_stream', actual: 1 });
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('accepts the correct numeric revision and rejects a wrong one', async () => {
        const s = streamName('numeric');
        const first = await store.append(s, evs(1), 'no_stream');
        const second = await store.append(s, evs(2), first.nextExpectedRevision);
        expect(second.nextExpectedRevision).toBe(2);
        expect(second.position).toBeGreaterThan(first.position);

        const stale = await rejection(store.append(s, evs(1), 0));
        expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
        expect(stale).toMatchObject({ streamName: s, expected: 0, actual: 2 });
        const ahead = await rejection(store.append(s, evs(1), 7));
        expect(ahead).toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(s)).toHaveLength(3);
      });

      it('rejects a numeric revision on a missing stream with actual -1', async () => {
        const s = streamName('missing-numeric');
        const error = await rejection(store.append(s, evs(1), 0));
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamName: s, actual: -1 });
        expect(await store.readStream(s)).toEqual([]);
      });

      it('stream_exists requires an existing stream', async () => {
        const s = streamName('must-exist');
        const error = await rejection(store.append(s, evs(1), 'stream_exists'));
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamName: s, expected: 'stream_exists', actual: -1 });
        await store.append(s, evs(1), 'no_stream');
        const ok = await store.append(s, evs(1), 'stream_exists');
        expect(ok.nextExpectedRevision).toBe(1);
      });

      it('any appends whether or not the stream exists', async () => {
        const s = streamName('any');
        expect((await store.append(s, evs(1), 'any')).nextExpectedRevision).toBe(0);
        expect((await store.append(s, evs(2), 'any')).nextExpectedRevision).toBe(2);
        expect(await store.readStream(s)).toHaveLength(3);
      });

      it('lets exactly one of 20 racing appends at the same revision win', async () => {
        const s = streamName('race');
        await store.append(s, evs(1), 'no_stream');
        const stores = [store, await another(), await another(), await another()];
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => stores[i % stores.length]!.append(s, [ev('Raced', { i })], 0)),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(19);
        for (const r of lost) expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
        const read = await store.readStream(s);
        expect(read.map((e) => e.revision)).toEqual([0, 1]);
      });
    });

    describe('readStream', () => {
      it('reads in revision order with fromRevision and maxCount', async () => {
        const s = streamName('read');
        await store.append(s, evs(5), 'no_stream');
        await store.append(s, evs(5), 4);
        const all = await store.readStream(s);
        expect(all.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(all.map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
        expect((await store.readStream(s, { fromRevision: 7 })).map((e) => e.revision)).toEqual([7, 8, 9]);
        expect((await store.readStream(s, { maxCount: 3 })).map((e) => e.revision)).toEqual([0, 1, 2]);
        expect((await store.readStream(s, { fromRevision: 4, maxCount: 2 })).map((e) => e.revision)).toEqual([4, 5]);
        expect(await store.readStream(s, { fromRevision: 10 })).toEqual([]);
      });

      it('returns [] for a stream that does not exist', async () => {
        expect(await store.readStream(streamName('nothing'))).toEqual([]);
      });

      it('round-trips ids, types, data, metadata and recordedAt', async () => {
        const s = streamName('roundtrip');
        const metadata: EventMetadata = {
          correlationId: randomUUID(),
          causationId: randomUUID(),
          tenantId: 'tenant-1',
          schemaVersion: 2,
          nested: { list: [1, 'two', null, true] },
        };
        const data = { email: 'ünïcødé@example.com', count: 3, flags: [true, false], nothing: null, deep: { a: { b: 1 } } };
        const withMeta = ev('UserCreated', data, metadata);
        const withoutMeta = ev('UserUpdated', { x: 1 });
        const before = Date.now();
        await store.append(s, [withMeta, withoutMeta], 'no_stream');
        const after = Date.now();
        const [a, b] = await store.readStream(s);
        expect(a).toMatchObject({ id: withMeta.id, type: 'UserCreated', data, metadata, streamName: s, revision: 0 });
        expect(b).toMatchObject({ id: withoutMeta.id, type: 'UserUpdated', data: { x: 1 }, metadata: {}, revision: 1 });
        // Server clocks may drift a little from ours.
        expect(a!.recordedAt).toBeGreaterThanOrEqual(before - 5_000);
        expect(a!.recordedAt).toBeLessThanOrEqual(after + 5_000);
        const [fromAll] = (await readAllOf(store, new Set([s]), a!.position - 1)).filter((e) => e.id === withMeta.id);
        expect(fromAll).toEqual(a);
      });
    });

    describe('readAll', () => {
      it('reads in position order, strictly increasing, with after and maxCount', async () => {
        const head = await store.headPosition();
        const s1 = streamName('all-a');
        const s2 = streamName('all-b');
        await store.append(s1, evs(3), 'no_stream');
        await store.append(s2, evs(2), 'no_stream');
        await store.append(s1, evs(2), 2);
        const mine = await readAllOf(store, new Set([s1, s2]), head);
        expect(mine.map((e) => `${e.streamName === s1 ? 'a' : 'b'}${e.revision}`)).toEqual([
          'a0', 'a1', 'a2', 'b0', 'b1', 'a3', 'a4',
        ]);

        const page = await store.readAll({ after: head, maxCount: 5 });
        expect(page.length).toBeLessThanOrEqual(5);
        expect(page.length).toBeGreaterThan(0);
        for (let i = 1; i < page.length; i++) expect(page[i]!.position).toBeGreaterThan(page[i - 1]!.position);
        expect(page[0]!.position).toBeGreaterThan(head);

        const third = mine[2]!;
        const afterThird = await store.readAll({ after: third.position, maxCount: 1 });
        expect(afterThird[0]!.position).toBeGreaterThan(third.position);
        const rest = await readAllOf(store, new Set([s1, s2]), third.position);
        expect(rest.map((e) => e.id)).toEqual(mine.slice(3).map((e) => e.id));
      });

      it('reads the whole log from the beginning with strictly increasing positions', async () => {
        await store.append(streamName('begin'), evs(2), 'no_stream');
        const all = await store.readAll({ maxCount: 1000 });
        expect(all.length).toBeGreaterThan(0);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position).toBeGreaterThan(all[i - 1]!.position);
        for (const e of all) expect(e.type.startsWith('$')).toBe(false);
      });

      it('headPosition is the position of the last event', async () => {
        const s = streamName('head');
        const result = await store.append(s, evs(2), 'no_stream');
        const head = await store.headPosition();
        expect(head).toBeGreaterThanOrEqual(result.position);
        expect((await store.readAll({ after: head })).filter((e) => e.streamName === s)).toEqual([]);
        expect((await store.readAll({ after: head - 1 })).length).toBeGreaterThan(0);
      });
    });

    describe('appendMultiple', () => {
      it('writes every stream of a successful request', async () => {
        const s1 = streamName('multi-a');
        const s2 = streamName('multi-b');
        await store.append(s2, evs(2), 'no_stream');
        const result = await store.appendMultiple([
          { streamName: s1, events: evs(2), expectedRevision: 'no_stream' },
          { streamName: s2, events: evs(1), expectedRevision: 1 },
        ]);
        expect(result.streams).toEqual([
          { streamName: s1, nextExpectedRevision: 1 },
          { streamName: s2, nextExpectedRevision: 2 },
        ]);
        const a = await store.readStream(s1);
        const b = await store.readStream(s2);
        expect(a).toHaveLength(2);
        expect(b).toHaveLength(3);
        expect(result.position).toBe(Math.max(a[1]!.position, b[2]!.position));
      });

      it('writes nothing when one expected revision does not hold', async () => {
        const s1 = streamName('atomic-a');
        const s2 = streamName('atomic-b');
        await store.append(s2, evs(1), 'no_stream');
        const error = await rejection(
          store.appendMultiple([
            { streamName: s1, events: evs(2), expectedRevision: 'no_stream' },
            { streamName: s2, events: evs(1), expectedRevision: 5 },
          ]),
        );
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamName: s2, actual: 0 });
        expect(await store.readStream(s1)).toEqual([]);
        expect(await store.readStream(s2)).toHaveLength(1);
      });

      it('lets exactly one of 50 racing requests reserve the same value', async () => {
        const reservation = streamName('reservation-email');
        const stores = [store, await another(), await another()];
        const users = Array.from({ length: 50 }, () => streamName('user'));
        const results = await Promise.allSettled(
          users.map((user, i) =>
            stores[i % stores.length]!.appendMultiple([
              { streamName: user, events: [ev('UserCreated', { user })], expectedRevision: 'no_stream' },
              { streamName: reservation, events: [ev('EmailReserved', { user })], expectedRevision: 'no_stream' },
            ]),
          ),
        );
        const winners = users.filter((_, i) => results[i]!.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
        }
        const reserved = await store.readStream(reservation);
        expect(reserved.map((e) => e.data)).toEqual([{ user: winners[0] }]);
        const created = await Promise.all(users.map((u) => store.readStream(u)));
        expect(created.filter((events) => events.length > 0)).toHaveLength(1);
      });
    });

    describe('subscribeToAll', () => {
      it('delivers from the beginning, then live events', async () => {
        const s = streamName('sub-begin');
        await store.append(s, evs(3), 'no_stream');
        const seen: RecordedEvent[] = [];
        const sub = store.subscribeToAll({ onEvent: (e) => void seen.push(e) });
        await waitFor(() => seen.filter((e) => e.streamName === s).length === 3);
        await store.append(s, evs(2), 2);
        await waitFor(() => seen.filter((e) => e.streamName === s).length === 5);
        await sub.close();
        expect(seen.filter((e) => e.streamName === s).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
        for (let i = 1; i < seen.length; i++) expect(seen[i]!.position).toBeGreaterThan(seen[i - 1]!.position);
      });

      it('delivers only events after the given position', async () => {
        const s = streamName('sub-after');
        const first = await store.append(s, evs(3), 'no_stream');
        await store.append(s, evs(2), 2);
        const seen: RecordedEvent[] = [];
        const sub = store.subscribeToAll({ after: first.position, onEvent: (e) => void seen.push(e) });
        await waitFor(() => seen.filter((e) => e.streamName === s).length === 2);
        await sub.close();
        expect(seen.every((e) => e.position > first.position)).toBe(true);
        expect(seen.filter((e) => e.streamName === s).map((e) => e.revision)).toEqual([3, 4]);
      });

      it('receives every event exactly once in order while appends run concurrently', async () => {
        const head = await store.headPosition();
        const writer = await another();
        const streams = new Set(Array.from({ length: 4 }, () => streamName('sub-concurrent')));
        const names = [...streams];
        const positions: number[] = [];
        let running = 0;
        let overlapped = false;

        // Half the appends land before the subscription starts (catch-up), half during it (live).
        const appendAll = async () => {
          const revisions = new Map<string, number | 'no_stream'>(names.map((n) => [n, 'no_stream']));
          for (let i = 0; i < 100; i++) {
            const target = names[i % names.length]!;
            const r = await writer.append(target, evs(2, 'Burst'), revisions.get(target)!);
            revisions.set(target, r.nextExpectedRevision);
            if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
          }
        };
        const appending = appendAll();
        await new Promise((resolve) => setTimeout(resolve, 5));
        const sub = store.subscribeToAll({
          after: head,
          onEvent: async (e) => {
            if (running++ > 0) overlapped = true;
            if (streams.has(e.streamName)) positions.push(e.position);
            await new Promise((resolve) => setImmediate(resolve));
            running--;
          },
        });
        await appending;
        await waitFor(() => positions.length >= 200, 20_000);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await sub.close();

        const expected = (await readAllOf(store, streams, head)).map((e) => e.position);
        expect(expected).toHaveLength(200);
        expect(positions).toEqual(expected);
        expect(overlapped).toBe(false);
      });

      it('close() stops delivery and waits for the running onEvent', async () => {
        const s = streamName('sub-close');
        const head = await store.headPosition();
        let inHandler = false;
        let count = 0;
        const sub = store.subscribeToAll({
          after: head,
          onEvent: async (e) => {
            if (e.streamName !== s) return;
            inHandler = true;
            await new Promise((resolve) => setTimeout(resolve, 50));
            count++;
            inHandler = false;
          },
        });
        await store.append(s, evs(1), 'no_stream');
        await waitFor(() => inHandler);
        await sub.close();
        expect(inHandler).toBe(false);
        const countAtClose = count;
        await store.append(s, evs(3), 0);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(count).toBe(countAtClose);
      });

      it('stops and reports an error thrown by onEvent', async () => {
        const head = await store.headPosition();
        await store.append(streamName('sub-error'), evs(2), 'no_stream');
        let calls = 0;
        let reported: unknown;
        const sub = store.subscribeToAll({
          after: head,
          onEvent: () => {
            calls++;
            throw new Error('handler failed');
          },
          onError: (error) => {
            reported = error;
          },
        });
        await waitFor(() => reported !== undefined);
        await sub.close();
        expect((reported as Error).message).toBe('handler failed');
        expect(calls).toBe(1);
      });
    });

    describe('deleteStream', () => {
      it('removes the stream from readStream and readAll and allows re-creating it', async () => {
        const s = streamName('delete');
        const other = streamName('keep');
        const head = await store.headPosition();
        const old = await store.append(s, [ev('UserCreated', { email: 'secret@example.com' })], 'no_stream');
        await store.append(other, evs(1), 'no_stream');
        await store.deleteStream(s);

        expect(await store.readStream(s)).toEqual([]);
        const remaining = await readAllOf(store, new Set([s, other]), head);
        expect(remaining.map((e) => e.streamName)).toEqual([other]);
        expect(JSON.stringify(await store.readAll({ after: head }))).not.toContain('secret@example.com');

        const again = await store.append(s, [ev('UserCreated', { email: 'new@example.com' })], 'no_stream');
        expect(again.position).toBeGreaterThan(old.position);
        const read = await store.readStream(s);
        expect(read.map((e) => e.data)).toEqual([{ email: 'new@example.com' }]);
        // Revisions after re-creation are adapter-specific (KurrentDB keeps counting): chain from the result.
        expect(read[0]!.revision).toBe(again.nextExpectedRevision);
        await store.append(s, evs(1), again.nextExpectedRevision);
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('is not delivered to a subscription started after the deletion', async () => {
        const s = streamName('delete-sub');
        const marker = streamName('delete-marker');
        const head = await store.headPosition();
        await store.append(s, evs(2), 'no_stream');
        await store.deleteStream(s);
        await store.append(marker, evs(1), 'no_stream');
        const seen: RecordedEvent[] = [];
        const sub = store.subscribeToAll({ after: head, onEvent: (e) => void seen.push(e) });
        await waitFor(() => seen.some((e) => e.streamName === marker));
        await sub.close();
        expect(seen.filter((e) => e.streamName === s)).toEqual([]);
      });

      it('deleting a missing stream is a no-op', async () => {
        await store.deleteStream(streamName('never'));
      });
    });
  });
}
