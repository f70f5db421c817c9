import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqliteEventStore, type EventStore, type RecordedEvent } from '@idstream/eventstore';
import { openSqliteViewDatabase, type ViewDocument } from '@idstream/views';
import { ProjectionRunner, SharedEventFeed, ViewProjectionHandler, type DocumentProjection, type ProjectionHandler } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function openStore(): Promise<{ store: EventStore; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'runner-'));
  dirs.push(dir);
  return { store: await openSqliteEventStore({ path: join(dir, 'events.db') }), dir };
}

const append = (store: EventStore, stream: string, type: string, data: unknown) => store.append(stream, [{ id: randomUUID(), type, data }], 'any');

/** A counter per stream: the simplest projection that shows double application. */
const counter: DocumentProjection<{ count: number; last: string }> = {
  documentId: (event) => event.streamName,
  evolve: (doc, event) =>
    event.type === 'Removed'
      ? null
      : { id: event.streamName, tenantId: 't', position: event.position, deleted: false, keys: [`name:${(event.data as { name: string }).name}`], body: { count: (doc?.body.count ?? 0) + 1, last: event.type } },
};

describe('ProjectionRunner', () => {
  it('catches up, goes live, and waitFor resolves once a position is applied', async () => {
    const { store, dir } = await openStore();
    const views = await openSqliteViewDatabase({ path: join(dir, 'views.db') });
    for (let i = 0; i < 50; i++) await append(store, `s-${i % 5}`, 'Counted', { name: `n${i % 5}` });
    const runner = new ProjectionRunner(store, new ViewProjectionHandler('counter', views, [{ collection: views.collection('counts'), projection: counter }]));
    await runner.start();
    await runner.catchUp();
    expect((await views.collection<{ count: number }>('counts').get('s-3'))?.body.count).toBe(10);
    const { position } = await append(store, 's-3', 'Counted', { name: 'n3' });
    await runner.waitFor(position);
    expect((await views.collection<{ count: number }>('counts').findByKey('name:n3'))?.body.count).toBe(11);
    expect(await views.getCheckpoint('counter')).toBe(position);
    await runner.stop();
    await views.close();
    await store.close();
  });

  it('restarting from the checkpoint applies nothing twice, and a replay from zero changes nothing', async () => {
    const { store, dir } = await openStore();
    const views = await openSqliteViewDatabase({ path: join(dir, 'views.db') });
    for (let i = 0; i < 30; i++) await append(store, 'only', 'Counted', { name: 'x' });
    const handler = new ViewProjectionHandler('counter', views, [{ collection: views.collection('counts'), projection: counter }]);
    const first = new ProjectionRunner(store, handler);
    await first.start();
    await first.catchUp();
    await first.stop();
    await append(store, 'only', 'Counted', { name: 'x' });
    const second = new ProjectionRunner(store, handler);
    await second.start();
    await second.catchUp();
    await second.stop();
    expect((await views.collection<{ count: number }>('counts').get('only'))?.body.count).toBe(31);
    // Replaying every event again (checkpoint lost) is a no-op thanks to the position guard.
    await handler.applyBatch(await store.readAll());
    expect((await views.collection<{ count: number }>('counts').get('only'))?.body.count).toBe(31);
    await views.close();
    await store.close();
  });

  it('retries a failing batch instead of skipping it, in order', async () => {
    const { store } = await openStore();
    const seen: number[] = [];
    let failures = 0;
    const flaky: ProjectionHandler = {
      name: 'flaky',
      getCheckpoint: async () => undefined,
      async applyBatch(events: RecordedEvent[]) {
        if (failures < 2) {
          failures++;
          throw new Error('transient');
        }
        seen.push(...events.map((e) => e.position));
      },
    };
    const errors: unknown[] = [];
    const runner = new ProjectionRunner(store, flaky, { retryDelayMs: 10, onError: (error) => errors.push(error) });
    for (let i = 0; i < 10; i++) await append(store, 'f', 'Counted', { name: 'f' });
    await runner.start();
    await runner.catchUp(5_000);
    expect(errors).toHaveLength(2);
    expect(seen).toEqual((await store.readAll()).map((e) => e.position));
    await runner.stop();
    await store.close();
  });

  it('a deleted document leaves a tombstone that an older replayed event cannot resurrect', async () => {
    const { store, dir } = await openStore();
    const views = await openSqliteViewDatabase({ path: join(dir, 'views.db') });
    await append(store, 'gone', 'Counted', { name: 'g' });
    await append(store, 'gone', 'Removed', { name: 'g' });
    const handler = new ViewProjectionHandler('counter', views, [{ collection: views.collection('counts'), projection: counter }]);
    const all = await store.readAll();
    await handler.applyBatch(all);
    await handler.applyBatch(all.slice(0, 1));
    const stored = (await views.collection('counts').getIncludingDeleted('gone')) as ViewDocument | null;
    expect(stored?.deleted).toBe(true);
    expect(await views.collection('counts').findByKey('name:g')).toBeNull();
    await views.close();
    await store.close();
  });
  it('holds a batch of deferrable events for the linger, and applies it at once when another event arrives', async () => {
    const { store } = await openStore();
    const batches: string[][] = [];
    const recorder: ProjectionHandler = {
      name: 'recorder',
      getCheckpoint: async () => undefined,
      async applyBatch(events: RecordedEvent[]) {
        batches.push(events.map((e) => e.type));
      },
    };
    const lingerMs = 1_000;
    const runner = new ProjectionRunner(store, recorder, { linger: { ms: lingerMs, deferrable: (e) => e.type === 'LoggedIn' } });
    await runner.start();
    // Three logins close together: nothing is applied before the linger ends, then all three at once.
    const started = Date.now();
    for (let i = 0; i < 3; i++) await append(store, `login-${i}`, 'LoggedIn', {});
    const { position: lastLogin } = await append(store, 'login-3', 'LoggedIn', {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(batches).toEqual([]);
    await runner.waitFor(lastLogin, 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(lingerMs - 50);
    expect(batches).toEqual([['LoggedIn', 'LoggedIn', 'LoggedIn', 'LoggedIn']]);
    await runner.stop();

    // A login waits (a minute here); a user change arriving next ends the wait, and the waiting login,
    // the change and the rest of the change's append go in one batch (an append is not split).
    const runnerLong = new ProjectionRunner(store, { ...recorder, getCheckpoint: async () => lastLogin }, { linger: { ms: 60_000, deferrable: (e) => e.type === 'LoggedIn' } });
    batches.length = 0;
    await runnerLong.start();
    await append(store, 'login-4', 'LoggedIn', {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { position: changed } = await store.append('user-1', [{ id: randomUUID(), type: 'UserChanged', data: {} }, { id: randomUUID(), type: 'LoggedIn', data: {} }], 'any');
    await runnerLong.waitFor(changed, 5_000);
    expect(batches).toEqual([['LoggedIn', 'UserChanged', 'LoggedIn']]);
    // Stopping ends a linger without waiting it out.
    await append(store, 'login-5', 'LoggedIn', {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = Date.now();
    await runnerLong.stop();
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(batches).toEqual([['LoggedIn', 'UserChanged', 'LoggedIn']]);
    await store.close();
  });

  it('passes over events its handler ignores without a batch, and still stores their position as the checkpoint', async () => {
    const { store, dir } = await openStore();
    const views = await openSqliteViewDatabase({ path: join(dir, 'views.db') });
    const applied: string[][] = [];
    // Counts only `Counted` events of stream `mine`: everything else changes nothing here.
    const mine: DocumentProjection<{ count: number; last: string }> = { ...counter, documentId: (event) => (event.streamName === 'mine' ? 'mine' : undefined) };
    const inner = new ViewProjectionHandler('mine', views, [{ collection: views.collection('mine_counts'), projection: mine }]);
    const handler: ProjectionHandler = {
      name: inner.name,
      getCheckpoint: () => inner.getCheckpoint(),
      ignores: (event) => inner.ignores(event),
      applyBatch: async (events) => {
        applied.push(events.map((e) => e.streamName));
        await inner.applyBatch(events);
      },
    };
    const runner = new ProjectionRunner(store, handler);
    await runner.start();
    await runner.catchUp();
    const counted = await append(store, 'mine', 'Counted', { name: 'm' });
    await runner.waitFor(counted.position, 5_000);
    expect(applied).toEqual([['mine']]);

    // Others' events: the position moves with each (waitFor resolves), no batch is applied for them.
    let other = counted;
    for (let i = 0; i < 5; i++) {
      other = await append(store, `other-${i}`, 'Counted', { name: 'o' });
      await runner.waitFor(other.position, 5_000);
    }
    expect(runner.position).toBe(other.position);
    expect(applied).toEqual([['mine']]);
    // The checkpoint follows within a second, as a batch of the last ignored event alone.
    await expect.poll(() => views.getCheckpoint('mine'), { timeout: 5_000 }).toBe(other.position);
    expect(applied).toEqual([['mine'], ['other-4']]);
    expect((await views.collection<{ count: number }>('mine_counts').get('mine'))?.body.count).toBe(1);

    // An event it handles after ignored ones is applied alone and stores its own position.
    await append(store, 'other-5', 'Counted', { name: 'o' });
    const again = await append(store, 'mine', 'Counted', { name: 'm' });
    await runner.waitFor(again.position, 5_000);
    expect(applied.at(-1)).toEqual(['mine']);
    expect(await views.getCheckpoint('mine')).toBe(again.position);

    // A stop right after ignored events leaves the checkpoint at the position, not before them.
    const last = await append(store, 'other-6', 'Counted', { name: 'o' });
    await runner.waitFor(last.position, 5_000);
    await runner.stop();
    expect(await views.getCheckpoint('mine')).toBe(last.position);
    expect((await views.collection<{ count: number }>('mine_counts').get('mine'))?.body.count).toBe(2);
    await views.close();
    await store.close();
  });

  it('applies a burst that arrives while a batch is being applied in a few large batches, not one small batch per await', async () => {
    // The shared feed hands events over one per microtask. A drain loop that went on with whatever had
    // arrived while its last batch was awaited applied a 100,000-user import in 38,000 batches of ~8
    // events: one view transaction (and commit) each, half of the API thread's time (measured).
    const { store } = await openStore();
    const feed = new SharedEventFeed(store);
    const burst = Array.from({ length: 3_000 }, (_, i) => ({ streamName: `burst-${i}`, expectedRevision: 'no_stream' as const, events: [{ id: randomUUID(), type: 'Counted', data: { name: `n${i}` } }] }));
    const sizes: number[] = [];
    let burstPosition: Promise<number> | undefined;
    const handler: ProjectionHandler = {
      name: 'sizes',
      getCheckpoint: async () => undefined,
      async applyBatch(events: RecordedEvent[]) {
        sizes.push(events.length);
        // The burst lands while this runner is busy with an earlier batch (as an import's next batch does).
        burstPosition ??= store.appendMultiple(burst).then((result) => result.position);
        // Like the view handler: a read, then a write, each awaited.
        for (let i = 0; i < 4; i++) await Promise.resolve();
      },
    };
    const runner = new ProjectionRunner(feed.asEventStore(), handler, { batchSize: 1_000 });
    await runner.start();
    await append(store, 'first', 'Counted', { name: 'first' });
    await expect.poll(() => burstPosition).toBeDefined();
    await runner.waitFor(await burstPosition!);
    await runner.stop();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3_001);
    expect(sizes.length).toBeLessThanOrEqual(10);
    await store.close();
  });

  it('stops while its buffer is full and the subscription waits to hand it the next event', async () => {
    const { store } = await openStore();
    for (let i = 0; i < 100; i++) await append(store, `s-${i}`, 'Counted', { name: 'x' });
    const applied: number[] = [];
    const slow: ProjectionHandler = {
      name: 'slow',
      getCheckpoint: async () => undefined,
      applyBatch: async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        applied.push(...batch.map((e) => e.position));
      },
    };
    // Ten events fill the buffer: the catch-up read waits inside its hand-over of the eleventh.
    const runner = new ProjectionRunner(store, slow, { batchSize: 5, maxBuffered: 10 });
    await runner.start();
    while (applied.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const stopped = await Promise.race([runner.stop().then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000))]);
    expect(stopped).toBe('stopped');
    // What was applied is a prefix, in order: nothing skipped before the stop.
    expect(applied).toEqual(Array.from({ length: applied.length }, (_, i) => i + 1));
    await store.close();
  });

  it('stops at once while its batch waits on a projection that already stopped below that batch', async () => {
    const { store } = await openStore();
    for (let i = 0; i < 10; i++) await append(store, `s-${i}`, 'Counted', { name: 'x' });
    const config = new ProjectionRunner(store, { name: 'config', getCheckpoint: async () => undefined, applyBatch: async () => undefined });
    await config.start();
    await config.catchUp();
    await config.stop();
    const stoppedAt = config.position;
    // A wait beyond where it stopped fails at once: it will never get there in this process.
    const failed = await config.waitFor(stoppedAt + 5, 60_000).then(() => undefined, (error: unknown) => error);
    expect(failed).toMatchObject({ name: 'ProjectionTimeoutError', stopped: true, reached: stoppedAt });
    await expect(config.waitFor(stoppedAt, 60_000)).resolves.toBeUndefined();

    for (let i = 0; i < 10; i++) await append(store, `t-${i}`, 'Counted', { name: 'y' });
    const errors: unknown[] = [];
    let waiting = false;
    // Like webhook routing, which waits (up to a minute) for the config views to reach its batch. Its
    // buffer is full, so the subscription also waits, to hand over the next event.
    const routing = new ProjectionRunner(store, {
      name: 'routing',
      getCheckpoint: async () => undefined,
      applyBatch: async (batch) => {
        waiting = true;
        await config.waitFor(batch[batch.length - 1]!.position, 60_000);
      },
    }, { onError: (error) => errors.push(error), retryDelayMs: 20, batchSize: 5, maxBuffered: 5 });
    await routing.start();
    while (!waiting) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopping = Date.now();
    await routing.stop();
    expect(Date.now() - stopping).toBeLessThan(2_000);
    // Nothing applied past the stopped projection, and nothing reported as a failure.
    expect(routing.position).toBe(stoppedAt);
    expect(errors).toEqual([]);
    await store.close();
  });
});
