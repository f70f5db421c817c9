/**
 * Single-use records of identity provider logins, each on its own stream so that consuming one is a
 * single conditional append (expected revision) and two concurrent requests cannot both win:
 * - `samlrequest-<digest>`: an AuthnRequest we issued; its id must come back as `InResponseTo` once;
 * - `samlassertion-<digest>`: an assertion id already used (replay protection);
 * - `idppending-<digest>`: a pending link (CreatePendingLink), found by the SHA-256 of its id.
 * Stream names hold digests only.
 */
import type { DomainEvent } from '../decider.js';
import { entityStream } from '../streams.js';
import { digestId } from './links.js';

export type SamlAuthnRequestIssued = DomainEvent<
  'SamlAuthnRequestIssued',
  { identityProviderId: string; tenantId?: string; applicationId?: string; acsUrl: string; expiresAt: number; instant: number }
>;
export type SamlAuthnRequestConsumed = DomainEvent<'SamlAuthnRequestConsumed', { identityProviderId: string; instant: number }>;
export type SamlAssertionConsumed = DomainEvent<'SamlAssertionConsumed', { identityProviderId: string; instant: number; expiresAt: number }>;

export interface PendingLinkRecord {
  identityProviderId: string;
  identityProviderName: string;
  identityProviderType: string;
  identityProviderUserId: string;
  tenantId: string;
  displayName?: string;
  email?: string;
  username?: string;
  sealedToken?: string;
  expiresAt: number;
}
export type PendingIdentityProviderLinkCreated = DomainEvent<'PendingIdentityProviderLinkCreated', { pending: PendingLinkRecord }>;
export type PendingIdentityProviderLinkConsumed = DomainEvent<'PendingIdentityProviderLinkConsumed', { userId: string; instant: number }>;

export const samlRequestStream = (requestId: string): string => entityStream('samlrequest', digestId('saml-request', requestId));
export const samlAssertionStream = (identityProviderId: string, assertionId: string): string =>
  entityStream('samlassertion', digestId('saml-assertion', identityProviderId, assertionId));
export const pendingLinkStream = (pendingIdHash: string): string => entityStream('idppending', digestId('pending-link', pendingIdHash));
