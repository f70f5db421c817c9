import { MongoBulkWriteError, MongoClient, type AnyBulkWriteOperation, type Collection, type Db, type Document, type Filter } from 'mongodb';
import { assertCheckpoint, assertCollectionName, inRequestedOrder, prepareBatch, resolveKeyClaims } from './batch.js';
import type { ListOptions, ViewCollection, ViewDatabase, ViewDocument } from './port.js';

export interface MongoViewDatabaseOptions {
  /** Connection string, e.g. `mongodb://localhost:27017`. */
  url: string;
  dbName: string;
}

interface StoredDocument {
  _id: string;
  tenantId: string;
  position: number;
  deleted: boolean;
  keys: string[];
  body: Document;
}

interface StoredCheckpoint {
  _id: string;
  position: number;
}

interface StoredAlias {
  _id: string;
  collection: string;
}

const DUPLICATE_KEY = 11000;

function toDocument<Body>(stored: StoredDocument): ViewDocument<Body> {
  return {
    id: stored._id,
    tenantId: stored.tenantId,
    position: stored.position,
    deleted: stored.deleted,
    keys: stored.keys,
    body: stored.body as Body,
  };
}

/**
 * Opens a MongoDB view store: one Mongo collection per view collection, holding
 * `{ _id, tenantId, position, deleted, keys, body }`. Checkpoints and aliases live in `_checkpoints`
 * and `_aliases`; the leading underscore cannot clash with a view collection name.
 */
export async function openMongoViewDatabase(options: MongoViewDatabaseOptions): Promise<ViewDatabase> {
  const client = new MongoClient(options.url);
  await client.connect();
  const db = client.db(options.dbName);
  const checkpoints = db.collection<StoredCheckpoint>('_checkpoints');
  const aliases = db.collection<StoredAlias>('_aliases');
  const collections = new Map<string, ViewCollection<unknown>>();

  return {
    kind: 'mongodb',
    collection<Body = Record<string, unknown>>(name: string): ViewCollection<Body> {
      assertCollectionName(name);
      let collection = collections.get(name);
      if (!collection) {
        collection = mongoCollection<unknown>(db, name, checkpoints);
        collections.set(name, collection);
      }
      return collection as ViewCollection<Body>;
    },
    async getCheckpoint(name) {
      return (await checkpoints.findOne({ _id: name }))?.position;
    },
    async setCheckpoint(checkpoint) {
      assertCheckpoint(checkpoint);
      await checkpoints.updateOne({ _id: checkpoint.name }, { $set: { position: checkpoint.position } }, { upsert: true });
    },
    async getAlias(alias) {
      return (await aliases.findOne({ _id: alias }))?.collection;
    },
    async setAlias(alias, collectionName) {
      assertCollectionName(collectionName);
      await aliases.updateOne({ _id: alias }, { $set: { collection: collectionName } }, { upsert: true });
    },
    async close() {
      await client.close();
    },
  };
}

