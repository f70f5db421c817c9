/**
 * The view store port: documents projected from events, written idempotently.
 *
 * Every document carries the global position of the last event applied to it; a write whose
 * position is not greater than the stored one changes nothing, so replaying events is harmless.
 * Lookups go by id or by a secondary key (e.g. `email:<tenantId>:<lower-cased email>`); keys let
 * one generic store serve every lookup the API needs without a column per field.
 */

export interface ViewDocument<Body = Record<string, unknown>> {
  id: string;
  tenantId: string;
  /** Global event position this document reflects. */
  position: number;
  /**
   * A deleted document stays as a tombstone holding its position, so that an older event replayed
   * after the delete cannot resurrect it. Tombstones are invisible to `get`, `findByKey`, `list`, `count`.
   * Their body and keys are emptied by the writer: no personal data survives a delete.
   */
  deleted: boolean;
  /** Unique secondary keys; a key held by another live document is taken over (last write wins). */
  keys: string[];
  body: Body;
}

export interface Checkpoint {
  name: string;
  position: number;
}

export interface ListOptions {
  tenantId?: string;
  offset?: number;
  limit?: number;
}

export interface ViewCollection<Body = Record<string, unknown>> {
  readonly name: string;
  get(id: string): Promise<ViewDocument<Body> | null>;
  /** Many ids at once; missing and deleted ids are left out; order follows `ids`. */
  getMany(ids: string[]): Promise<ViewDocument<Body>[]>;
  findByKey(key: string): Promise<ViewDocument<Body> | null>;
  list(options?: ListOptions): Promise<ViewDocument<Body>[]>;
  count(options?: { tenantId?: string }): Promise<number>;
  /**
   * Writes documents whose position is greater than the stored one (others are skipped), and, in
   * the same atomic write where the store allows it, advances the checkpoint. Returns how many
   * documents were written.
   */
  write(documents: ViewDocument<Body>[], checkpoint?: Checkpoint): Promise<number>;
  /** Includes tombstones; used by rebuild comparisons. */
  getIncludingDeleted(id: string): Promise<ViewDocument<Body> | null>;
  drop(): Promise<void>;
}

export interface ViewDatabase {
  readonly kind: 'sqlite' | 'mongodb';
  /** A named collection (e.g. `users_v1`); created on first use. */
  collection<Body = Record<string, unknown>>(name: string): ViewCollection<Body>;
  getCheckpoint(name: string): Promise<number | undefined>;
  setCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** Which versioned collection an alias (e.g. `users`) points to. */
  getAlias(alias: string): Promise<string | undefined>;
  setAlias(alias: string, collectionName: string): Promise<void>;
  close(): Promise<void>;
}
