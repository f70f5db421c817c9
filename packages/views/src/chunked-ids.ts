/**
 * An owner's ids kept for a hard delete (a user's login record ids, a user's code streams), in
 * bounded documents: the owner's document holds the latest ids (at most IDS_PER_CHUNK, the "open
 * list") and the count of sealed chunks `<ownerId>:<n>` holding the older ones. One document with
 * every id made each new id rewrite and re-parse all the earlier ones — quadratic for a user who
 * logs in, or asks for codes, all day.
 *
 * Each index keeps the body field it was first written with (`recordIds`, `streams`), so documents
 * written before chunking stay valid without a migration: their whole list is the open list (no
 * `sealedChunks`), sealed whole the next time it grows, and erased whole.
 */
import type { ViewCollection, ViewDocument } from './port.js';

export type ChunkedIdsBody<Field extends string> = { [K in Field]: string[] } & {
  /** How many sealed chunks (`<ownerId>:0` …) hold older ids; absent before the first seal. */
  sealedChunks?: number;
  /** The owner was hard-deleted: its ids are gone and any new one is to be erased on sight. */
  erased?: boolean;
};

/** Ids kept in the owner's document before they are sealed into a chunk of their own. */
export const IDS_PER_CHUNK = 64;

export const chunkId = (ownerId: string, n: number): string => `${ownerId}:${n}`;

const sealedChunkIds = (ownerId: string, sealedChunks = 0) => Array.from({ length: sealedChunks }, (_, n) => chunkId(ownerId, n));

/**
 * Every id of an owner, oldest first, for a reader outside a batch (a user's history). A reader of
 * the owner's document alone sees only the open list.
 */
export async function readChunkedIds<Field extends string>(collection: ViewCollection<ChunkedIdsBody<Field>>, field: Field, owner: ViewDocument<ChunkedIdsBody<Field>>): Promise<string[]> {
  const chunks = await collection.getMany(sealedChunkIds(owner.id, owner.body.sealedChunks));
  return [...chunks.flatMap((chunk) => idsOf(chunk.body, field)), ...idsOf(owner.body, field)];
}

/**
 * One batch of an index: owners loaded once and changed in memory, chunks sealed or erased, and the
 * documents to write at the end (in one write with the handler's checkpoint).
 */
export class ChunkedIdsBatch<Field extends string> {
  private readonly owners = new Map<string, ViewDocument<ChunkedIdsBody<Field>>>();
  private readonly changed = new Set<ViewDocument<ChunkedIdsBody<Field>>>();
  /** By id: a chunk sealed then erased in the same batch is written once, as the tombstone. */
  private readonly chunks = new Map<string, ViewDocument<ChunkedIdsBody<Field>>>();
  /** Per owner, the ids appended in this batch: a duplicate is caught even after its chunk was sealed. */
  private readonly appended = new Map<string, Set<string>>();

  constructor(
    private readonly collection: ViewCollection<ChunkedIdsBody<Field>>,
    private readonly field: Field,
    private readonly idsPerChunk = IDS_PER_CHUNK,
  ) {}

  /** The owner's document as this batch has it (an empty open list for an owner not yet stored). */
  async owner(ownerId: string, tenantId: string): Promise<ViewDocument<ChunkedIdsBody<Field>>> {
    let document = this.owners.get(ownerId);
    if (!document) {
      const stored = await this.collection.get(ownerId);
      document = stored ? { ...stored, body: { ...stored.body, ...this.withIds([...idsOf(stored.body, this.field)]) } } : { id: ownerId, tenantId, position: 0, deleted: false, keys: [], body: this.withIds([]) };
      this.owners.set(ownerId, document);
    }
    return document;
  }

  /**
   * Adds `id` to the owner's open list, sealing the list into the owner's next chunk first when it
   * is full. Returns false when nothing changed: the id is already in the open list or was appended
   * earlier in the batch, or the event at `position` is already in the owner's document (a batch
   * replayed after a crash: without this, ids already moved into a sealed chunk would be appended
   * again and sealed into a chunk no owner document counts).
   *
   * An id that sits only in an older sealed chunk is appended again: checking every chunk would
   * cost a read per event, and the duplicate only costs a second (no-op) erasure of the same id.
   * Whether an erased owner's new ids are to be erased on sight is for the caller to check first.
   */
  append(owner: ViewDocument<ChunkedIdsBody<Field>>, id: string, position: number): boolean {
    if (position <= owner.position) return false;
    let appended = this.appended.get(owner.id);
    const open = idsOf(owner.body, this.field);
    if (appended?.has(id) || open.includes(id)) return false;
    if (open.length >= this.idsPerChunk) {
      const n = owner.body.sealedChunks ?? 0;
      this.chunks.set(chunkId(owner.id, n), { id: chunkId(owner.id, n), tenantId: owner.tenantId, position, deleted: false, keys: [], body: this.withIds(open) });
      owner.body = { ...owner.body, ...this.withIds([id]), sealedChunks: n + 1 };
    } else open.push(id);
    if (!appended) this.appended.set(owner.id, (appended = new Set()));
    appended.add(id);
    owner.position = position;
    this.changed.add(owner);
    return true;
  }

  /**
   * Every id of the owner (sealed chunks, including those sealed earlier in this batch, then the
   * open list), to erase. The owner keeps only the `erased` mark, and its chunks become tombstones
   * at `position`: no id of an erased owner is kept.
   */
  async erase(owner: ViewDocument<ChunkedIdsBody<Field>>, position: number): Promise<string[]> {
    const chunkIds = sealedChunkIds(owner.id, owner.body.sealedChunks);
    const stored = await this.collection.getMany(chunkIds.filter((id) => !this.chunks.has(id)));
    const chunks = new Map([...stored, ...this.chunks.values()].map((chunk) => [chunk.id, chunk]));
    const ids = [...chunkIds.flatMap((id) => idsOf(chunks.get(id)?.body, this.field)), ...idsOf(owner.body, this.field)];
    for (const id of chunkIds) this.chunks.set(id, { id, tenantId: owner.tenantId, position, deleted: true, keys: [], body: this.withIds([]) });
    owner.body = { ...this.withIds([]), erased: true };
    owner.position = position;
    this.changed.add(owner);
    return ids;
  }

  /** What the batch changed (sealed chunks, chunk tombstones, owners); empty when nothing did. */
  documents(): ViewDocument<ChunkedIdsBody<Field>>[] {
    return [...this.chunks.values(), ...this.changed];
  }

  private withIds(ids: string[]): ChunkedIdsBody<Field> {
    return { [this.field]: ids } as ChunkedIdsBody<Field>;
  }
}

/** The stored list (an absent field, in a body some other writer left, reads as empty). */
function idsOf<Field extends string>(body: ChunkedIdsBody<Field> | undefined, field: Field): string[] {
  return (body?.[field] as string[] | undefined) ?? [];
}
