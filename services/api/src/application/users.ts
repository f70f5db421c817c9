/**
 * User use cases: create, the strongly consistent lookups (id, email, username, loginId, verification
 * and change-password ids), replace (PUT) and patch.
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '@idstream/commands';
import { hash, isPasswordScheme, defaultFactor, randomToken, sha256Base64url, type PasswordSchemeName } from '@idstream/crypto';
import {
  FieldErrors,
  NotFoundError,
  applyPatch,
  secretsOf,
  uniqueValuesOf,
  userDecider,
  userStream,
  type ConfigDocument,
  type PatchFormat,
  type RequestInfo,
  type StoredPassword,
  type UserRecord,
} from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import { changePasswordIdKey, emailKey, usernameKey, verificationIdKey, type UserView } from '@idstream/projection-user-views';
import type { AppContext } from './context.js';
import { checkPassword, type PasswordValidationRules } from './password-rules.js';
import { parseUser, withoutSealedSecrets } from './user-input.js';
import { startChangePassword } from './user-passwords.js';
import { startEmailVerification, tenantVerifiesEmail } from './user-verification.js';
import { requireWebhookTransaction } from './webhook-transactions.js';

export interface CreateUserInput {
  userId?: string;
  user: Record<string, unknown>;
  applicationId?: string;
  sendSetPasswordEmail?: boolean;
  skipVerification?: boolean;
  disableDomainBlock?: boolean;
  tenant: ConfigDocument;
  info?: RequestInfo;
  metadata?: EventMetadata;
}

export async function createUser(ctx: AppContext, input: CreateUserInput): Promise<UserRecord> {
  const errors = new FieldErrors();
  const now = ctx.now();
  const parsed = parseUser(input.user, errors, { tenant: input.tenant, ...(input.disableDomainBlock && { disableDomainBlock: true }), secrets: ctx.secrets, now });
  if (!input.sendSetPasswordEmail) {
    if (!parsed.password) errors.add('user.password', 'blank', 'You must specify the [user.password] property.');
    else checkPassword(parsed.password, passwordRules(input.tenant), errors);
  }
  errors.throwIfAny();

  const id = (input.userId ?? randomUUID()).toLowerCase();
  // A setup-password email replaces the password with a secret random one the user never knows.
  const initialPassword = input.sendSetPasswordEmail ? randomToken(32) : parsed.password!;
  const stored = await hashForTenant(input.tenant, initialPassword, parsed.encryptionScheme, parsed.factor);
  const verifyEmail = tenantVerifiesEmail(input.tenant);
  const user: UserRecord = {
    ...parsed.fields,
    id,
    tenantId: input.tenant.id,
    active: true,
    verified: input.skipVerification === true || !verifyEmail || !parsed.email,
    ...((input.skipVerification === true || !verifyEmail) && parsed.email && { verifiedInstant: now }),
    insertInstant: now,
    lastUpdateInstant: now,
    passwordChangeRequired: input.user.passwordChangeRequired === true,
    passwordLastUpdateInstant: now,
    registrations: [],
  };
  await requireWebhookTransaction(ctx, input.tenant, { type: 'UserCreated', data: { user, ...(input.applicationId && { applicationId: input.applicationId }), ...(input.info && { info: input.info }) } });
  const result = await handleCommand(
    ctx.eventStore,
    userStream(id),
    id,
    userDecider,
    { type: 'CreateUser', user, password: stored, ...(input.applicationId && { applicationId: input.applicationId }), ...(input.info && { info: input.info }) },
    { uniqueValues: uniqueValuesOf, tenantId: input.tenant.id, ...(input.metadata && { metadata: input.metadata }) },
  );
  let position = result.position;
  // Only the setup email is sent when both apply; setting the password through it verifies the email.
  if (input.sendSetPasswordEmail) {
    position = (await startChangePassword(ctx, { userId: id, tenant: input.tenant, reason: 'setup', sendEmail: true, ...(input.applicationId && { applicationId: input.applicationId }) })).position;
  } else if (!user.verified && user.email) {
    position = (await startEmailVerification(ctx, { userId: id, tenant: input.tenant, sendEmail: true, ...(input.applicationId && { applicationId: input.applicationId }) })).position;
  }
  await ctx.waiters.users.waitFor(position);
  return user;
}

export function passwordRules(tenant: ConfigDocument): PasswordValidationRules {
  return (tenant.passwordValidationRules ?? {}) as PasswordValidationRules;
}

export function tenantScheme(tenant: ConfigDocument): PasswordSchemeName {
  const scheme = (tenant.passwordEncryptionConfiguration as { encryptionScheme?: string } | undefined)?.encryptionScheme;
  return scheme && isPasswordScheme(scheme) ? scheme : 'argon2id';
}

export function tenantFactor(tenant: ConfigDocument, scheme: string): number {
  const configured = tenant.passwordEncryptionConfiguration as { encryptionScheme?: string; encryptionSchemeFactor?: number } | undefined;
  if ((configured?.encryptionScheme ?? 'argon2id') === scheme && configured?.encryptionSchemeFactor) return configured.encryptionSchemeFactor;
  return isPasswordScheme(scheme) ? defaultFactor(scheme) : 1;
}

/** Hashes a plaintext password with the given scheme, else the tenant's. */
export async function hashForTenant(tenant: ConfigDocument, password: string, scheme?: string, factor?: number): Promise<StoredPassword> {
  const name = scheme && isPasswordScheme(scheme) ? scheme : tenantScheme(tenant);
  return hash(password, { scheme: name, factor: factor ?? tenantFactor(tenant, name) });
}

