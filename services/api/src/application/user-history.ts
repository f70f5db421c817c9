/**
 * Recent logins and a user's history, read from the event log (strongly consistent): the audit
 * trail is the user's own events. History never shows secrets (hashes, sealed ids, digests).
 */
import { NotFoundError, loginStream, userStream, type LoginSucceeded } from '@idstream/domain';
import type { AppContext } from './context.js';
import { findUser } from './users.js';
import { passwordlessHistoryEvents } from './passwordless-history.js';
import { applicationNames, type PresentedLoginRecord } from './login-records.js';

export type RecentLogin = PresentedLoginRecord;

/** Newest first. With a user: its login stream; without: the tenant's login records. */
export async function recentLogins(ctx: AppContext, input: { userId?: string; offset: number; limit: number; scopeTenantId?: string }): Promise<RecentLogin[]> {
  let logins: RecentLogin[];
  if (input.userId) {
    const view = await findUser(ctx, { id: input.userId }, input.scopeTenantId);
    if (!view) throw new NotFoundError(input.userId);
    const user = view.body.user;
    const events = (await ctx.eventStore.readStream(loginStream(view.id))).filter((e) => e.type === 'LoginSucceeded').reverse().slice(input.offset, input.offset + input.limit);
    logins = events.map((e) => {
      const data = (e as unknown as LoginSucceeded).data;
      const loginId = (data as { loginId?: string }).loginId ?? user.email ?? user.username;
      return { userId: data.userId, instant: data.instant, ...(data.applicationId && { applicationId: data.applicationId }), ...(data.info?.ipAddress && { ipAddress: data.info.ipAddress }), ...(loginId && { loginId }) };
    });
  } else {
    const scope = input.scopeTenantId ? { tenantId: input.scopeTenantId } : {};
    const total = await ctx.readModels.loginRecords.count(scope);
    const end = Math.max(0, total - input.offset);
    const start = Math.max(0, end - input.limit);
    const records = end === 0 ? [] : await ctx.readModels.loginRecords.list({ ...scope, offset: start, limit: end - start });
    logins = records.reverse().map((r) => ({ ...r.body }));
  }
  const names = await applicationNames(ctx, logins);
  for (const login of logins) {
    const name = login.applicationId ? names.get(login.applicationId) : undefined;
    if (name) login.applicationName = name;
  }
  return logins;
}

export interface HistoryEntry {
  type: string;
  instant: number;
  actor?: string;
  ipAddress?: string;
  changedFields?: string[];
}

/** Fields of event data that are secret or bulky: never shown in history. */
const hidden = new Set(['password', 'rehashedPassword', 'secrets', 'previous', 'user', 'idHash', 'codeHash', 'sealedId', 'sealedCode', 'hash', 'state']);

export async function userHistory(ctx: AppContext, input: { userId: string; offset: number; limit: number; scopeTenantId?: string }): Promise<{ total: number; events: HistoryEntry[] }> {
  const view = await findUser(ctx, { id: input.userId }, input.scopeTenantId);
  if (!view) throw new NotFoundError(input.userId);
  const [own, logins, passwordless] = await Promise.all([ctx.eventStore.readStream(userStream(view.id)), ctx.eventStore.readStream(loginStream(view.id)), passwordlessHistoryEvents(ctx, view.id)]);
  const all = [...own, ...logins, ...passwordless].sort((a, b) => a.position - b.position);
  const events = all.slice(input.offset, input.offset + input.limit).map((e) => {
    const data = (e.data ?? {}) as Record<string, unknown>;
    const info = data.info as { ipAddress?: string } | undefined;
    const details = Object.fromEntries(Object.entries(data).filter(([k]) => !hidden.has(k) && k !== 'info' && k !== 'userId' && k !== 'tenantId'));
    const changed = Array.isArray(data.changedFields) ? (data.changedFields as string[]) : undefined;
    return {
      type: e.type,
      instant: e.recordedAt,
      ...(e.metadata.apiKeyId ? { actor: `apiKey:${String(e.metadata.apiKeyId)}` } : {}),
      ...((info?.ipAddress ?? e.metadata.ipAddress) && { ipAddress: String(info?.ipAddress ?? e.metadata.ipAddress) }),
      ...(changed && { changedFields: changed }),
      ...(!changed && Object.keys(details).length > 0 && { details }),
    };
  });
  return { total: all.length, events };
}
