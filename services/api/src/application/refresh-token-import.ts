/**
 * `POST /api/user/refresh-token/import`: each token becomes a `RefreshTokenImported` event on its own
 * `refreshtoken-<id>` stream (the Login capability's aggregate), stored as a SHA-256 digest only.
 * Expiry follows the application's (else the tenant's) refresh-token lifetime from `startInstant`.
 */
import { randomUUID } from 'node:crypto';
import { FieldErrors, ValidationError, refreshTokenHash, refreshTokenStream, type ConfigDocument, type RefreshTokenIssuedData } from '@idstream/domain';
import type { AppendRequest } from '@idstream/eventstore';
import type { AppContext } from './context.js';
import { isObject, isUuid } from '../http/input.js';

const DEFAULT_REFRESH_TOKEN_MINUTES = 43_200;

export async function importRefreshTokens(ctx: AppContext, input: { refreshTokens: unknown[]; validateDbConstraints: boolean; tenant: ConfigDocument }): Promise<void> {
  const errors = new FieldErrors();
  if (input.refreshTokens.length === 0) throw ValidationError.field('refreshTokens', 'blank', 'You must specify at least one refresh token.');
  const tokens: RefreshTokenIssuedData[] = [];
  const seen = new Set<string>();
  const userIds = new Set<string>();
  input.refreshTokens.forEach((raw, i) => {
    const p = `refreshTokens[${i}]`;
    if (!isObject(raw)) {
      errors.add(p, 'couldNotConvert', `[${p}] must be an object.`);
      return;
    }
    if (!isUuid(raw.userId)) errors.add(`${p}.userId`, 'couldNotConvert', `[${p}.userId] must be a UUID.`);
    if (!isUuid(raw.applicationId)) errors.add(`${p}.applicationId`, 'couldNotConvert', `[${p}.applicationId] must be a UUID.`);
    if (typeof raw.token !== 'string' || raw.token === '') errors.add(`${p}.token`, 'blank', `You must specify [${p}.token].`);
    const start = typeof raw.startInstant === 'string' && /^\d+$/.test(raw.startInstant) ? Number(raw.startInstant) : raw.startInstant;
    if (typeof start !== 'number' || !Number.isInteger(start)) errors.add(`${p}.startInstant`, 'couldNotConvert', `[${p}.startInstant] must be an instant.`);
    if (raw.metaData !== undefined && raw.metaData !== null && !isObject(raw.metaData)) errors.add(`${p}.metaData`, 'couldNotConvert', `[${p}.metaData] must be an object.`);
    if (typeof raw.token !== 'string' || !isUuid(raw.userId) || !isUuid(raw.applicationId) || typeof start !== 'number') return;
    const tokenHash = refreshTokenHash(raw.token);
    if (seen.has(tokenHash)) errors.add(`${p}.token`, 'duplicate', `[${p}.token] appears twice in this request.`);
    seen.add(tokenHash);
    userIds.add(raw.userId.toLowerCase());
    tokens.push({
      tokenId: randomUUID(),
      userId: raw.userId.toLowerCase(),
      tenantId: input.tenant.id,
      applicationId: raw.applicationId.toLowerCase(),
      tokenHash,
      startInstant: start,
      ...(isObject(raw.metaData) && { metaData: raw.metaData as RefreshTokenIssuedData['metaData'] }),
      imported: true,
    });
  });
  errors.throwIfAny();

  // The users must exist in this tenant (always: a token of nobody is useless); registration with validateDbConstraints.
  const users = new Map((await ctx.readModels.users.getMany([...userIds])).filter((v) => v.tenantId === input.tenant.id).map((v) => [v.id, v]));
  const lifetimes = new Map<string, number>();
  for (const [i, token] of tokens.entries()) {
    const view = users.get(token.userId);
    if (!view) errors.add(`refreshTokens[${i}].userId`, 'invalid', `The user [${token.userId}] does not exist.`);
    else if (input.validateDbConstraints && !view.body.user.registrations?.some((r) => r.applicationId === token.applicationId)) {
      errors.add(`refreshTokens[${i}].applicationId`, 'invalid', `The user is not registered for the application [${token.applicationId}].`);
    }
    if (input.validateDbConstraints && (await ctx.readModels.refreshTokens.findByKey(`refreshToken:${token.tokenHash}`))) {
      errors.add(`refreshTokens[${i}].token`, 'duplicate', 'This refresh token already exists.');
    }
    if (!lifetimes.has(token.applicationId)) lifetimes.set(token.applicationId, await lifetimeMinutes(ctx, token.applicationId, input.tenant));
    token.expiresAt = token.startInstant + lifetimes.get(token.applicationId)! * 60_000;
  }
  errors.throwIfAny();

  const requests: AppendRequest[] = tokens.map((token) => ({
    streamName: refreshTokenStream(token.tokenId),
    expectedRevision: 'no_stream',
    events: [{ id: randomUUID(), type: 'RefreshTokenImported', data: token }],
  }));
  let position = 0;
  for (let start = 0; start < requests.length; start += 1000) position = (await ctx.eventStore.appendMultiple(requests.slice(start, start + 1000))).position;
  await ctx.waiters.users.waitFor(position, 120_000);
}

async function lifetimeMinutes(ctx: AppContext, applicationId: string, tenant: ConfigDocument): Promise<number> {
  const app = (await ctx.readModels.config.Application.get(applicationId))?.body;
  const appJwt = app?.jwtConfiguration as { enabled?: boolean; refreshTokenTimeToLiveInMinutes?: number } | undefined;
  const tenantJwt = tenant.jwtConfiguration as { refreshTokenTimeToLiveInMinutes?: number } | undefined;
  return (appJwt?.enabled ? appJwt.refreshTokenTimeToLiveInMinutes : undefined) ?? tenantJwt?.refreshTokenTimeToLiveInMinutes ?? DEFAULT_REFRESH_TOKEN_MINUTES;
}