export interface UserLookup {
  id?: string;
  email?: string;
  username?: string;
  loginId?: string;
  /** The plaintext id from a verification email; looked up by digest, only while it is outstanding. */
  verificationId?: string;
  changePasswordId?: string;
}

/** Finds a user by one identifier, within a tenant when one is known (ambiguous lookups need one). */
export async function findUser(ctx: AppContext, lookup: UserLookup, tenantId: string | undefined): Promise<UserView | undefined> {
  const users = ctx.readModels.users;
  const inTenant = (view: UserView | null) => (view && (!tenantId || view.tenantId === tenantId) ? view : undefined);
  if (lookup.id) return inTenant(await users.get(lookup.id.toLowerCase()));
  if (lookup.verificationId) {
    const view = inTenant(await users.findByKey(verificationIdKey(sha256Base64url(lookup.verificationId))));
    const outstanding = secretsOf(view?.body).verification;
    return outstanding && outstanding.expiresAt > ctx.now() ? view : undefined;
  }
  if (lookup.changePasswordId) {
    const view = inTenant(await users.findByKey(changePasswordIdKey(sha256Base64url(lookup.changePasswordId))));
    const outstanding = secretsOf(view?.body).changePassword;
    return outstanding && outstanding.expiresAt > ctx.now() ? view : undefined;
  }
  if (!tenantId) return undefined;
  if (lookup.email) return (await users.findByKey(emailKey(tenantId, lookup.email))) ?? undefined;
  if (lookup.username) return (await users.findByKey(usernameKey(tenantId, lookup.username))) ?? undefined;
  if (lookup.loginId) {
    return (await users.findByKey(emailKey(tenantId, lookup.loginId))) ?? (await users.findByKey(usernameKey(tenantId, lookup.loginId))) ?? undefined;
  }
  return undefined;
}

/** The user as the API returns it; `encryptionScheme` only for API-key callers (FusionAuth's rule). */
export function presentUser(view: UserView, withEncryptionScheme: boolean): UserRecord {
  return {
    ...(withoutSealedSecrets(view.body.user) as UserRecord),
    ...(withEncryptionScheme && view.body.password && { encryptionScheme: view.body.password.encryptionScheme }),
  };
}

export interface UpdateUserInput {
  userId: string;
  /** The whole new user (PUT), or the result of applying a PATCH to the current one. */
  user: Record<string, unknown>;
  /** Tenant the caller is scoped to; a user of another tenant is a 404. */
  scopeTenantId?: string;
  applicationId?: string;
  disableDomainBlock?: boolean;
  info?: RequestInfo;
  metadata?: EventMetadata;
}

/**
 * PUT semantics: the request replaces the profile; the password is the only merged field (kept when
 * omitted). Server-owned fields (ids, instants, verification, registrations, active) are kept.
 */
