/**
 * Identity provider links: which external identity (provider + the user's id there) logs in as which
 * user. Two aggregates keep the rules atomic without a read model:
 * - `idplink-<userId>`: the user's links (count limits, unlink);
 * - `idpidentity-<digest>`: the owner of one external identity, so two users can never hold it.
 * A link or unlink appends to both streams in one multi-stream append with expected revisions.
 */
import { createHash } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { assertNever, type Decider, type DomainEvent } from '../decider.js';
import { entityStream } from '../streams.js';

export interface IdentityProviderLinkRecord {
  identityProviderId: string;
  identityProviderUserId: string;
  identityProviderName?: string;
  identityProviderType?: string;
  userId: string;
  tenantId: string;
  displayName?: string;
  insertInstant: number;
  lastLoginInstant?: number;
  /** Sealed (encrypted) provider token, e.g. Facebook's long-lived access token; never plaintext. */
  sealedToken?: string;
  data?: Record<string, unknown>;
}

export type IdentityProviderLinked = DomainEvent<'IdentityProviderLinked', { link: IdentityProviderLinkRecord; userId: string; tenantId: string }>;
export type IdentityProviderLinkRefreshed = DomainEvent<
  'IdentityProviderLinkRefreshed',
  { userId: string; tenantId: string; identityProviderId: string; identityProviderUserId: string; instant: number; sealedToken?: string }
>;
export type IdentityProviderUnlinked = DomainEvent<
  'IdentityProviderUnlinked',
  { userId: string; tenantId: string; identityProviderId: string; identityProviderUserId: string; link: IdentityProviderLinkRecord }
>;
export type IdentityProviderLinkEvent = IdentityProviderLinked | IdentityProviderLinkRefreshed | IdentityProviderUnlinked;

export type IdentityProviderLinkCommand =
  | { type: 'Link'; link: IdentityProviderLinkRecord; maximumLinks?: number }
  | { type: 'Refresh'; identityProviderId: string; identityProviderUserId: string; instant: number; sealedToken?: string }
  | { type: 'Unlink'; identityProviderId: string; identityProviderUserId: string };

export interface IdentityProviderLinkState {
  links: IdentityProviderLinkRecord[];
}

const sameIdentity = (link: IdentityProviderLinkRecord, idpId: string, idpUserId: string) =>
  link.identityProviderId === idpId && link.identityProviderUserId === idpUserId;

export const identityProviderLinkDecider: Decider<IdentityProviderLinkCommand, IdentityProviderLinkEvent, IdentityProviderLinkState> = {
  initialState: () => ({ links: [] }),
  decide(command, state) {
    switch (command.type) {
      case 'Link': {
        const { link } = command;
        if (state.links.some((l) => sameIdentity(l, link.identityProviderId, link.identityProviderUserId))) return [];
        const count = state.links.filter((l) => l.identityProviderId === link.identityProviderId).length;
        if (command.maximumLinks !== undefined && count >= command.maximumLinks) {
          throw ValidationError.general('[UserLinkLimitExceeded]', `The user may link at most ${command.maximumLinks} accounts of this identity provider.`);
        }
        return [{ type: 'IdentityProviderLinked', data: { link, userId: link.userId, tenantId: link.tenantId } }];
      }
      case 'Refresh': {
        const existing = state.links.find((l) => sameIdentity(l, command.identityProviderId, command.identityProviderUserId));
        if (!existing) throw new NotFoundError('link');
        return [
          {
            type: 'IdentityProviderLinkRefreshed',
            data: {
              userId: existing.userId,
              tenantId: existing.tenantId,
              identityProviderId: command.identityProviderId,
              identityProviderUserId: command.identityProviderUserId,
              instant: command.instant,
              ...(command.sealedToken && { sealedToken: command.sealedToken }),
            },
          },
        ];
      }
      case 'Unlink': {
        const existing = state.links.find((l) => sameIdentity(l, command.identityProviderId, command.identityProviderUserId));
        if (!existing) throw new NotFoundError('link');
        return [
          {
            type: 'IdentityProviderUnlinked',
            data: {
              userId: existing.userId,
              tenantId: existing.tenantId,
              identityProviderId: existing.identityProviderId,
              identityProviderUserId: existing.identityProviderUserId,
              link: existing,
            },
          },
        ];
      }
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'IdentityProviderLinked':
        return { links: [...state.links, event.data.link] };
      case 'IdentityProviderLinkRefreshed':
        return {
          links: state.links.map((l) =>
            sameIdentity(l, event.data.identityProviderId, event.data.identityProviderUserId)
              ? { ...l, lastLoginInstant: event.data.instant, ...(event.data.sealedToken && { sealedToken: event.data.sealedToken }) }
              : l,
          ),
        };
      case 'IdentityProviderUnlinked':
        return { links: state.links.filter((l) => !sameIdentity(l, event.data.identityProviderId, event.data.identityProviderUserId)) };
      default:
        return state;
    }
  },
};

/** Owner of one external identity. */
export type IdentityClaimEvent =
  | DomainEvent<'IdentityProviderIdentityClaimed', { userId: string; tenantId: string }>
  | DomainEvent<'IdentityProviderIdentityReleased', { userId: string; tenantId: string }>;

export function identityOwner(events: { type: string; data: unknown }[]): string | undefined {
  const last = events[events.length - 1];
  return last?.type === 'IdentityProviderIdentityClaimed' ? (last.data as { userId: string }).userId : undefined;
}

export function claimConflict(): ConflictError {
  return new ConflictError('This identity provider account is already linked to another user.');
}

/**
 * A UUID-shaped id derived from a SHA-256 of the parts, for streams named after external values
 * (a provider's user id, a SAML assertion id) without putting those values in the name.
 */
export function digestId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export const identityProviderLinkStream = (userId: string): string => entityStream('idplink', userId);
export const identityClaimStream = (tenantId: string, identityProviderId: string, identityProviderUserId: string): string =>
  entityStream('idpidentity', digestId(tenantId, identityProviderId, identityProviderUserId));

/** A link as FusionAuth's events show it; the sealed provider token never leaves the store. */
export function publicLink({ sealedToken: _token, ...link }: IdentityProviderLinkRecord): Record<string, unknown> {
  return { ...link, data: link.data ?? {} };
}
