/**
 * The generic writer for document projections: a projection is `evolve(document | null, event)`;
 * this handler loads the documents a batch touches, folds the batch into them, and writes the changed
 * ones with the checkpoint in one call. Documents older than an event are evolved; documents that
 * already reflect it are left alone, so replays are no-ops.
 */
import type { RecordedEvent } from '@idstream/eventstore';
import type { ViewCollection, ViewDatabase, ViewDocument } from '@idstream/views';
import type { ProjectionHandler } from './handler.js';

export interface DocumentProjection<Body> {
  /** Which document an event touches, or undefined if none. */
  documentId(event: RecordedEvent): string | undefined;
  /** The document after the event; `null` deletes it (a tombstone keeps the position). */
  evolve(document: ViewDocument<Body> | null, event: RecordedEvent): ViewDocument<Body> | null;
}

export interface CollectionTarget<Body> {
  collection: ViewCollection<Body>;
  projection: DocumentProjection<Body>;
}

/** A handler writing one or more collections of one view database under one checkpoint. */
export class ViewProjectionHandler implements ProjectionHandler {
  constructor(
    readonly name: string,
    private readonly db: ViewDatabase,
    private readonly targets: CollectionTarget<any>[],
  ) {}

  getCheckpoint(): Promise<number | undefined> {
    return this.db.getCheckpoint(this.name);
  }

  ignores(event: RecordedEvent): boolean {
    return this.targets.every((target) => target.projection.documentId(event) === undefined);
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const checkpoint = { name: this.name, position: last.position };
    let checkpointWritten = false;
    let anyChanged = false;
    for (const [index, target] of this.targets.entries()) {
      const changed = await foldBatch(target, events);
      anyChanged ||= changed.length > 0;
      // The checkpoint goes with the last collection's write; earlier writes are position-guarded,
      // so a crash between them only replays events that change nothing.
      const isLast = index === this.targets.length - 1;
      if (changed.length > 0 || (isLast && anyChanged)) {
        await target.collection.write(changed, isLast ? checkpoint : undefined);
        checkpointWritten ||= isLast;
      }
    }
    // A batch this projection ignored entirely: the database may write the checkpoint behind
    // (deferCheckpoints), since replaying ignored events changes nothing.
    if (!checkpointWritten) await this.db.setCheckpoint(checkpoint);
  }
}

async function foldBatch<Body>(target: CollectionTarget<Body>, events: RecordedEvent[]): Promise<ViewDocument<Body>[]> {
  const documents = new Map<string, ViewDocument<Body> | null>();
  const changed = new Set<string>();
  for (const event of events) {
    const id = target.projection.documentId(event);
    if (id === undefined) continue;
    if (!documents.has(id)) documents.set(id, await target.collection.getIncludingDeleted(id));
    const current = documents.get(id) ?? null;
    if (current && current.position >= event.position) continue;
    const next = target.projection.evolve(current && !current.deleted ? current : null, event);
    if (next === null) {
      if (!current || current.deleted) continue;
      documents.set(id, { id, tenantId: current.tenantId, position: event.position, deleted: true, keys: [], body: {} as Body });
    } else {
      documents.set(id, { ...next, position: event.position });
    }
    changed.add(id);
  }
  return [...changed].map((id) => documents.get(id)!).filter(Boolean);
}
