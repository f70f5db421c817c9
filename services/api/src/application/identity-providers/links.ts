/**
 * Identity provider links, read and written straight on their streams (strongly consistent without a
 * view): `idplink-<userId>` lists a user's links, `idpidentity-<digest>` names the one user holding an
 * external identity. Linking appends to both in one atomic multi-stream append with expected
 * revisions, so two concurrent logins can never link one external identity to two users.
 */
import { randomUUID } from 'node:crypto';
import {
  claimConflict,
  fold,
  identityClaimStream,
  identityOwner,
  identityProviderLinkDecider,
  identityProviderLinkStream,
  publicLink,
  type IdentityProviderLinkCommand,
  type IdentityProviderLinkEvent,
  type IdentityProviderLinkRecord,
} from '@idstream/domain';
import { WrongExpectedRevisionError, type AppendRequest, type EventMetadata } from '@idstream/eventstore';
import type { AppContext } from '../context.js';

export const LINK_TOKEN_PURPOSE = 'idp-link-token';

export async function linksOfUser(ctx: AppContext, userId: string): Promise<IdentityProviderLinkRecord[]> {
  const events = await ctx.eventStore.readStream(identityProviderLinkStream(userId));
  return fold(identityProviderLinkDecider, events.map((e) => ({ type: e.type, data: e.data }) as IdentityProviderLinkEvent)).links;
}

/** The user an external identity is linked to in a tenant, if any. */
export async function linkedUserId(ctx: AppContext, tenantId: string, identityProviderId: string, identityProviderUserId: string): Promise<string | undefined> {
  const events = await ctx.eventStore.readStream(identityClaimStream(tenantId, identityProviderId, identityProviderUserId));
  return liveOwner(ctx, identityOwner(events));
}

/**
 * The claim's owner, unless that user no longer exists: a hard delete erases the user but leaves the
 * claim stream naming them, and the identity must then be free to link again. (The claim is still
 * rewritten with its expected revision, so two concurrent re-links cannot both win.) A deactivated
 * user still exists and keeps the identity.
 */
async function liveOwner(ctx: AppContext, owner: string | undefined): Promise<string | undefined> {
  if (!owner) return undefined;
  return (await ctx.readModels.users.get(owner)) ? owner : undefined;
}

/** Links a user to an external identity; a no-op when this exact link exists. Returns the log position. */
export async function link(ctx: AppContext, record: IdentityProviderLinkRecord, maximumLinks: number | undefined, metadata?: EventMetadata): Promise<number> {
  return write(ctx, record.userId, record.tenantId, record.identityProviderId, record.identityProviderUserId, { type: 'Link', link: record, ...(maximumLinks !== undefined && { maximumLinks }) }, metadata);
}

export async function unlink(ctx: AppContext, userId: string, tenantId: string, identityProviderId: string, identityProviderUserId: string, metadata?: EventMetadata): Promise<number> {
  return write(ctx, userId, tenantId, identityProviderId, identityProviderUserId, { type: 'Unlink', identityProviderId, identityProviderUserId }, metadata);
}

/** Records a login through the link (lastLoginInstant, a fresh provider token). */
export async function refreshLink(ctx: AppContext, userId: string, tenantId: string, identityProviderId: string, identityProviderUserId: string, instant: number, sealedToken?: string): Promise<void> {
  await write(ctx, userId, tenantId, identityProviderId, identityProviderUserId, { type: 'Refresh', identityProviderId, identityProviderUserId, instant, ...(sealedToken && { sealedToken }) });
}

async function write(
  ctx: AppContext,
  userId: string,
  tenantId: string,
  identityProviderId: string,
  identityProviderUserId: string,
  command: IdentityProviderLinkCommand,
  metadata?: EventMetadata,
): Promise<number> {
  const linkStream = identityProviderLinkStream(userId);
  const claimStream = identityClaimStream(tenantId, identityProviderId, identityProviderUserId);
  for (let attempt = 0; ; attempt++) {
    // 1. Read both streams.
    const [linkEvents, claimEvents] = await Promise.all([ctx.eventStore.readStream(linkStream), ctx.eventStore.readStream(claimStream)]);
    const state = fold(identityProviderLinkDecider, linkEvents.map((e) => ({ type: e.type, data: e.data }) as IdentityProviderLinkEvent));
    const owner = await liveOwner(ctx, identityOwner(claimEvents));
    if (command.type === 'Link' && owner && owner !== userId) throw claimConflict();
    // 2. Decide.
    const events = identityProviderLinkDecider.decide(command, state);
    if (events.length === 0) return 0;
    // 3. Append the link change and the claim change together.
    const requests: AppendRequest[] = [
      { streamName: linkStream, expectedRevision: linkEvents.at(-1)?.revision ?? 'no_stream', events: events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data, ...(metadata && { metadata }) })) },
    ];
    const claimType = command.type === 'Link' ? 'IdentityProviderIdentityClaimed' : command.type === 'Unlink' ? 'IdentityProviderIdentityReleased' : undefined;
    if (claimType && !(claimType === 'IdentityProviderIdentityClaimed' && owner === userId)) {
      requests.push({ streamName: claimStream, expectedRevision: claimEvents.at(-1)?.revision ?? 'no_stream', events: [{ id: randomUUID(), type: claimType, data: { userId, tenantId } }] });
    }
    try {
      const result = await ctx.eventStore.appendMultiple(requests);
      return result.position;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError) || attempt >= 5) throw error;
    }
  }
}

/** A link as the Link API returns it; the provider token opened for API-key callers only. */
export function presentLink(ctx: AppContext, record: IdentityProviderLinkRecord): Record<string, unknown> {
  const token = record.sealedToken ? ctx.secrets.open(LINK_TOKEN_PURPOSE, record.sealedToken) : undefined;
  return { ...publicLink(record), ...(token && { token }) };
}
