/**
 * Both stream erasure reactors against the real SQLite event store and views: a user's streams are
 * written to the store, the reactor is fed what the store holds (in batches, as the runner does),
 * and erasure is checked by reading the streams back.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { pendingTwoFactorStream, twoFactorTrustStream } from '@idstream/domain';
import { openSqliteEventStore } from '@idstream/eventstore';
import { IDS_PER_CHUNK, chunkId, openSqliteViewDatabase, readChunkedIds, type ViewDatabase } from '@idstream/views';
import { PASSWORDLESS_CODES_COLLECTION, PasswordlessErasureReactor } from '../src/passwordless-erasure.js';
import type { StreamErasureReactor, UserStreamsBody } from '../src/stream-erasure.js';
import { TWO_FACTOR_STREAMS_COLLECTION, TwoFactorErasureReactor } from '../src/two-factor-erasure.js';

const userId = '11111111-1111-4111-8111-111111111111';
const otherId = '22222222-2222-4222-8222-222222222222';
const tenantId = '33333333-3333-4333-8333-333333333333';
/** More streams than three full chunks hold. */
const MANY = IDS_PER_CHUNK * 3 + 10;

interface ReactorKind {
  label: string;
  collection: string;
  create(db: ViewDatabase, eventStore: ConstructorParameters<typeof PasswordlessErasureReactor>[1]): StreamErasureReactor;
  /** The n-th stream of a user, and the two events it gets (each carrying the user's id). */
  stream(user: string, n: number): string;
  events: [string, string];
}

const kinds: ReactorKind[] = [
  {
    label: 'passwordless',
    collection: PASSWORDLESS_CODES_COLLECTION,
    create: (db, eventStore) => new PasswordlessErasureReactor(db, eventStore),
    stream: (user, n) => `passwordless-${createHash('sha256').update(`${user}:${n}`).digest('hex')}`,
    events: ['PasswordlessCodeIssued', 'PasswordlessCodeSent'],
  },
  {
    label: 'two-factor',
    collection: TWO_FACTOR_STREAMS_COLLECTION,
    create: (db, eventStore) => new TwoFactorErasureReactor(db, eventStore),
    stream: (user, n) => (n % 2 === 0 ? pendingTwoFactorStream(`${user}:${n}`) : twoFactorTrustStream(`${user}:${n}`)),
    events: ['TwoFactorLoginStarted', 'TwoFactorCodeSent'],
  },
];

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function setup(kind: ReactorKind) {
  const views = openSqliteViewDatabase({ path: ':memory:' });
  const store = openSqliteEventStore({ path: ':memory:' });
  closers.push(() => store.close(), () => views.close());
  const deletions: string[] = [];
  const deleteStream = (name: string) => {
    deletions.push(name);
    return store.deleteStream(name);
  };
  const reactor = kind.create(views, { deleteStream });
  const index = views.collection<UserStreamsBody>(kind.collection);
  let seen = 0;

  const open = async (user: string, n: number) => {
    const name = kind.stream(user, n);
    await store.append(name, kind.events.map((type) => ({ id: randomUUID(), type, data: { userId: user, tenantId } })), 'any');
    return name;
  };
  /** `count` streams of the user, with one of the other user's after every tenth. */
  const openMany = async (count: number, from = 0) => {
    const names: string[] = [];
    for (let n = from; n < from + count; n++) {
      names.push(await open(userId, n));
      if (n % 10 === 9) await open(otherId, n);
    }
    return names;
  };
  const erase = (user = userId) => store.append(`erasure-${user}`, [{ id: randomUUID(), type: 'UserDeleted', data: { userId: user, tenantId, instant: 0 } }], 'any');
  /** Hands the reactor what the store holds past what it has seen, in batches as the runner does; the last position fed. */
  const catchUp = async (batchSize = 50) => {
    const events = await store.readAll({ after: seen });
    for (let i = 0; i < events.length; i += batchSize) await reactor.applyBatch(events.slice(i, i + batchSize));
    seen = events.at(-1)?.position ?? seen;
    return seen;
  };
  /** As after a crash that lost the checkpoint: the reactor is fed again from the start. */
  const replayFromStart = (batchSize: number) => {
    seen = 0;
    return catchUp(batchSize);
  };
  const skipTo = (position: number) => void (seen = position);
  const survivors = async (names: string[]) => {
    const left: string[] = [];
    for (const name of names) if ((await store.readStream(name)).length > 0) left.push(name);
    return left;
  };
  return { views, store, reactor, index, deletions, open, openMany, erase, catchUp, replayFromStart, skipTo, survivors };
}

