/**
 * The shared tail of every identity provider login: find the user through an existing link, else
 * apply the provider's linking strategy (or `noLink`), create the user and the registration where
 * configured, record the link, then finish through `completeLogin` like every other login.
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '@idstream/commands';
import { randomToken, sha256Base64url } from '@idstream/crypto';
import {
  ConflictError,
  pendingLinkStream,
  uniqueValuesOf,
  userDecider,
  userStream,
  type ConfigDocument,
  type PendingLinkRecord,
  type UserRecord,
} from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import type { UserView } from '@idstream/projection-user-views';
import type { AppContext } from '../context.js';
import { completeLogin, type LoginOutcome, type LoginRequest } from '../login.js';
import { findUser } from '../users.js';
import type { IdentityProviderDocument } from './definitions.js';
import { link, linkedUserId, refreshLink } from './links.js';

/** Who the provider says the user is, already mapped to FusionAuth's user fields. */
export interface ExternalIdentity {
  identityProviderUserId: string;
  email?: string;
  username?: string;
  displayName?: string;
  /** Profile fields for a user created by this login (firstName, imageUrl…). */
  profile: Record<string, unknown>;
  /** The provider's token, already sealed, to keep on the link. */
  sealedToken?: string;
}

export type IdentityProviderLoginOutcome = LoginOutcome | { status: 232; pendingIdPLinkId: string } | { status: 401; code: string; message: string };

export interface ReconcileInput {
  idp: IdentityProviderDocument;
  application: ConfigDocument;
  identity: ExternalIdentity;
  noLink: boolean;
  login: LoginRequest;
  authenticationType: 'SAMLv2' | 'FACEBOOK';
  metadata?: EventMetadata;
}

const PENDING_LINK_TTL_SECONDS = 3600;

export async function reconcileAndLogin(ctx: AppContext, input: ReconcileInput): Promise<IdentityProviderLoginOutcome> {
  const { idp, identity, login } = input;
  const tenant = login.tenant;

  // 1. An existing link decides the user (a link to a user since deleted counts as none).
  const ownerId = await linkedUserId(ctx, tenant.id, idp.id, identity.identityProviderUserId);
  let view = ownerId ? await findUser(ctx, { id: ownerId }, tenant.id) : undefined;
  let linked = Boolean(view);

  // 2. Else the linking strategy.
  if (!view) {
    if (input.noLink) return { status: 404 };
    const resolution = await resolveByStrategy(ctx, input);
    if ('status' in resolution) return resolution;
    view = resolution.view;
  }

  // 3. The link (new, or refreshed with this login's instant and token).
  if (!linked) {
    const limit = idp.tenantConfiguration?.[tenant.id]?.limitUserLinkCount;
    try {
      await link(
        ctx,
        {
          identityProviderId: idp.id,
          identityProviderUserId: identity.identityProviderUserId,
          identityProviderName: idp.name,
          identityProviderType: idp.type,
          userId: view.id,
          tenantId: tenant.id,
          ...(identity.displayName && { displayName: identity.displayName }),
          insertInstant: ctx.now(),
          lastLoginInstant: ctx.now(),
          ...(identity.sealedToken && { sealedToken: identity.sealedToken }),
        },
        limit?.enabled ? limit.maximumLinks ?? 42 : undefined,
        input.metadata,
      );
    } catch (error) {
      if (error instanceof ConflictError) return { status: 401, code: '[IdentityProviderLinkConflict]', message: error.message };
      throw error;
    }
    linked = true;
  } else {
    await refreshLink(ctx, view.id, tenant.id, idp.id, identity.identityProviderUserId, ctx.now(), identity.sealedToken);
  }

  // 4. The registration, when this application's configuration asks for it.
  const createRegistration = idp.applicationConfiguration?.[input.application.id]?.createRegistration !== false;
  if (createRegistration && !view.body.user.registrations?.some((r) => r.applicationId === input.application.id)) {
    view = await register(ctx, view, input.application, input.metadata);
  }

  // 5. The shared login path: state checks, login record, tokens.
  return completeLogin(ctx, view, login, input.authenticationType);
}

async function resolveByStrategy(ctx: AppContext, input: ReconcileInput): Promise<{ view: UserView } | IdentityProviderLoginOutcome> {
  const { idp, identity, login } = input;
  const tenant = login.tenant;
  switch (idp.linkingStrategy) {
    case 'Disabled':
      return { status: 404 };
    case 'CreatePendingLink':
      return { status: 232, pendingIdPLinkId: await createPendingLink(ctx, idp, tenant.id, identity) };
    case 'LinkAnonymously':
      return { view: await createFederatedUser(ctx, tenant, input.application, { ...identity.profile }, input.metadata) };
    case 'LinkByEmail':
    case 'LinkByEmailForExistingUser': {
      if (!identity.email) return { status: 401, code: '[IdentityProviderNoEmail]', message: `The ${idp.type} identity provider returned no email address for this user.` };
      const found = await findUser(ctx, { email: identity.email }, tenant.id);
      if (found) return { view: found };
      if (idp.linkingStrategy === 'LinkByEmailForExistingUser') return { status: 404 };
      return { view: await createFederatedUser(ctx, tenant, input.application, { ...identity.profile, email: identity.email }, input.metadata) };
    }
    case 'LinkByUsername':
    case 'LinkByUsernameForExistingUser': {
      if (!identity.username) return { status: 401, code: '[IdentityProviderNoUsername]', message: `The ${idp.type} identity provider returned no username for this user.` };
      const found = await findUser(ctx, { username: identity.username }, tenant.id);
      if (found) return { view: found };
      if (idp.linkingStrategy === 'LinkByUsernameForExistingUser') return { status: 404 };
      return { view: await createFederatedUser(ctx, tenant, input.application, { ...identity.profile, username: identity.username }, input.metadata) };
    }
  }
}

