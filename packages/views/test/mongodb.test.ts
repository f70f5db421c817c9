import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWithServer } from '@idstream/testkit';
import { openMongoViewDatabase } from '../src/index.js';
import { viewDatabaseContract, viewDoc } from './contract.js';

describeWithServer('MongoDB view store contract', 'MONGODB_URL', (url) => {
  const dbName = `idstream_views_test_${randomUUID().replaceAll('-', '')}`;

  viewDatabaseContract('MongoDB view store', () => openMongoViewDatabase({ url, dbName }));

  describe('MongoDB view store specifics', () => {
    it('stores one Mongo document per view document with its keys inline', async () => {
      const views = await openMongoViewDatabase({ url, dbName });
      const client = new MongoClient(url);
      try {
        await views.collection('layout_check').write([viewDoc('u1', 3, { keys: ['k1', 'k2'], body: { a: 1 } })]);
        const raw = await client.db(dbName).collection('layout_check').findOne({ _id: 'u1' as never });
        expect(raw).toEqual({ _id: 'u1', tenantId: 't1', position: 3, deleted: false, keys: ['k1', 'k2'], body: { a: 1 } });
        const indexes = await client.db(dbName).collection('layout_check').listIndexes().toArray();
        expect(indexes.find((i) => i.name === 'keys')?.unique).toBeUndefined();
      } finally {
        await client.close();
        await views.close();
      }
    });

    it('applies concurrent batches for the same new ids without losing the newer version', async () => {
      const views = await openMongoViewDatabase({ url, dbName });
      try {
        const users = views.collection('race_check');
        const older = Array.from({ length: 200 }, (_, i) => viewDoc(`u${i}`, 1, { body: { v: 'old' } }));
        const newer = Array.from({ length: 200 }, (_, i) => viewDoc(`u${i}`, 2, { body: { v: 'new' } }));
        await Promise.all([users.write(older), users.write(newer)]);
        const all = await users.list();
        expect(all).toHaveLength(200);
        expect(all.every((d) => d.position === 2 && d.body.v === 'new')).toBe(true);
      } finally {
        await views.close();
      }
    });
  });

  afterAll(async () => {
    const client = new MongoClient(url);
    try {
      await client.db(dbName).dropDatabase();
    } finally {
      await client.close();
    }
  });
});
