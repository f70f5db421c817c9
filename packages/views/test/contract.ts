import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViewCollection, ViewDatabase, ViewDocument } from '../src/index.js';

type Body = Record<string, unknown>;

export function viewDoc(
  id: string,
  position: number,
  options: { tenantId?: string; keys?: string[]; body?: Body; deleted?: boolean } = {},
): ViewDocument {
  return {
    id,
    tenantId: options.tenantId ?? 't1',
    position,
    deleted: options.deleted ?? false,
    keys: options.keys ?? [],
    body: options.body ?? { name: id, at: position },
  };
}

/** Everything a reader can observe about a collection, for before/after comparisons. */
async function snapshot(collection: ViewCollection, ids: string[], keys: string[]): Promise<unknown> {
  return {
    list: await collection.list(),
    count: await collection.count(),
    all: await Promise.all(ids.map((id) => collection.getIncludingDeleted(id))),
    byKey: await Promise.all(keys.map((key) => collection.findByKey(key))),
  };
}

/**
 * The behaviour every view store adapter promises. `open` must connect to the same store each time
 * it is called (the reopen case checks persistence); each test uses its own collection names.
 */
export function viewDatabaseContract(name: string, open: () => Promise<ViewDatabase>): void {
  describe(name, () => {
    let db: ViewDatabase;
    let counter = 0;
    const fresh = (): ViewCollection => db.collection(`c${++counter}_${Date.now() % 100000}`);
    const checkpointName = (): string => `cp-${++counter}`;

    beforeAll(async () => {
      db = await open();
    });
    afterAll(async () => {
      await db?.close();
    });

    it('writes a document and reads it back by id', async () => {
      const users = fresh();
      const doc = viewDoc('u1', 10, { keys: ['email:t1:a@x.io'], body: { email: 'a@x.io', nested: { n: 1, list: [1, 'b'] } } });
      expect(await users.write([doc])).toBe(1);
      expect(await users.get('u1')).toEqual(doc);
      expect(await users.get('missing')).toBeNull();
    });

    it('getMany follows the requested order and leaves out missing and deleted ids', async () => {
      const users = fresh();
      await users.write([viewDoc('a', 1), viewDoc('b', 2), viewDoc('c', 3), viewDoc('d', 4, { deleted: true })]);
      const found = await users.getMany(['c', 'missing', 'a', 'd', 'b']);
      expect(found.map((d) => d.id)).toEqual(['c', 'a', 'b']);
      expect(found[0]).toEqual(viewDoc('c', 3));
      expect(await users.getMany([])).toEqual([]);
    });

    it('finds a document by any of its keys', async () => {
      const users = fresh();
      await users.write([viewDoc('u1', 1, { keys: ['email:t1:a@x.io', 'username:t1:ann'] }), viewDoc('u2', 2, { keys: ['email:t1:b@x.io'] })]);
      expect((await users.findByKey('username:t1:ann'))?.id).toBe('u1');
      expect((await users.findByKey('email:t1:a@x.io'))?.id).toBe('u1');
      expect((await users.findByKey('email:t1:b@x.io'))?.id).toBe('u2');
      expect(await users.findByKey('email:t1:nobody@x.io')).toBeNull();
    });

    it('lets a later document take over a key held by another one', async () => {
      const users = fresh();
      await users.write([viewDoc('a', 1, { keys: ['shared', 'only-a'] })]);
      expect(await users.write([viewDoc('b', 2, { keys: ['shared'] })])).toBe(1);
      expect((await users.findByKey('shared'))?.id).toBe('b');
      expect((await users.findByKey('only-a'))?.id).toBe('a');
      expect((await users.get('a'))?.keys).toEqual(['only-a']);

      // Rewriting the loser without the key must not take it from the winner.
      await users.write([viewDoc('a', 3, { keys: ['only-a'], body: { v: 3 } })]);
      expect((await users.findByKey('shared'))?.id).toBe('b');
      // And claiming it again takes it back.
      await users.write([viewDoc('a', 4, { keys: ['only-a', 'shared'] })]);
      expect((await users.findByKey('shared'))?.id).toBe('a');
      expect((await users.get('b'))?.keys).toEqual([]);
    });

    it('replaces keys on rewrite: an old key no longer finds the document', async () => {
      const users = fresh();
      await users.write([viewDoc('u1', 1, { keys: ['email:t1:old@x.io', 'username:t1:u'] })]);
      await users.write([viewDoc('u1', 2, { keys: ['email:t1:new@x.io', 'username:t1:u'] })]);
      expect(await users.findByKey('email:t1:old@x.io')).toBeNull();
      expect((await users.findByKey('email:t1:new@x.io'))?.position).toBe(2);
      expect((await users.findByKey('username:t1:u'))?.position).toBe(2);
      expect((await users.get('u1'))?.keys).toEqual(['email:t1:new@x.io', 'username:t1:u']);
    });

    it('skips writes whose position is not newer than the stored one', async () => {
      const users = fresh();
      await users.write([viewDoc('u1', 5, { keys: ['k5'], body: { v: 5 } })]);
      expect(await users.write([viewDoc('u1', 5, { keys: ['other'], body: { v: 'same position' } })])).toBe(0);
      expect(await users.write([viewDoc('u1', 3, { keys: ['k3'], body: { v: 3 } })])).toBe(0);
      expect(await users.get('u1')).toEqual(viewDoc('u1', 5, { keys: ['k5'], body: { v: 5 } }));
      expect(await users.findByKey('other')).toBeNull();
      expect(await users.findByKey('k3')).toBeNull();
      expect(await users.write([viewDoc('u1', 6, { keys: ['k5'], body: { v: 6 } })])).toBe(1);
      expect((await users.get('u1'))?.body).toEqual({ v: 6 });
    });

    it('leaves identical state when a whole batch is replayed', async () => {
      const users = fresh();
      const batch = Array.from({ length: 30 }, (_, i) =>
        viewDoc(`u${i}`, 100 + i, { tenantId: i % 2 ? 't1' : 't2', keys: [`k${i}`, `k${(i + 1) % 30}`], deleted: i % 7 === 0 }),
      );
      const ids = batch.map((d) => d.id);
      const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
      const written = await users.write(batch, { name: checkpointName(), position: 129 });
      expect(written).toBe(30);
      const before = await snapshot(users, ids, keys);
      expect(await users.write(batch)).toBe(0);
      expect(await snapshot(users, ids, keys)).toEqual(before);
    });

    it('applies only the highest version of an id within one batch, and gives a contested key to the highest position', async () => {
      const users = fresh();
      const written = await users.write([
        viewDoc('u1', 7, { keys: ['k'], body: { v: 7 } }),
        viewDoc('u2', 6, { keys: ['k', 'u2'] }),
        viewDoc('u1', 3, { body: { v: 3 } }),
      ]);
      expect(written).toBe(2);
      expect((await users.get('u1'))?.body).toEqual({ v: 7 });
      expect((await users.findByKey('k'))?.id).toBe('u1');
      expect((await users.get('u2'))?.keys).toEqual(['u2']);
    });

    it('keeps a tombstone that hides the document and cannot be resurrected by an older write', async () => {
      const users = fresh();
      await users.write([viewDoc('u1', 1, { keys: ['email:t1:a@x.io'], body: { email: 'a@x.io' } }), viewDoc('u2', 2)]);
      // The writer empties a tombstone even when given a body and keys: no personal data survives.
      const tombstone = viewDoc('u1', 3, { deleted: true, keys: ['email:t1:a@x.io'], body: { email: 'a@x.io' } });
      expect(await users.write([tombstone])).toBe(1);

      expect(await users.get('u1')).toBeNull();
      expect(await users.findByKey('email:t1:a@x.io')).toBeNull();
      expect((await users.list()).map((d) => d.id)).toEqual(['u2']);
      expect(await users.count()).toBe(1);
      expect(await users.count({ tenantId: 't1' })).toBe(1);
      expect(await users.getIncludingDeleted('u1')).toEqual({ id: 'u1', tenantId: 't1', position: 3, deleted: true, keys: [], body: {} });

      expect(await users.write([viewDoc('u1', 2, { keys: ['email:t1:a@x.io'] })])).toBe(0);
      expect(await users.get('u1')).toBeNull();
      expect(await users.findByKey('email:t1:a@x.io')).toBeNull();

      // The freed key is available to another document.
      await users.write([viewDoc('u3', 4, { keys: ['email:t1:a@x.io'] })]);
      expect((await users.findByKey('email:t1:a@x.io'))?.id).toBe('u3');
    });

    it('records a tombstone for an id it never saw, so the later-replayed create stays hidden', async () => {
      const users = fresh();
      await users.write([viewDoc('u1', 9, { deleted: true })]);
      expect(await users.write([viewDoc('u1', 4, { keys: ['k'] })])).toBe(0);
      expect(await users.get('u1')).toBeNull();
      expect((await users.getIncludingDeleted('u1'))?.deleted).toBe(true);
    });

    it('lists live documents ordered by id, with tenant filter, offset and limit', async () => {
      const users = fresh();
      const ids = ['m', 'c', 'x', 'a', 'q', 'f', 'b'];
      await users.write(ids.map((id, i) => viewDoc(id, i + 1, { tenantId: i % 2 ? 't2' : 't1' })));
      await users.write([viewDoc('q', 50, { deleted: true })]);

      const all = await users.list();
      expect(all.map((d) => d.id)).toEqual(['a', 'b', 'c', 'f', 'm', 'x']);
      expect(all.find((d) => d.id === 'f')).toEqual(viewDoc('f', 6, { tenantId: 't2' }));
      expect((await users.list({ tenantId: 't1' })).map((d) => d.id)).toEqual(['b', 'm', 'x']);
      expect((await users.list({ tenantId: 't2' })).map((d) => d.id)).toEqual(['a', 'c', 'f']);
      expect((await users.list({ tenantId: 'none' })).map((d) => d.id)).toEqual([]);
      expect((await users.list({ offset: 2, limit: 3 })).map((d) => d.id)).toEqual(['c', 'f', 'm']);
      expect((await users.list({ limit: 2 })).map((d) => d.id)).toEqual(['a', 'b']);
      expect((await users.list({ offset: 5 })).map((d) => d.id)).toEqual(['x']);
      expect((await users.list({ tenantId: 't1', offset: 1, limit: 1 })).map((d) => d.id)).toEqual(['m']);
      expect(await users.list({ offset: 10 })).toEqual([]);
    });

    it('counts live documents per tenant', async () => {
      const users = fresh();
      expect(await users.count()).toBe(0);
      await users.write([
        viewDoc('a', 1, { tenantId: 't1' }),
        viewDoc('b', 2, { tenantId: 't1' }),
        viewDoc('c', 3, { tenantId: 't2' }),
        viewDoc('d', 4, { tenantId: 't2', deleted: true }),
      ]);
      expect(await users.count()).toBe(3);
      expect(await users.count({ tenantId: 't1' })).toBe(2);
      expect(await users.count({ tenantId: 't2' })).toBe(1);
      expect(await users.count({ tenantId: 't3' })).toBe(0);
    });

    it('stores checkpoints, also backwards, and advances them with a write', async () => {
      const name = checkpointName();
      expect(await db.getCheckpoint(name)).toBeUndefined();
      await db.setCheckpoint({ name, position: 5 });
      expect(await db.getCheckpoint(name)).toBe(5);
      await db.setCheckpoint({ name, position: 0 });
      expect(await db.getCheckpoint(name)).toBe(0);

      const users = fresh();
      await users.write([viewDoc('u1', 8)], { name, position: 8 });
      expect(await db.getCheckpoint(name)).toBe(8);
      // A batch that is entirely skipped still moves the checkpoint: those events are done.
      expect(await users.write([viewDoc('u1', 8)], { name, position: 12 })).toBe(0);
      expect(await db.getCheckpoint(name)).toBe(12);
    });

    it('rejects a batch holding a malformed document without writing anything', async () => {
      const users = fresh();
      const name = checkpointName();
      await db.setCheckpoint({ name, position: 1 });
      const bad: ViewDocument[] = [
        { ...viewDoc('bad', 1.5) },
        { ...viewDoc('bad', -1) },
        { ...viewDoc('', 2) },
        { ...viewDoc('bad', 2), body: null as unknown as Body },
        { ...viewDoc('bad', 2), keys: [''] },
      ];
      for (const doc of bad) {
        await expect(users.write([viewDoc('good', 2, { keys: ['g'] }), doc], { name, position: 2 })).rejects.toThrow(TypeError);
      }
      await expect(users.write([viewDoc('good', 2)], { name, position: Number.NaN })).rejects.toThrow(TypeError);
      expect(await users.getIncludingDeleted('good')).toBeNull();
      expect(await users.findByKey('g')).toBeNull();
      expect(await db.getCheckpoint(name)).toBe(1);
    });

    it('rejects collection names that are not safe identifiers', () => {
      for (const bad of ['Users', 'users-v1', '', '_x', 'a b', 'x;drop', 'a'.repeat(65)]) {
        expect(() => db.collection(bad), bad).toThrow(TypeError);
      }
      expect(() => db.collection('users_v1')).not.toThrow();
    });

    it('stores and re-points aliases', async () => {
      const alias = `users_${++counter}`;
      expect(await db.getAlias(alias)).toBeUndefined();
      await db.setAlias(alias, 'users_v1');
      expect(await db.getAlias(alias)).toBe('users_v1');
      await db.setAlias(alias, 'users_v2');
      expect(await db.getAlias(alias)).toBe('users_v2');
    });

    it('drops a collection, which starts empty on next use', async () => {
      const users = fresh();
      await users.write([viewDoc('u1', 1, { keys: ['k'] }), viewDoc('u2', 2, { deleted: true })]);
      await users.drop();
      expect(await users.get('u1')).toBeNull();
      expect(await users.getIncludingDeleted('u2')).toBeNull();
      expect(await users.findByKey('k')).toBeNull();
      expect(await users.count()).toBe(0);
      expect(await users.write([viewDoc('u1', 1, { keys: ['k'] })])).toBe(1);
      expect((await db.collection(users.name).findByKey('k'))?.id).toBe('u1');
      await users.drop();
      await users.drop();
    });

    it('keeps two collections independent', async () => {
      const v1 = fresh();
      const v2 = fresh();
      await v1.write([viewDoc('u1', 1, { keys: ['k'], body: { v: 1 } })]);
      await v2.write([viewDoc('u1', 1, { keys: ['k'], body: { v: 2 } }), viewDoc('u2', 2, { keys: ['k2'] })]);
      expect((await v1.get('u1'))?.body).toEqual({ v: 1 });
      expect((await v2.findByKey('k'))?.body).toEqual({ v: 2 });
      expect(await v1.findByKey('k2')).toBeNull();
      expect(await v1.count()).toBe(1);
      await v2.drop();
      expect((await v1.findByKey('k'))?.body).toEqual({ v: 1 });
    });

    it('sees what an earlier connection wrote after reopening', async () => {
      const users = fresh();
      const name = checkpointName();
      await users.write([viewDoc('u1', 1, { keys: ['k'] })], { name, position: 1 });
      const other = await open();
      try {
        expect((await other.collection(users.name).findByKey('k'))?.id).toBe('u1');
        expect(await other.getCheckpoint(name)).toBe(1);
      } finally {
        await other.close();
      }
    });

    it('finds every one of 5,000 documents written in batches by key', async () => {
      const users = fresh();
      const total = 5000;
      const batchSize = 500;
      for (let start = 0; start < total; start += batchSize) {
        const batch = Array.from({ length: batchSize }, (_, i) => {
          const n = start + i;
          return viewDoc(`user-${n}`, n + 1, { tenantId: `t${n % 3}`, keys: [`email:t${n % 3}:user${n}@x.io`, `username:t${n % 3}:user${n}`] });
        });
        expect(await users.write(batch, { name: 'bulk', position: start + batchSize })).toBe(batchSize);
      }
      expect(await users.count()).toBe(total);
      for (let n = 0; n < total; n++) {
        const found = await users.findByKey(`email:t${n % 3}:user${n}@x.io`);
        if (found?.id !== `user-${n}`) expect.fail(`user-${n} not found by key, got ${found?.id}`);
      }
      expect((await users.findByKey(`username:t1:user4000`))?.position).toBe(4001);
    });
  });
}
