import type { RecordedEvent } from '@idstream/eventstore';
import type { UserView } from '../user-view-types.js';

/**
 * How one event type changes the user view. `null` deletes the view (a tombstone). Each capability
 * contributes its evolvers in its own module; `evolvers/index.ts` merges them.
 */
export type UserViewEvolver = (view: UserView | null, event: RecordedEvent) => UserView | null;
export type UserViewEvolvers = Record<string, UserViewEvolver>;
