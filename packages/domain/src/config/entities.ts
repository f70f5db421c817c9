/**
 * Configuration entities (tenants, applications, API keys, webhooks, keys) share one life cycle:
 * created, replaced as a whole, deleted. One generic decider serves them all; their documents are
 * FusionAuth's JSON shapes, kept whole so unknown fields survive a round trip.
 */
import { ValidationError, NotFoundError } from '../errors.js';
import { assertNever, type Decider, type DomainEvent } from '../decider.js';
import type { EntityCategory } from '../streams.js';

export const configKinds = {
  Tenant: 'tenant',
  Application: 'application',
  ApiKey: 'apikey',
  Webhook: 'webhook',
  Key: 'key',
  IdentityProvider: 'identityprovider',
  EmailTemplate: 'emailtemplate',
} as const satisfies Record<string, EntityCategory>;

export type ConfigKind = keyof typeof configKinds;

export interface ConfigDocument {
  id: string;
  insertInstant?: number;
  lastUpdateInstant?: number;
  [key: string]: unknown;
}

export type ConfigEvent<K extends ConfigKind = ConfigKind> =
  | DomainEvent<`${K}Created`, { document: ConfigDocument }>
  | DomainEvent<`${K}Updated`, { document: ConfigDocument }>
  | DomainEvent<`${K}Deleted`, { id: string }>;

export type ConfigCommand =
  | { type: 'Create'; document: ConfigDocument }
  | { type: 'Replace'; document: ConfigDocument }
  | { type: 'Delete'; id: string };

export interface ConfigState {
  document?: ConfigDocument;
}

const configEventPattern = /^(Tenant|Application|ApiKey|Webhook|Key|IdentityProvider|EmailTemplate)(Created|Updated|Deleted)$/;

export function parseConfigEventType(type: string): { kind: ConfigKind; change: 'Created' | 'Updated' | 'Deleted' } | undefined {
  const match = configEventPattern.exec(type);
  return match ? { kind: match[1] as ConfigKind, change: match[2] as 'Created' | 'Updated' | 'Deleted' } : undefined;
}

export function configDecider<K extends ConfigKind>(kind: K): Decider<ConfigCommand, ConfigEvent<K>, ConfigState> {
  const label = kind === 'ApiKey' ? 'API key' : kind;
  const idField = `${configKinds[kind]}Id`;
  return {
    initialState: () => ({}),
    decide(command, state) {
      switch (command.type) {
        case 'Create':
          if (state.document) {
            throw ValidationError.field(idField, 'duplicate', `A ${label} with Id [${command.document.id}] already exists.`);
          }
          return [{ type: `${kind}Created`, data: { document: command.document } } as ConfigEvent<K>];
        case 'Replace':
          if (!state.document) throw new NotFoundError(`${label} ${command.document.id} not found`);
          return [{ type: `${kind}Updated`, data: { document: command.document } } as ConfigEvent<K>];
        case 'Delete':
          if (!state.document) throw new NotFoundError(`${label} ${command.id} not found`);
          return [{ type: `${kind}Deleted`, data: { id: command.id } } as ConfigEvent<K>];
        default:
          return assertNever(command);
      }
    },
    evolve(state, event) {
      const parsed = parseConfigEventType(event.type);
      if (!parsed) return state;
      if (parsed.change === 'Deleted') return {};
      return { document: (event.data as { document: ConfigDocument }).document };
    },
  };
}
