/**
 * Refresh tokens (FusionAuth's JWT API): exchange for a new access token with sliding or fixed expiry
 * and one-time-use rotation, listing, and revocation by token, id, user or application. The token's
 * own stream is the authority: an exchange is one conditional append on it, so a one-time-use token
 * is spent once even under concurrent exchanges.
 */
import { randomUUID } from 'node:crypto';
import { constantTimeEqual, randomToken } from '@idstream/crypto';
import {
  evolveRefreshToken,
  loginStream,
  NotFoundError,
  refreshTokenHash,
  refreshTokenStream,
  refreshTokenUsable,
  secretsOf,
  type LoginSucceeded,
  type RefreshTokenEvent,
  type RefreshTokenRevoked,
  type RefreshTokenState,
  type RequestInfo,
} from '@idstream/domain';
import { WrongExpectedRevisionError, type EventMetadata } from '@idstream/eventstore';
import { refreshTokenIdKey, refreshTokenKey } from '@idstream/projection-user-views';
import type { AppContext } from './context.js';
import { findUser, presentUser } from './users.js';
import { issueAccessToken, type IssuedToken } from './tokens.js';

/** A refresh token as FusionAuth's API shows it. */
export interface PresentedRefreshToken {
  id: string;
  applicationId: string;
  insertInstant: number;
  startInstant: number;
  userId: string;
  tenantId: string;
  metaData?: RefreshTokenState['metaData'];
  expirationInstant?: number;
}

export function presentRefreshToken(token: RefreshTokenState): PresentedRefreshToken {
  return {
    id: token.tokenId,
    applicationId: token.applicationId,
    insertInstant: token.startInstant,
    startInstant: token.startInstant,
    userId: token.userId,
    tenantId: token.tenantId,
    ...(token.metaData && { metaData: token.metaData }),
    ...(token.expiresAt !== undefined && { expirationInstant: token.expiresAt }),
  };
}

async function readToken(ctx: AppContext, tokenId: string): Promise<{ state: RefreshTokenState | undefined; revision: number }> {
  const events = await ctx.eventStore.readStream(refreshTokenStream(tokenId));
  let state: RefreshTokenState | undefined;
  for (const event of events) state = evolveRefreshToken(state, { type: event.type, data: event.data } as RefreshTokenEvent);
  return { state, revision: events.length ? events[events.length - 1]!.revision : -1 };
}

/** The live token a client presents (by value), or undefined. */
export async function findRefreshToken(ctx: AppContext, token: string): Promise<{ state: RefreshTokenState; revision: number } | undefined> {
  if (token.length === 0 || token.length > 512) return undefined;
  const digest = refreshTokenHash(token);
  const holder = await ctx.readModels.refreshTokens.findByKey(refreshTokenKey(digest));
  const listed = holder && Object.values(holder.body.tokens).find((t) => constantTimeEqual(t.tokenHash, digest));
  if (!listed) return undefined;
  const { state, revision } = await readToken(ctx, listed.tokenId);
  // The stream decides: a rotated (one-time-use) value no longer matches.
  if (!refreshTokenUsable(state, ctx.now()) || !constantTimeEqual(state.tokenHash, digest)) return undefined;
  return { state, revision };
}

export type ExchangeOutcome = { status: 400 } | { status: 200; token: IssuedToken; refreshToken: string; refreshTokenId: string; userId: string };

/**
 * `POST /api/jwt/refresh`: a new access token for a live refresh token of an active, registered user
 * whose password has not changed since. Sliding windows extend; one-time-use tokens rotate. The
 * exchange is a login record too (FusionAuth counts it).
 */