/**
 * A user created by an identity provider login: no password (the provider proves who they are) and
 * the email trusted as verified. `createUser` requires a password or a setup email, neither of which
 * fits, so the CreateUser command goes through the command handler directly (same decider, same
 * reservations).
 */
async function createFederatedUser(ctx: AppContext, tenant: ConfigDocument, application: ConfigDocument, profile: Record<string, unknown>, metadata?: EventMetadata): Promise<UserView> {
  const now = ctx.now();
  const id = randomUUID();
  const email = typeof profile.email === 'string' ? profile.email.trim().toLowerCase() : undefined;
  const user: UserRecord = {
    ...profile,
    id,
    tenantId: tenant.id,
    ...(email && { email }),
    ...(typeof profile.username === 'string' && { usernameStatus: 'ACTIVE' as const }),
    active: true,
    verified: true,
    insertInstant: now,
    lastUpdateInstant: now,
    passwordChangeRequired: false,
    registrations: [],
  };
  try {
    const result = await handleCommand(ctx.eventStore, userStream(id), id, userDecider, { type: 'CreateUser', user, applicationId: application.id }, {
      uniqueValues: uniqueValuesOf,
      tenantId: tenant.id,
      ...(metadata && { metadata }),
    });
    await ctx.waiters.users.waitFor(result.position);
  } catch (error) {
    // A concurrent login created the same user first: use it.
    const existing = email ? await findUser(ctx, { email }, tenant.id) : typeof profile.username === 'string' ? await findUser(ctx, { username: profile.username }, tenant.id) : undefined;
    if (existing) return existing;
    throw error;
  }
  return (await findUser(ctx, { id }, tenant.id))!;
}

async function register(ctx: AppContext, view: UserView, application: ConfigDocument, metadata?: EventMetadata): Promise<UserView> {
  const roles = ((application.roles as { name: string; isDefault?: boolean }[] | undefined) ?? []).filter((r) => r.isDefault).map((r) => r.name);
  const result = await handleCommand(
    ctx.eventStore,
    userStream(view.id),
    view.id,
    userDecider,
    { type: 'CreateRegistration', registration: { id: randomUUID(), applicationId: application.id, roles, verified: true, insertInstant: ctx.now() } } as never,
    { uniqueValues: uniqueValuesOf, tenantId: view.tenantId, ...(metadata && { metadata }) },
  );
  await ctx.waiters.users.waitFor(result.position);
  return (await findUser(ctx, { id: view.id }, view.tenantId)) ?? view;
}

async function createPendingLink(ctx: AppContext, idp: IdentityProviderDocument, tenantId: string, identity: ExternalIdentity): Promise<string> {
  const pendingId = randomToken(32);
  const configured = (await ctx.readModels.config.Tenant.get(tenantId))?.body.externalIdentifierConfiguration as { pendingAccountLinkTimeToLiveInSeconds?: number } | undefined;
  const pending: PendingLinkRecord = {
    identityProviderId: idp.id,
    identityProviderName: idp.name,
    identityProviderType: idp.type,
    identityProviderUserId: identity.identityProviderUserId,
    tenantId,
    ...(identity.displayName && { displayName: identity.displayName }),
    ...(identity.email && { email: identity.email }),
    ...(identity.username && { username: identity.username }),
    ...(identity.sealedToken && { sealedToken: identity.sealedToken }),
    expiresAt: ctx.now() + (configured?.pendingAccountLinkTimeToLiveInSeconds ?? PENDING_LINK_TTL_SECONDS) * 1000,
  };
  await ctx.eventStore.append(pendingLinkStream(sha256Base64url(pendingId)), [{ id: randomUUID(), type: 'PendingIdentityProviderLinkCreated', data: { pending } }], 'no_stream');
  return pendingId;
}

/** Consumes a pending link (one conditional append); undefined when unknown, used or expired. */
export async function consumePendingLink(ctx: AppContext, pendingId: string, userId: string): Promise<PendingLinkRecord | undefined> {
  const stream = pendingLinkStream(sha256Base64url(pendingId));
  const events = await ctx.eventStore.readStream(stream);
  if (events.length !== 1 || events[0]!.type !== 'PendingIdentityProviderLinkCreated') return undefined;
  const { pending } = events[0]!.data as { pending: PendingLinkRecord };
  if (pending.expiresAt <= ctx.now()) return undefined;
  try {
    await ctx.eventStore.append(stream, [{ id: randomUUID(), type: 'PendingIdentityProviderLinkConsumed', data: { userId, instant: ctx.now() } }], events[0]!.revision);
  } catch {
    return undefined;
  }
  return pending;
}

