import type { ListOptions, ViewCollection, ViewDocument } from './port.js';

/**
 * A read-through cache for a small collection read on nearly every request (tenants, API keys,
 * applications, keys), valid while the projection's checkpoint stands still.
 *
 * Every batch that changes one of these documents also moves the checkpoint (SQLite in the same
 * transaction; MongoDB right after the documents), and a cached answer is only used when the
 * checkpoint read first is the one it was read under. The checkpoint is read *before* the documents,
 * so a cached answer is never older than the checkpoint it is filed under, and the API answers a
 * write only once the checkpoint has reached it: what a client wrote, it reads back. One indexed
 * row replaces a document read and the parse of a tenant's whole configuration.
 *
 * Answers are deep-frozen: they are shared between requests, and a caller that changed one would
 * change it for every later request.
 */
export function checkpointCached<Body>(collection: ViewCollection<Body>, checkpoint: () => Promise<number | undefined>, maxEntries = 2_000): ViewCollection<Body> {
  const answers = new Map<string, { at: number | undefined; value: unknown }>();
  const cached = async <T>(key: string, read: () => Promise<T>): Promise<T> => {
    const at = await checkpoint();
    const hit = answers.get(key);
    if (hit && hit.at === at) return hit.value as T;
    const value = deepFreeze(await read());
    if (answers.size >= maxEntries) answers.clear();
    answers.set(key, { at, value });
    return value;
  };
  return {
    name: collection.name,
    get: (id) => cached(`get\0${id}`, () => collection.get(id)),
    getMany: (ids) => cached(`getMany\0${ids.join('\0')}`, () => collection.getMany(ids)),
    findByKey: (key) => cached(`key\0${key}`, () => collection.findByKey(key)),
    list: (options?: ListOptions) => cached(`list\0${options?.tenantId ?? ''}\0${options?.offset ?? ''}\0${options?.limit ?? ''}`, () => collection.list(options)),
    count: (options) => cached(`count\0${options?.tenantId ?? ''}`, () => collection.count(options)),
    write: async (documents: ViewDocument<Body>[], at) => {
      const written = await collection.write(documents, at);
      answers.clear();
      return written;
    },
    getIncludingDeleted: (id) => collection.getIncludingDeleted(id),
    drop: async () => {
      await collection.drop();
      answers.clear();
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
