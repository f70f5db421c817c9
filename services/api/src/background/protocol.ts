/** Messages between the API thread and the projector thread of an embedded process. */
import type { AppendObservation, JobObservation } from '@idstream/platform';

/** One runner's position: property name on the Projector, checkpoint name, applied position. */
export type RunnerPosition = [key: string, name: string, position: number];

export type ToThread =
  | { kind: 'start'; masterKey: Uint8Array }
  | { kind: 'rebuild-search'; id: number }
  /** The user views' applied position on the API thread, for the search part. */
  | { kind: 'views-position'; position: number }
  | { kind: 'stop' };

export type FromThread =
  | { kind: 'positions'; positions: RunnerPosition[] }
  | { kind: 'started'; queues: string[] }
  /** The search part waits for the user views to reach `position`: report it once they do. */
  | { kind: 'views-needed'; position: number }
  | { kind: 'append'; observation: AppendObservation }
  | { kind: 'job'; observation: JobObservation; queues: string[] }
  | { kind: 'reply'; id: number; value?: unknown; error?: string }
  | { kind: 'failed'; error: string }
  | { kind: 'stopped' };