function mongoCollection<Body>(db: Db, name: string, checkpoints: Collection<StoredCheckpoint>): ViewCollection<Body> {
  const coll = db.collection<StoredDocument>(name);
  let indexes: Promise<unknown> | undefined;
  // A plain (not unique) multikey index: a unique one would reject the write that takes a key over
  // before the key could be pulled from its previous holder.
  const ready = (): Promise<unknown> => {
    indexes ??= coll
      .createIndexes([
        { key: { keys: 1 }, name: 'keys' },
        { key: { tenantId: 1, deleted: 1, _id: 1 }, name: 'tenant_live' },
      ])
      .catch((error: unknown) => {
        indexes = undefined;
        throw error;
      });
    return indexes;
  };

  /**
   * One unordered bulk of position-guarded upserts. An upsert whose guard fails tries to insert an
   * `_id` that exists and gets E11000: that document is newer (or a concurrent insert won the race).
   * Returns which documents were written and which met a duplicate key.
   */
  const upsertNewer = async (docs: ViewDocument<Body>[]): Promise<{ written: ViewDocument<Body>[]; duplicates: ViewDocument<Body>[] }> => {
    const operations: AnyBulkWriteOperation<StoredDocument>[] = docs.map((doc) => ({
      updateOne: {
        filter: { _id: doc.id, position: { $lt: doc.position } },
        update: {
          $set: { tenantId: doc.tenantId, position: doc.position, deleted: doc.deleted, keys: doc.keys, body: doc.body as Document },
        },
        upsert: true,
      },
    }));
    const failed = new Set<number>();
    try {
      await coll.bulkWrite(operations, { ordered: false });
    } catch (error) {
      if (!(error instanceof MongoBulkWriteError) || error.result.getWriteConcernError()) throw error;
      const writeErrors = error.result.getWriteErrors();
      if (writeErrors.length === 0 || writeErrors.some((w) => w.code !== DUPLICATE_KEY)) throw error;
      for (const w of writeErrors) failed.add(w.index);
    }
    return {
      written: docs.filter((_, i) => !failed.has(i)),
      duplicates: docs.filter((_, i) => failed.has(i)),
    };
  };

  const liveFilter = (tenantId: string | undefined): Filter<StoredDocument> =>
    tenantId === undefined ? { deleted: false } : { tenantId, deleted: false };

  return {
    name,
    async get(id) {
      await ready();
      const stored = await coll.findOne({ _id: id, deleted: false });
      return stored ? toDocument<Body>(stored) : null;
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      await ready();
      const found = await coll.find({ _id: { $in: ids }, deleted: false }).toArray();
      return inRequestedOrder(ids, found.map((stored) => toDocument<Body>(stored)));
    },
    async findByKey(key) {
      await ready();
      // Between a take-over's write and its pull two documents can hold a key; the newer is the answer.
      const stored = await coll.findOne({ keys: key, deleted: false }, { sort: { position: -1 } });
      return stored ? toDocument<Body>(stored) : null;
    },
    async list(options: ListOptions = {}) {
      if (options.limit === 0) return [];
      await ready();
      let cursor = coll.find(liveFilter(options.tenantId)).sort({ _id: 1 });
      if (options.offset) cursor = cursor.skip(options.offset);
      if (options.limit !== undefined) cursor = cursor.limit(options.limit);
      return (await cursor.toArray()).map((stored) => toDocument<Body>(stored));
    },
    async count(options = {}) {
      await ready();
      return coll.countDocuments(liveFilter(options.tenantId));
    },
    /**
     * 1. Upsert every document behind its position guard (unordered bulk).
     * 2. Retry the duplicate-key failures once: a failure caused by a concurrent first insert now
     *    meets an existing document and is decided by the guard; a second failure means "newer stored".
     * 3. Pull the keys the written documents claim from every other document (take-over).
     * 4. Set the checkpoint. Not atomic with 1-3, and need not be: a crash before it replays the
     *    batch, and the position guard turns the replay into no-ops.
     */
    async write(documents, checkpoint) {
      const batch = resolveKeyClaims(prepareBatch(documents));
      if (checkpoint) assertCheckpoint(checkpoint);
      await ready();
      const written: ViewDocument<Body>[] = [];
      let pending = batch;
      for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
        const outcome = await upsertNewer(pending);
        written.push(...outcome.written);
        pending = outcome.duplicates;
      }
      const claimers = written.filter((doc) => doc.keys.length > 0);
      if (claimers.length > 0) {
        const claimed = claimers.flatMap((doc) => doc.keys);
        await coll.updateMany(
          { keys: { $in: claimed }, _id: { $nin: claimers.map((doc) => doc.id) } },
          { $pullAll: { keys: claimed } },
        );
      }
      if (checkpoint) {
        await checkpoints.updateOne({ _id: checkpoint.name }, { $set: { position: checkpoint.position } }, { upsert: true });
      }
      return written.length;
    },
    async getIncludingDeleted(id) {
      await ready();
      const stored = await coll.findOne({ _id: id });
      return stored ? toDocument<Body>(stored) : null;
    },
    async drop() {
      indexes = undefined;
      // The driver ignores NamespaceNotFound here, so dropping a collection that does not exist is fine.
      await coll.drop();
    },
  };
}
