import type { IdstreamConfig } from '@idstream/config';
import type { EventStore } from '@idstream/eventstore';
import type { JobQueue } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import type { PositionWaiter } from '@idstream/projection-runner';
import type { ReadModels } from '@idstream/projector';
import type { SecretBox, SigningKeys } from '@idstream/platform';

/** Everything a use case may touch; built once by the composition root. */
export interface AppContext {
  config: IdstreamConfig;
  logger: Logger;
  eventStore: EventStore;
  readModels: ReadModels;
  /** Read-your-writes: wait until a projection has applied a position. */
  waiters: { users: PositionWaiter; config: PositionWaiter; search: PositionWaiter };
  signingKeys: SigningKeys;
  secrets: SecretBox;
  now(): number;
  /** Rebuilds the user search index from the event log (only where the projector runs). */
  rebuildSearch?(): Promise<unknown>;
  /** The job queue (webhook redelivery puts jobs back). */
  jobs?: JobQueue;
}
