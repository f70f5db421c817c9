import type { DomainEvent } from '../decider.js';
import type { UserState } from './state.js';

/**
 * One capability's part of the user aggregate: the commands it decides and the events it evolves.
 * The user decider composes every module; a command or event type belongs to exactly one module.
 */
export interface UserModule {
  decide: Record<string, (command: { type: string } & Record<string, unknown>, state: UserState) => DomainEvent[]>;
  evolve: Record<string, (state: UserState, event: DomainEvent) => UserState>;
}
