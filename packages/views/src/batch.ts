import type { Checkpoint, ViewDocument } from './port.js';

const COLLECTION_NAME = /^[a-z0-9][a-z0-9_]{0,63}$/;

/** Collection names become SQL identifiers and Mongo collection names, so only a safe alphabet passes. */
export function assertCollectionName(name: string): void {
  if (!COLLECTION_NAME.test(name)) {
    throw new TypeError(`invalid view collection name ${JSON.stringify(name)}: expected [a-z0-9][a-z0-9_]*, at most 64 characters`);
  }
}

function assertPosition(position: unknown, what: string): asserts position is number {
  if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 0) {
    throw new TypeError(`${what}: position must be a non-negative safe integer, got ${String(position)}`);
  }
}

export function assertCheckpoint(checkpoint: Checkpoint): void {
  if (typeof checkpoint.name !== 'string' || checkpoint.name === '') {
    throw new TypeError('checkpoint name must be a non-empty string');
  }
  assertPosition(checkpoint.position, `checkpoint ${checkpoint.name}`);
}

export function assertDocument(doc: ViewDocument<unknown>): void {
  if (typeof doc.id !== 'string' || doc.id === '') throw new TypeError('view document id must be a non-empty string');
  const what = `view document ${doc.id}`;
  if (typeof doc.tenantId !== 'string') throw new TypeError(`${what}: tenantId must be a string`);
  assertPosition(doc.position, what);
  if (typeof doc.deleted !== 'boolean') throw new TypeError(`${what}: deleted must be a boolean`);
  if (doc.deleted) return;
  if (!Array.isArray(doc.keys) || doc.keys.some((k) => typeof k !== 'string' || k === '')) {
    throw new TypeError(`${what}: keys must be an array of non-empty strings`);
  }
  if (typeof doc.body !== 'object' || doc.body === null || Array.isArray(doc.body)) {
    throw new TypeError(`${what}: body must be an object`);
  }
}

/**
 * Validates a batch and reduces it to what a sequential writer would end with: one version per id
 * (the highest position), in position order, tombstones emptied and keys deduplicated.
 */
export function prepareBatch<Body>(documents: ViewDocument<Body>[]): ViewDocument<Body>[] {
  const latest = new Map<string, ViewDocument<Body>>();
  for (const doc of documents) {
    assertDocument(doc);
    const seen = latest.get(doc.id);
    if (!seen || doc.position >= seen.position) latest.set(doc.id, doc);
  }
  const batch = [...latest.values()].map((doc) =>
    doc.deleted
      ? { id: doc.id, tenantId: doc.tenantId, position: doc.position, deleted: true, keys: [], body: {} as Body }
      : { ...doc, keys: [...new Set(doc.keys)] },
  );
  return batch.sort((a, b) => a.position - b.position);
}

/**
 * For writers that cannot apply a batch in order (Mongo's unordered bulk write): a key claimed by
 * several documents of the batch stays only with the highest position, as a sequential writer would leave it.
 */
export function resolveKeyClaims<Body>(sortedBatch: ViewDocument<Body>[]): ViewDocument<Body>[] {
  const owner = new Map<string, ViewDocument<Body>>();
  for (const doc of sortedBatch) for (const key of doc.keys) owner.set(key, doc);
  return sortedBatch.map((doc) => {
    const keys = doc.keys.filter((key) => owner.get(key) === doc);
    return keys.length === doc.keys.length ? doc : { ...doc, keys };
  });
}

/** Orders fetched documents like the requested ids, leaving out ids that were not found. */
export function inRequestedOrder<T extends { id: string }>(ids: string[], found: T[]): T[] {
  const byId = new Map(found.map((doc) => [doc.id, doc]));
  const ordered: T[] = [];
  for (const id of ids) {
    const doc = byId.get(id);
    if (doc) ordered.push(doc);
  }
  return ordered;
}
