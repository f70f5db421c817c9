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
  /**
   * Unique secondary keys; a key held by another document is taken over (last write wins, and
   * within one batch the highest position wins). Duplicates in the list are ignored.
   */
  keys: string[];
  /** Plain JSON data: the SQLite adapter stores it as JSON text, so Dates, Maps or BigInts do not survive. */
  body: Body;
}

/** How far a named consumer (usually a projection target such as `users_v1`) has read the event log. */
export interface Checkpoint {
  name: string;
  position: number;
}

export interface ListOptions {
  /** Only documents of this tenant; all tenants when absent. */
  tenantId?: string;
  offset?: number;
  /** No limit when absent. */
  limit?: number;
}

export interface ViewCollection<Body = Record<string, unknown>> {
  readonly name: string;
  get(id: string): Promise<ViewDocument<Body> | null>;
  /** Many ids at once; missing and deleted ids are left out; order follows `ids`. */
  getMany(ids: string[]): Promise<ViewDocument<Body>[]>;
  findByKey(key: string): Promise<ViewDocument<Body> | null>;
  /**
   * Live documents ordered by id: the same order in every adapter and in a rebuilt collection, so
   * pages and rebuild comparisons line up.
   */
  list(options?: ListOptions): Promise<ViewDocument<Body>[]>;
  count(options?: { tenantId?: string }): Promise<number>;
  /**
   * Writes documents whose position is greater than the stored one (others are skipped), and, in
   * the same atomic write where the store allows it, advances the checkpoint. Returns how many
   * documents were written.
   *
   * When a batch holds several versions of one id, only the highest position is considered. A
   * malformed document (empty id, non-integer position, non-object body...) rejects the whole batch
   * before anything is written. SQLite writes documents and checkpoint in one transaction; MongoDB
   * writes documents, then the checkpoint, which is safe because a replay after a crash in between
   * is skipped by the position guard.
   */
  write(documents: ViewDocument<Body>[], checkpoint?: Checkpoint): Promise<number>;
  /** Includes tombstones (empty body, no keys); used by rebuild comparisons. */
  getIncludingDeleted(id: string): Promise<ViewDocument<Body> | null>;
  /** Removes the collection's documents and keys; it is created again on next use. Checkpoints stay. */
  drop(): Promise<void>;
}

export interface ViewDatabase {
  readonly kind: 'sqlite' | 'mongodb';
  /**
   * A named collection (e.g. `users_v1`); created on first use. Names match `[a-z0-9][a-z0-9_]*`
   * (at most 64 characters) so they are safe as table and collection names; others throw.
   */
  collection<Body = Record<string, unknown>>(name: string): ViewCollection<Body>;
  getCheckpoint(name: string): Promise<number | undefined>;
  /** Sets the position as given, also backwards (e.g. to replay a target from the start). */
  setCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** Which versioned collection an alias (e.g. `users`) points to. */
  getAlias(alias: string): Promise<string | undefined>;
  setAlias(alias: string, collectionName: string): Promise<void>;
  close(): Promise<void>;
}
