import type { RecordedEvent } from '@idstream/eventstore';

/**
 * What a projection runner drives: a read model or a reactor. `applyBatch` receives events in
 * position order and must be idempotent (a replayed event changes nothing); it stores the checkpoint
 * with its writes where the target allows it.
 */
export interface ProjectionHandler {
  /** Checkpoint name; include the target version (e.g. `user-views@users_v1`). */
  readonly name: string;
  getCheckpoint(): Promise<number | undefined>;
  applyBatch(events: RecordedEvent[]): Promise<void>;
  /**
   * True when applying `event` would move the checkpoint and nothing else: no document, no job, no
   * read another component waits on. The runner passes such an event over without a batch when it
   * is idle (most events concern few projections: a login, five of thirteen). Must be pure and cheap.
   */
  ignores?(event: RecordedEvent): boolean;
}