export async function exchangeRefreshToken(ctx: AppContext, input: { refreshToken: string; scopeTenantId?: string; info: RequestInfo; metadata?: EventMetadata }): Promise<ExchangeOutcome> {
  const found = await findRefreshToken(ctx, input.refreshToken);
  if (!found || (input.scopeTenantId && found.state.tenantId !== input.scopeTenantId)) return { status: 400 };
  const { state, revision } = found;
  const [view, tenant, application] = await Promise.all([
    findUser(ctx, { id: state.userId }, state.tenantId),
    ctx.readModels.config.Tenant.get(state.tenantId),
    ctx.readModels.config.Application.get(state.applicationId),
  ]);
  if (!view || !tenant || !application || !view.body.user.active) return { status: 400 };
  const validAfter = secretsOf(view.body).refreshTokensValidAfter;
  if (validAfter !== undefined && state.startInstant < validAfter) return { status: 400 };
  if (!view.body.user.registrations?.some((r) => r.applicationId === state.applicationId)) return { status: 400 };

  const now = ctx.now();
  const rotate = state.usagePolicy === 'OneTimeUse';
  const nextToken = rotate ? randomToken(48) : input.refreshToken;
  let expiresAt: number | undefined;
  if ((state.expirationPolicy === 'SlidingWindow' || state.expirationPolicy === 'SlidingWindowWithMaximumLifetime') && state.timeToLiveInMinutes) {
    expiresAt = now + state.timeToLiveInMinutes * 60_000;
    if (state.maximumExpiresAt !== undefined) expiresAt = Math.min(expiresAt, state.maximumExpiresAt);
  }
  const used = {
    tokenId: state.tokenId,
    userId: state.userId,
    tenantId: state.tenantId,
    instant: now,
    ...(expiresAt !== undefined && { expiresAt }),
    ...(rotate && { tokenHash: refreshTokenHash(nextToken), previousTokenHash: state.tokenHash }),
    ...(input.info.ipAddress && { ipAddress: input.info.ipAddress }),
  };
  const login: LoginSucceeded = {
    type: 'LoginSucceeded',
    data: { userId: state.userId, tenantId: state.tenantId, applicationId: state.applicationId, instant: now, authenticationType: 'REFRESH_TOKEN', info: input.info },
  };
  let position: number;
  try {
    const result = await ctx.eventStore.appendMultiple([
      { streamName: refreshTokenStream(state.tokenId), expectedRevision: revision, events: [{ id: randomUUID(), type: 'RefreshTokenUsed', data: used, ...(input.metadata && { metadata: input.metadata }) }] },
      { streamName: loginStream(state.userId), expectedRevision: 'any', events: [{ id: randomUUID(), type: login.type, data: login.data, ...(input.metadata && { metadata: input.metadata }) }] },
    ]);
    position = result.position;
  } catch (error) {
    // Someone else used (or revoked) the token in between: a spent one-time token is refused.
    if (error instanceof WrongExpectedRevisionError) {
      if (rotate) return { status: 400 };
      return exchangeRefreshToken(ctx, input);
    }
    throw error;
  }
  const user = { ...presentUser(view, false), lastLoginInstant: now };
  const token = await issueAccessToken(ctx, { user, tenant: tenant.body, application: application.body, authenticationType: 'REFRESH_TOKEN', authTime: now });
  await ctx.waiters.users.waitFor(position);
  return { status: 200, token, refreshToken: nextToken, refreshTokenId: state.tokenId, userId: state.userId };
}

/** Every live token of a user (`GET /api/jwt/refresh?userId=`). */
export async function refreshTokensOfUser(ctx: AppContext, userId: string): Promise<RefreshTokenState[]> {
  const document = await ctx.readModels.refreshTokens.get(userId.toLowerCase());
  const now = ctx.now();
  return Object.values(document?.body.tokens ?? {}).filter((t) => refreshTokenUsable(t, now));
}

export async function refreshTokenById(ctx: AppContext, tokenId: string): Promise<RefreshTokenState | undefined> {
  const holder = await ctx.readModels.refreshTokens.findByKey(refreshTokenIdKey(tokenId.toLowerCase()));
  const token = holder?.body.tokens[tokenId.toLowerCase()];
  return token && refreshTokenUsable(token, ctx.now()) ? token : undefined;
}

/** Tokens of an application (admin revocation): a scan of the tenant's (or every) token holder. */
async function refreshTokensOfApplication(ctx: AppContext, applicationId: string, tenantId: string | undefined): Promise<RefreshTokenState[]> {
  const holders = await ctx.readModels.refreshTokens.list(tenantId ? { tenantId } : {});
  return holders.flatMap((h) => Object.values(h.body.tokens)).filter((t) => t.applicationId === applicationId && !t.revoked);
}

export interface RevokeSelector {
  token?: string;
  tokenId?: string;
  userId?: string;
  applicationId?: string;
}

/** Revokes the selected tokens; a tenant-scoped caller reaches only its tenant's tokens. */
export async function revokeRefreshTokens(ctx: AppContext, selector: RevokeSelector, scopeTenantId: string | undefined, metadata?: EventMetadata): Promise<number> {
  let tokens: RefreshTokenState[] = [];
  if (selector.token) {
    const found = await findRefreshToken(ctx, selector.token);
    tokens = found ? [found.state] : [];
  } else if (selector.tokenId) {
    const found = await refreshTokenById(ctx, selector.tokenId);
    if (!found) throw new NotFoundError('refreshToken');
    tokens = [found];
  } else if (selector.userId) {
    tokens = await refreshTokensOfUser(ctx, selector.userId);
    if (selector.applicationId) tokens = tokens.filter((t) => t.applicationId === selector.applicationId);
  } else if (selector.applicationId) {
    tokens = await refreshTokensOfApplication(ctx, selector.applicationId, scopeTenantId);
  }
  if (scopeTenantId) tokens = tokens.filter((t) => t.tenantId === scopeTenantId);
  if (tokens.length === 0) return 0;
  const now = ctx.now();
  const result = await ctx.eventStore.appendMultiple(
    tokens.map((t) => {
      const revoked: RefreshTokenRevoked = { type: 'RefreshTokenRevoked', data: { tokenId: t.tokenId, userId: t.userId, tenantId: t.tenantId, instant: now } };
      return { streamName: refreshTokenStream(t.tokenId), expectedRevision: 'stream_exists' as const, events: [{ id: randomUUID(), type: revoked.type, data: revoked.data, ...(metadata && { metadata }) }] };
    }),
  );
  await ctx.waiters.users.waitFor(result.position);
  return tokens.length;
}

/** `GET /api/jwt/validate`: the decoded claims of a token we signed, still valid; else undefined. */
export async function validateAccessToken(ctx: AppContext, encoded: string): Promise<Record<string, unknown> | undefined> {
  return ctx.signingKeys.verify(encoded);
}

