/**
 * The user search projection follows the user views: for each batch it waits until the views have
 * applied the batch, then copies the touched users (or their deletion) into the search index, each
 * guarded by the view's position. Search is thereby never ahead of, nor different from, the views,
 * and user evolution lives in one place.
 */
import type { RecordedEvent } from '@idstream/eventstore';
import type { PositionWaiter, ProjectionHandler } from '@idstream/projection-runner';
import type { SearchDocument, SearchIndex } from '@idstream/search';
import type { ViewCollection } from '@idstream/views';
import { userViewProjection, type UserViewBody } from '@idstream/projection-user-views';

export class UserSearchHandler implements ProjectionHandler {
  constructor(
    readonly name: string,
    private readonly index: SearchIndex,
    /** The live user views (a getter: a rebuild may switch the collection). */
    private readonly users: () => ViewCollection<UserViewBody>,
    private readonly viewsReached: PositionWaiter,
    /** The log's head: when given, search waits for the views to reach it before indexing. */
    private readonly logHead?: () => Promise<number>,
  ) {}

  getCheckpoint(): Promise<number | undefined> {
    return this.index.getCheckpoint(this.name);
  }

  ignores(event: RecordedEvent): boolean {
    return userViewProjection.documentId(event) === undefined;
  }

  async applyBatch(events: RecordedEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (!last) return;
    const ids = new Set<string>();
    for (const event of events) {
      const id = userViewProjection.documentId(event);
      if (id !== undefined) ids.add(id);
    }
    if (ids.size > 0) await this.viewsReached.waitFor(last.position, 60_000);
    // Search yields to the user views: reads, logins and every write's answer wait on the views,
    // search is eventually consistent. While the views catch up (an import of thousands of users),
    // indexing on the same thread would only slow them down, so it waits until they reach the head.
    if (ids.size > 0 && this.logHead) await this.viewsReached.waitFor(await this.logHead(), 300_000).catch(() => undefined);
    const upserts: SearchDocument[] = [];
    const deletes: { id: string; position: number }[] = [];
    // One read for the live users of the batch (an import brings thousands); the rest are deletions.
    const live = new Map((await this.users().getMany([...ids])).map((v) => [v.id, v]));
    for (const id of ids) {
      const view = live.get(id) ?? (await this.users().getIncludingDeleted(id));
      if (!view) continue;
      if (view.deleted) deletes.push({ id, position: view.position });
      else upserts.push({ id, tenantId: view.tenantId, position: view.position, user: view.body.user });
    }
    await this.index.apply({ upserts, deletes, checkpoint: { name: this.name, position: last.position } });
  }
}
