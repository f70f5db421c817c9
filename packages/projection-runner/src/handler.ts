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
}
