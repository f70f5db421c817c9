/**
 * Deactivate, reactivate, hard delete and bulk delete.
 *
 * A hard delete leaves no personal data readable: (1) a `UserErasureStarted` marker on the user's
 * stream (guarded by its revision) releases the email/username reservations in the same atomic
 * append and drops the view; (2) a `UserDeleted` tombstone carrying ids only goes to `erasure-<id>`,
 * which outlives the user and removes it again on any replay; (3) the user's refresh tokens are
 * revoked; (4) the user, login, refresh-token and reservation streams are deleted; (5) the answer
 * waits until the views and the search index have dropped the user; (6) dev mailbox messages to the
 * user are removed. The embedded SQLite stores zero deleted rows (`secure_delete`) and their
 * write-ahead logs are truncated afterwards, so no file of the data dir holds the user's data.
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '@idstream/commands';
import { NotFoundError, entityStream, loginStream, refreshTokenStream, reservationStream, uniqueValuesOf, userDecider, userStream, type RequestInfo, type UserDeleted, type UserRecord } from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import type { SearchRequest } from '@idstream/search';
import type { AppContext } from './context.js';
import { eraseMailboxMessages, emailsIn, truncateEmbeddedWals } from './erasure-files.js';
import { findUser } from './users.js';

interface Scope {
  scopeTenantId?: string;
  info?: RequestInfo;
  metadata?: EventMetadata;
}

export async function deactivateUser(ctx: AppContext, userId: string, scope: Scope): Promise<void> {
  const view = await findUser(ctx, { id: userId }, scope.scopeTenantId);
  if (!view) throw new NotFoundError(userId);
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'DeactivateUser', instant: ctx.now(), ...(scope.info && { info: scope.info }) }, scope.metadata ? { metadata: scope.metadata } : {});
  if (result.position > 0) await ctx.waiters.users.waitFor(result.position);
}

export async function reactivateUser(ctx: AppContext, userId: string, scope: Scope): Promise<UserRecord> {
  const view = await findUser(ctx, { id: userId }, scope.scopeTenantId);
  if (!view) throw new NotFoundError(userId);
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'ReactivateUser', instant: ctx.now(), ...(scope.info && { info: scope.info }) }, scope.metadata ? { metadata: scope.metadata } : {});
  if (result.position > 0) await ctx.waiters.users.waitFor(result.position);
  return result.state.user as UserRecord;
}

export async function hardDeleteUser(ctx: AppContext, userId: string, scope: Scope): Promise<void> {
  await eraseUser(ctx, userId, scope);
  await truncateWals(ctx);
}

/** Truncates the embedded WALs; one a reader held past the deadline is reported, not failed: the user is gone from every store, and the next checkpoint overwrites those pages. */
async function truncateWals(ctx: AppContext): Promise<void> {
  const left = await truncateEmbeddedWals(ctx.config);
  if (left.length > 0) ctx.logger.warn({ files: left }, 'hard delete: a write-ahead log could not be truncated in time; it still holds page images from before the erasure');
}

/** Steps 1–6 of a hard delete; the caller truncates the embedded write-ahead logs once afterwards. */
async function eraseUser(ctx: AppContext, userId: string, scope: Scope): Promise<void> {
  const view = await findUser(ctx, { id: userId }, scope.scopeTenantId);
  if (!view) throw new NotFoundError(userId);
  const { id, tenantId } = view;
  const user = view.body.user;
  const now = ctx.now();
  // Every address the user ever had, for the files outside the stores (read before the streams go).
  const addresses = emailsIn([user, ...(await ctx.eventStore.readStream(userStream(id))).map((e) => e.data)]);
  // 1. Marker + reservation release, atomically, guarded by the stream revision.
  await handleCommand(ctx.eventStore, userStream(id), id, userDecider, { type: 'StartUserErasure', instant: now }, { uniqueValues: uniqueValuesOf, tenantId, ...(scope.metadata && { metadata: scope.metadata }) });
  // 2. The tombstone that outlives the deleted streams.
  const tombstone: UserDeleted = { type: 'UserDeleted', data: { userId: id, tenantId, instant: now } };
  const appended = await ctx.eventStore.append(entityStream('erasure', id), [{ id: randomUUID(), type: tombstone.type, data: tombstone.data }], 'any');
  // 3. Refresh tokens die with the user.
  const tokens = Object.keys((await ctx.readModels.refreshTokens.get(id))?.body.tokens ?? {});
  let position = appended.position;
  for (const tokenId of tokens) {
    const revoked = await ctx.eventStore.append(refreshTokenStream(tokenId), [{ id: randomUUID(), type: 'RefreshTokenRevoked', data: { tokenId, userId: id, tenantId, instant: now } }], 'any');
    position = Math.max(position, revoked.position);
  }
  await ctx.waiters.users.waitFor(position);
  // 4. Delete every stream that holds the user's data.
  const streams = [userStream(id), loginStream(id), ...tokens.map(refreshTokenStream)];
  if (user.email) streams.push(reservationStream(tenantId, 'email', user.email));
  if (user.username) streams.push(reservationStream(tenantId, 'username', user.username));
  for (const stream of streams) await ctx.eventStore.deleteStream(stream);
  // 5. Search drops it too before the answer.
  await ctx.waiters.search.waitFor(position);
  // 6. Dev mailbox messages to any of its addresses.
  await eraseMailboxMessages(ctx.config.dataDir, [id, ...addresses]);
}

export interface BulkDeleteInput extends Scope {
  userIds?: string[];
  query?: string;
  queryString?: string;
  dryRun: boolean;
  hardDelete: boolean;
  limit: number;
}

/** `DELETE /api/user/bulk`: ids win over `query`, which wins over `queryString` (FusionAuth's precedence). */
export async function bulkDeleteUsers(ctx: AppContext, input: BulkDeleteInput): Promise<{ dryRun: boolean; hardDelete: boolean; total: number; userIds?: string[] }> {
  let ids: string[];
  if (input.userIds && input.userIds.length > 0) {
    const views = await ctx.readModels.users.getMany(input.userIds.map((i) => i.toLowerCase()));
    ids = views.filter((v) => !input.scopeTenantId || v.tenantId === input.scopeTenantId).map((v) => v.id).slice(0, input.limit);
  } else {
    // Search follows the views: make everything committed so far searchable first.
    await ctx.waiters.search.waitFor(await ctx.eventStore.headPosition());
    const request: SearchRequest = {
      ...(input.scopeTenantId && { tenantId: input.scopeTenantId }),
      ...(input.query ? { query: input.query } : { queryString: input.queryString! }),
      numberOfResults: input.limit,
      startRow: 0,
      accurateTotal: true,
    };
    ids = (await ctx.readModels.search.search(request)).ids;
  }
  // A soft delete affects only active users (an inactive one is already deactivated).
  if (!input.hardDelete) {
    const views = await ctx.readModels.users.getMany(ids);
    ids = views.filter((v) => v.body.user.active).map((v) => v.id);
  }
  if (!input.dryRun) {
    for (const id of ids) {
      try {
        if (input.hardDelete) await eraseUser(ctx, id, input);
        else await deactivateUser(ctx, id, input);
      } catch (error) {
        // Deleted concurrently: nothing left to do for this one.
        if (!(error instanceof NotFoundError)) throw error;
      }
    }
    if (input.hardDelete && ids.length > 0) await truncateWals(ctx);
  }
  return { dryRun: input.dryRun, hardDelete: input.hardDelete, total: ids.length, ...(ids.length > 0 && { userIds: ids }) };
}
