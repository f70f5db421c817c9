/**
 * Passwords: forgot password (change-password ids), change password in its three modes, the one-time
 * password a change hands to the Login API, and re-hash on login. Every id and code is stored as a
 * SHA-256 digest and consumed in one conditional append (the user stream's expected revision).
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '@idstream/commands';
import { randomToken, sha256Base64url, verify } from '@idstream/crypto';
import { FieldErrors, NotFoundError, ValidationError, refreshTokenStream, userDecider, userStream, type ConfigDocument, type RequestInfo, type StoredPassword } from '@idstream/domain';
import { EMAILED_SECRET_PURPOSE } from '@idstream/reactors';
import type { UserView } from '@idstream/projection-user-views';
import { oneTimePasswordKey } from '@idstream/projection-user-views';
import { secretsOf } from '@idstream/domain';
import type { AppContext } from './context.js';
import { checkPassword } from './password-rules.js';
import { findUser, hashForTenant, passwordRules } from './users.js';
import { emailConfigurationOf, idLifetimeSeconds } from './user-verification.js';
import { HttpError } from '../http/errors.js';
import { enforceRateLimit } from './request-rate-limits.js';

export async function startChangePassword(
  ctx: AppContext,
  input: { userId: string; tenant: ConfigDocument; reason: 'forgot' | 'setup'; sendEmail: boolean; applicationId?: string; state?: Record<string, unknown>; changePasswordId?: string },
): Promise<{ position: number; changePasswordId: string }> {
  const changePasswordId = input.changePasswordId ?? randomToken(32);
  const lifetime = idLifetimeSeconds(input.tenant, input.reason === 'setup' ? 'setupPasswordIdTimeToLiveInSeconds' : 'changePasswordIdTimeToLiveInSeconds');
  const result = await handleCommand(ctx.eventStore, userStream(input.userId), input.userId, userDecider, {
    type: 'StartChangePassword',
    idHash: sha256Base64url(changePasswordId),
    expiresAt: ctx.now() + lifetime * 1000,
    reason: input.reason,
    sendEmail: input.sendEmail,
    ...(input.sendEmail && { sealedId: ctx.secrets.seal(EMAILED_SECRET_PURPOSE, changePasswordId) }),
    ...(input.applicationId && { applicationId: input.applicationId }),
    ...(input.state && { state: input.state }),
  });
  return { position: result.position, changePasswordId };
}

/** `POST /api/user/forgot-password`: 404 unknown user, 422 no email to send to. */
export async function forgotPassword(
  ctx: AppContext,
  input: { loginId: string; tenant: ConfigDocument; sendEmail: boolean; applicationId?: string; state?: Record<string, unknown>; changePasswordId?: string; ipAddress?: string },
): Promise<{ changePasswordId: string }> {
  const view = await findUser(ctx, { loginId: input.loginId }, input.tenant.id);
  if (!view) throw new NotFoundError('user');
  enforceRateLimit(input.tenant, 'forgotPassword', view.id, input.ipAddress, ctx.now());
  const user = view.body.user;
  const address = user.email ?? (typeof user.data?.email === 'string' ? user.data.email : undefined);
  if (input.sendEmail && !address) throw HttpError.general(422, '[NoEmail]', 'The user does not have an email address.');
  const { loginId: _loginId, ipAddress: _ipAddress, ...options } = input;
  const started = await startChangePassword(ctx, { ...options, userId: view.id, reason: 'forgot' });
  await ctx.waiters.users.waitFor(started.position);
  return { changePasswordId: started.changePasswordId };
}

export type ChangePasswordMode =
  | { kind: 'changePasswordId'; changePasswordId: string; apiKey: boolean }
  | { kind: 'jwt'; userId: string }
  | { kind: 'apiKey'; loginId: string; tenant: ConfigDocument };

export interface ChangePasswordInput {
  mode: ChangePasswordMode;
  password: string;
  currentPassword?: string;
  /** A refresh token (body or cookie): the one-time password may then get a refresh token at login. */
  refreshToken?: string;
  scopeTenantId?: string;
  info?: RequestInfo;
}

/**
 * Changes a password. The changePasswordId and JWT modes answer with a one-time password for the
 * Login API; every refresh token and outstanding change-password id of the user dies with the change.
 */