describe.each(kinds)('$label erasure, chunked', (kind) => {
  it(`the user's document holds at most ${IDS_PER_CHUNK} streams however many the user has; every stream is indexed once, oldest first`, async () => {
    const { index, openMany, catchUp } = setup(kind);
    const names: string[] = [];
    while (names.length < MANY) {
      names.push(...(await openMany(20, names.length)));
      await catchUp();
      expect((await index.get(userId))!.body.streams.length).toBeLessThanOrEqual(IDS_PER_CHUNK);
    }
    const user = (await index.get(userId))!;
    expect(user.body.sealedChunks).toBe(3);
    expect(await readChunkedIds(index, 'streams', user)).toEqual(names);
  });

  it('a later event of a stream sealed into a chunk earlier in the same batch does not index the stream again', async () => {
    const { store, index, openMany, catchUp } = setup(kind);
    const names = await openMany(IDS_PER_CHUNK + 6);
    await store.append(names[0]!, [{ id: randomUUID(), type: kind.events[1], data: { userId, tenantId } }], 'any');
    await catchUp(10_000);
    const user = (await index.get(userId))!;
    expect(user.body.sealedChunks).toBe(1);
    expect(await readChunkedIds(index, 'streams', user)).toEqual(names);
  });

  it.each([50, 10_000])(`erasure deletes every one of ${MANY} streams, each once, and no stream of another user (batches of %i events)`, async (batchSize) => {
    const { index, deletions, openMany, erase, catchUp, survivors } = setup(kind);
    const names = await openMany(MANY);
    const others = Array.from({ length: Math.floor(MANY / 10) }, (_, i) => kind.stream(otherId, i * 10 + 9));
    await erase();
    await catchUp(batchSize);
    expect(await survivors(names)).toEqual([]);
    expect(deletions.sort()).toEqual([...names].sort());
    expect(await survivors(others)).toEqual(others);
    // Only the mark stays: no stream name of an erased user is kept, in its document or a chunk.
    expect((await index.get(userId))!.body).toEqual({ streams: [], erased: true });
    for (let n = 0; n < 3; n++) expect((await index.getIncludingDeleted(chunkId(userId, n)))!.deleted).toBe(true);
    expect((await index.get(otherId))!.body.streams).toEqual(others);
  });

  it.each([
    { growth: 'as it was', grown: 0, batchSize: 50 },
    { growth: 'grown by 70 streams over several batches', grown: 70, batchSize: 50 },
    { growth: 'grown by 70 streams in the erasure batch', grown: 70, batchSize: 10_000 },
  ])('a document written before chunking (100 streams in the user document) is erased whole: $growth', async ({ grown, batchSize }) => {
    const { store, reactor, index, openMany, erase, catchUp, skipTo, survivors } = setup(kind);
    const legacy = await openMany(100);
    const head = await store.headPosition();
    await index.write([{ id: userId, tenantId, position: head, deleted: false, keys: [], body: { streams: legacy } }], { name: reactor.name, position: head });
    skipTo(head);
    const later = await openMany(grown, 100);
    await erase();
    await catchUp(batchSize);
    expect(await survivors([...legacy, ...later])).toEqual([]);
    expect((await index.get(userId))!.body).toEqual({ streams: [], erased: true });
  });

  it('a stream seen after the erasure is deleted on sight, and the index keeps only the mark', async () => {
    const { reactor, views, index, openMany, open, erase, catchUp, survivors } = setup(kind);
    await openMany(MANY);
    await erase();
    await catchUp();
    const late = [await open(userId, MANY), await open(userId, MANY + 1)];
    const last = await catchUp();
    expect(await survivors(late)).toEqual([]);
    expect((await index.get(userId))!.body).toEqual({ streams: [], erased: true });
    expect(await views.getCheckpoint(reactor.name)).toBe(last);
  });

  it.each([30, 10_000])('events fed again from the start (a lost checkpoint, in batches of %i) index nothing twice and seal no extra chunk', async (batchSize) => {
    const { index, deletions, openMany, erase, catchUp, replayFromStart, survivors } = setup(kind);
    const names = await openMany(MANY);
    await catchUp(50);
    const before = await index.get(userId);
    await replayFromStart(batchSize);
    expect(await index.get(userId)).toEqual(before);
    expect(await index.getIncludingDeleted(chunkId(userId, 3))).toBeNull();
    await erase();
    await catchUp();
    expect(await survivors(names)).toEqual([]);
    expect(deletions).toHaveLength(names.length);
  });
});
