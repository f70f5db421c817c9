/**
 * User use cases: create and the strongly consistent lookups (id, email, username, loginId).
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '@idstream/commands';
import { hash, isPasswordScheme, defaultFactor } from '@idstream/crypto';
import { FieldErrors, uniqueValuesOf, userDecider, userStream, type ConfigDocument, type RequestInfo, type UserRecord } from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import { emailKey, usernameKey, type UserView } from '@idstream/projection-user-views';
import type { AppContext } from './context.js';
import { checkPassword, type PasswordValidationRules } from './password-rules.js';
import { requireWebhookTransaction } from './webhook-transactions.js';

/** Fields of the request's `user` that are credentials or controls, never stored on the user. */
const credentialFields = ['password', 'encryptionScheme', 'factor', 'salt'] as const;
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface CreateUserInput {
  userId?: string;
  user: Record<string, unknown>;
  applicationId?: string;
  sendSetPasswordEmail?: boolean;
  skipVerification?: boolean;
  tenant: ConfigDocument;
  info?: RequestInfo;
  metadata?: EventMetadata;
}

export async function createUser(ctx: AppContext, input: CreateUserInput): Promise<UserRecord> {
  const errors = new FieldErrors();
  const source = input.user;
  const email = typeof source.email === 'string' ? source.email.trim() : undefined;
  const username = typeof source.username === 'string' ? source.username.trim() : undefined;
  const password = typeof source.password === 'string' ? source.password : undefined;
  for (const field of ['email', 'username', 'password', 'firstName', 'lastName', 'middleName', 'fullName', 'mobilePhone', 'imageUrl', 'timezone', 'birthDate', 'encryptionScheme'] as const) {
    if (source[field] !== undefined && source[field] !== null && typeof source[field] !== 'string') {
      errors.add(`user.${field}`, 'couldNotConvert', `[user.${field}] must be a string.`);
    }
  }
  if (source.data !== undefined && (typeof source.data !== 'object' || source.data === null || Array.isArray(source.data))) {
    errors.add('user.data', 'couldNotConvert', '[user.data] must be an object.');
  }
  if (!email && !username) {
    errors.add('user.email', 'blank', 'You must specify either the [user.email] or [user.username] property.');
    errors.add('user.username', 'blank', 'You must specify either the [user.email] or [user.username] property.');
  }
  if (email && !emailPattern.test(email)) errors.add('user.email', 'notEmail', `The email [${email}] is not a valid email address.`);
  if (!input.sendSetPasswordEmail) {
    if (!password) errors.add('user.password', 'blank', 'You must specify the [user.password] property.');
    else checkPassword(password, (input.tenant.passwordValidationRules ?? {}) as PasswordValidationRules, errors);
  }
  const scheme = typeof source.encryptionScheme === 'string' ? source.encryptionScheme : tenantScheme(input.tenant);
  if (!isPasswordScheme(scheme)) errors.add('user.encryptionScheme', 'invalid', `The encryption scheme [${scheme}] is not supported.`);
  if (source.factor !== undefined && (typeof source.factor !== 'number' || !Number.isInteger(source.factor) || source.factor < 1)) {
    errors.add('user.factor', 'invalid', '[user.factor] must be a positive whole number.');
  }
  errors.throwIfAny();

  const now = ctx.now();
  const id = (input.userId ?? randomUUID()).toLowerCase();
  const initialPassword = input.sendSetPasswordEmail ? undefined : password;
  const stored = initialPassword
    ? await hash(initialPassword, { scheme: scheme as Parameters<typeof hash>[1]['scheme'], factor: (source.factor as number | undefined) ?? tenantFactor(input.tenant, scheme) })
    : undefined;
  const rest = Object.fromEntries(Object.entries(source).filter(([key]) => !(credentialFields as readonly string[]).includes(key)));
  const verifyEmail = Boolean((input.tenant.emailConfiguration as { verifyEmail?: boolean } | undefined)?.verifyEmail);
  const user: UserRecord = {
    ...rest,
    id,
    tenantId: input.tenant.id,
    ...(email && { email: email.toLowerCase() }),
    ...(username && { username, usernameStatus: 'ACTIVE' as const }),
    active: true,
    verified: input.skipVerification === true || !verifyEmail,
    insertInstant: now,
    lastUpdateInstant: now,
    passwordChangeRequired: source.passwordChangeRequired === true,
    ...(stored && { passwordLastUpdateInstant: now }),
    registrations: [],
  };
  await requireWebhookTransaction(ctx, input.tenant, { type: 'UserCreated', data: { user, ...(input.applicationId && { applicationId: input.applicationId }), ...(input.info && { info: input.info }) } });
  const result = await handleCommand(
    ctx.eventStore,
    userStream(id),
    id,
    userDecider,
    { type: 'CreateUser', user, ...(stored && { password: stored }), ...(input.applicationId && { applicationId: input.applicationId }), ...(input.info && { info: input.info }) },
    { uniqueValues: uniqueValuesOf, tenantId: input.tenant.id, ...(input.metadata && { metadata: input.metadata }) },
  );
  await ctx.waiters.users.waitFor(result.position);
  return user;
}

function tenantScheme(tenant: ConfigDocument): string {
  return ((tenant.passwordEncryptionConfiguration as { encryptionScheme?: string } | undefined)?.encryptionScheme) ?? 'argon2id';
}

function tenantFactor(tenant: ConfigDocument, scheme: string): number {
  const configured = (tenant.passwordEncryptionConfiguration as { encryptionScheme?: string; encryptionSchemeFactor?: number } | undefined);
  if (configured?.encryptionScheme === scheme && configured.encryptionSchemeFactor) return configured.encryptionSchemeFactor;
  return isPasswordScheme(scheme) ? defaultFactor(scheme) : 1;
}

export interface UserLookup {
  id?: string;
  email?: string;
  username?: string;
  loginId?: string;
}

/** Finds a user by one identifier, within a tenant when one is known (ambiguous lookups need one). */
export async function findUser(ctx: AppContext, lookup: UserLookup, tenantId: string | undefined): Promise<UserView | undefined> {
  const users = ctx.readModels.users;
  if (lookup.id) {
    const view = await users.get(lookup.id.toLowerCase());
    return view && (!tenantId || view.tenantId === tenantId) ? view : undefined;
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
    ...view.body.user,
    ...(withEncryptionScheme && view.body.password && { encryptionScheme: view.body.password.encryptionScheme }),
  };
}