export async function updateUser(ctx: AppContext, input: UpdateUserInput): Promise<UserRecord> {
  const view = await findUser(ctx, { id: input.userId }, input.scopeTenantId);
  if (!view) throw new NotFoundError(input.userId);
  const tenant = (await ctx.readModels.config.Tenant.get(view.tenantId))?.body ?? ({ id: view.tenantId } as ConfigDocument);
  const current = view.body.user;
  const errors = new FieldErrors();
  const now = ctx.now();
  const parsed = parseUser(carrySealedSecrets(input.user, current), errors, { tenant, ...(input.disableDomainBlock && { disableDomainBlock: true }), secrets: ctx.secrets, now });
  if (parsed.password !== undefined) checkPassword(parsed.password, passwordRules(tenant), errors);
  errors.throwIfAny();

  const stored = parsed.password !== undefined ? await hashForTenant(tenant, parsed.password, parsed.encryptionScheme, parsed.factor) : undefined;
  const emailChanged = (parsed.email ?? undefined) !== (current.email ?? undefined);
  const reverify = emailChanged && Boolean(parsed.email) && tenantVerifiesEmail(tenant);
  const user: UserRecord = {
    ...parsed.fields,
    id: current.id,
    tenantId: current.tenantId,
    active: current.active,
    verified: reverify ? false : emailChanged && !parsed.email ? true : current.verified,
    ...(current.verifiedInstant !== undefined && { verifiedInstant: current.verifiedInstant }),
    insertInstant: current.insertInstant,
    lastUpdateInstant: now,
    ...(current.lastLoginInstant !== undefined && { lastLoginInstant: current.lastLoginInstant }),
    passwordChangeRequired: input.user.passwordChangeRequired === true,
    ...(stored ? { passwordLastUpdateInstant: now } : current.passwordLastUpdateInstant !== undefined && { passwordLastUpdateInstant: current.passwordLastUpdateInstant }),
    registrations: current.registrations ?? [],
    ...(parsed.fields.memberships === undefined && current.memberships !== undefined && { memberships: current.memberships }),
  };
  const result = await handleCommand(
    ctx.eventStore,
    userStream(current.id),
    current.id,
    userDecider,
    { type: 'UpdateUser', user, ...(stored && { password: stored }), ...(input.applicationId && { applicationId: input.applicationId }), ...(input.info && { info: input.info }) },
    { uniqueValues: uniqueValuesOf, tenantId: current.tenantId, ...(input.metadata && { metadata: input.metadata }) },
  );
  let position = result.position;
  if (reverify) {
    position = (await startEmailVerification(ctx, { userId: current.id, tenant, sendEmail: true, ...(input.applicationId && { applicationId: input.applicationId }) })).position;
  }
  if (position > 0) await ctx.waiters.users.waitFor(position);
  return result.events.length > 0 ? (result.state.user as UserRecord) : current;
}

/** PATCH: the patch applies to `{user: <current user>}` (all three formats), then the result is a PUT. */
export async function patchUser(ctx: AppContext, input: Omit<UpdateUserInput, 'user'> & { patch: unknown; format: PatchFormat }): Promise<UserRecord> {
  const view = await findUser(ctx, { id: input.userId }, input.scopeTenantId);
  if (!view) throw new NotFoundError(input.userId);
  const target = { user: presentUser(view, false) as Record<string, unknown> };
  const patched = applyPatch(target, input.patch, input.format) as { user?: unknown };
  const user = patched && typeof patched.user === 'object' && patched.user !== null && !Array.isArray(patched.user) ? (patched.user as Record<string, unknown>) : {};
  const { patch: _patch, format: _format, ...rest } = input;
  return updateUser(ctx, { ...rest, user });
}

/** Two-factor methods come back from clients without secrets; keep the sealed ones of the same method id. */
function carrySealedSecrets(source: Record<string, unknown>, current: UserRecord): Record<string, unknown> {
  const methods = (source.twoFactor as { methods?: unknown } | undefined)?.methods;
  const known = (current.twoFactor as { methods?: { id: string; sealedSecret?: string }[] } | undefined)?.methods ?? [];
  if (!Array.isArray(methods)) return source;
  return {
    ...source,
    twoFactor: {
      ...(source.twoFactor as object),
      methods: methods.map((m) => {
        const method = (m ?? {}) as Record<string, unknown>;
        const previous = known.find((k) => k.id === method.id);
        return previous?.sealedSecret && method.secret === undefined ? { ...method, sealedSecret: previous.sealedSecret } : { ...method, sealedSecret: undefined };
      }),
    },
  };
}