export async function changePassword(ctx: AppContext, input: ChangePasswordInput): Promise<{ oneTimePassword?: string }> {
  const mode = input.mode;
  const view = mode.kind === 'changePasswordId'
    ? await findUser(ctx, { changePasswordId: mode.changePasswordId }, input.scopeTenantId)
    : mode.kind === 'jwt'
      ? await findUser(ctx, { id: mode.userId }, input.scopeTenantId)
      : await findUser(ctx, { loginId: mode.loginId }, mode.tenant.id);
  if (!view) throw new NotFoundError('user');
  const tenant = (await ctx.readModels.config.Tenant.get(view.tenantId))?.body ?? ({ id: view.tenantId } as ConfigDocument);
  const errors = new FieldErrors();
  checkPassword(input.password, passwordRules(tenant), errors, 'password');
  if (mode.kind === 'jwt' && !input.currentPassword) errors.add('currentPassword', 'blank', 'You must specify the [currentPassword] property.');
  errors.throwIfAny();
  if (input.currentPassword !== undefined && !(view.body.password && (await verify(input.currentPassword, view.body.password)))) {
    // FusionAuth: with an API key a wrong current password is a 400; without one, a 404.
    if (mode.kind === 'apiKey' || (mode.kind === 'changePasswordId' && mode.apiKey)) throw ValidationError.field('currentPassword', 'mismatch', 'The [currentPassword] is not correct.');
    throw new NotFoundError('user');
  }
  const now = ctx.now();
  const oneTimePassword = mode.kind === 'apiKey' ? undefined : randomToken(32);
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, {
    type: 'ChangePassword',
    password: await hashForTenant(tenant, input.password),
    instant: now,
    method: mode.kind,
    ...(mode.kind === 'changePasswordId' && { changePasswordIdHash: sha256Base64url(mode.changePasswordId) }),
    ...(oneTimePassword && {
      oneTimePassword: {
        hash: sha256Base64url(oneTimePassword),
        expiresAt: now + idLifetimeSeconds(tenant, 'oneTimePasswordTimeToLiveInSeconds') * 1000,
        refreshTokenAllowed: Boolean(input.refreshToken),
      },
    }),
    implicitEmailVerification: emailConfigurationOf(tenant).implicitEmailVerificationAllowed !== false,
    ...(input.info && { info: input.info }),
  });
  const revoked = await revokeRefreshTokens(ctx, view.id, view.tenantId, now);
  await ctx.waiters.users.waitFor(Math.max(result.position, revoked));
  return oneTimePassword ? { oneTimePassword } : {};
}

/**
 * For the Login API's one-time-password login: consumes the one-time password a change-password
 * returned, in one conditional append, and returns the user (undefined when unknown, expired or
 * already used). `refreshTokenAllowed` tells whether the login may issue a refresh token.
 */
export async function consumeOneTimePassword(ctx: AppContext, oneTimePassword: string, tenantId?: string): Promise<{ view: UserView; refreshTokenAllowed: boolean } | undefined> {
  const digest = sha256Base64url(oneTimePassword);
  const view = await ctx.readModels.users.findByKey(oneTimePasswordKey(digest));
  if (!view || (tenantId && view.tenantId !== tenantId)) return undefined;
  const outstanding = secretsOf(view.body).oneTimePassword;
  if (!outstanding) return undefined;
  try {
    const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'ConsumeOneTimePassword', hash: digest, instant: ctx.now() });
    await ctx.waiters.users.waitFor(result.position);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
  return { view, refreshTokenAllowed: outstanding.refreshTokenAllowed };
}

/** For the Login API's re-hash on login: stores `password` (the same secret, the tenant's scheme now). */
export async function rehashPassword(ctx: AppContext, userId: string, password: StoredPassword): Promise<number> {
  const result = await handleCommand(ctx.eventStore, userStream(userId), userId, userDecider, { type: 'RehashPassword', password, instant: ctx.now() });
  return result.position;
}

/** Revokes every refresh token of the user (a password change signs out every session). */
export async function revokeRefreshTokens(ctx: AppContext, userId: string, tenantId: string, instant: number): Promise<number> {
  const tokens = Object.keys((await ctx.readModels.refreshTokens.get(userId))?.body.tokens ?? {});
  let position = 0;
  for (const tokenId of tokens) {
    const appended = await ctx.eventStore.append(refreshTokenStream(tokenId), [{ id: randomUUID(), type: 'RefreshTokenRevoked', data: { tokenId, userId, tenantId, instant } }], 'any');
    position = appended.position;
  }
  return position;
}
