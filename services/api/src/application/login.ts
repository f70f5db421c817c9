/**
 * Login (FusionAuth's `POST /api/login` and every other way in): identify the user, check the
 * credential, then `completeLogin` applies the shared state machine, records the outcome as events
 * and issues tokens. Nothing on this path touches the search engine or the job queue.
 *
 * Order of checks (README, "API decisions"): failed-authentication lock → credential → 423 inactive →
 * 410 expired → 409 lock → 242 two-factor → 203 change password → 212 email → 202 not registered →
 * 213 registration → 200.
 */
import { randomUUID } from 'node:crypto';
import { constantTimeEqual, hash, needsRehash, randomToken, verify, verifyDummy, type PasswordSchemeName } from '@idstream/crypto';
import {
  actionDurationMs,
  digestUuid,
  FieldErrors,
  loginStream,
  pendingTwoFactorStream,
  twoFactorMethodsOf,
  type ConfigDocument,
  type FailedAuthenticationCounted,
  type FailedAuthenticationState,
  type LoginFailed,
  type LoginSucceeded,
  type RefreshTokenMetaData,
  type RequestInfo,
  type TwoFactorLoginStarted,
  type TwoFactorMethod,
  type UserRecord,
} from '@idstream/domain';
import type { AppendRequest, EventMetadata } from '@idstream/eventstore';
import type { UserView } from '@idstream/projection-user-views';
import type { AppContext } from './context.js';
import { findUser, presentUser, passwordRules, tenantFactor, tenantScheme } from './users.js';
import { issueAccessToken, newRefreshToken, type IssuedToken } from './tokens.js';
import { checkPassword } from './password-rules.js';
import { rehashPassword, startChangePassword } from './user-passwords.js';
import { startEmailVerification } from './user-verification.js';
import { isTrusted } from './two-factor.js';
import { gatedPasswordWork } from './password-gate.js';

/** Everything a login needs besides the credential. */
export interface LoginRequest {
  tenant: ConfigDocument;
  application?: ConfigDocument;
  noJWT: boolean;
  info: RequestInfo;
  metadata?: EventMetadata;
  /** `user.encryptionScheme` is shown to API-key callers only. */
  withEncryptionScheme: boolean;
  /** `metaData.device` of the request; stored on the refresh token. */
  device?: NonNullable<RefreshTokenMetaData['device']>;
  /** `fusionauth.trust` cookie, else the body's `twoFactorTrustId`. */
  twoFactorTrustId?: string;
  /** The second factor was just proven (two-factor login): no new challenge. */
  twoFactorCompleted?: boolean;
  /** `state` to hand back (one-time password, passwordless, two-factor). */
  state?: Record<string, unknown>;
  /** A one-time password issued without a refresh token forbids one here. */
  refreshTokenAllowed?: boolean;
  /** The password failed the tenant's rules at login (`validateOnLogin`): 203 `Validation`. */
  passwordFailsValidation?: boolean;
}

/** An action preventing login (409), in FusionAuth's shape. */
export interface LoginPreventingAction {
  actionId: string;
  actionerUserId?: string;
  expiry?: number;
  localizedName: string;
  localizedReason: string;
  name: string;
  reason: string;
  reasonCode: string;
}

export type ChangePasswordReason = 'Administrative' | 'Breached' | 'Expired' | 'Validation';

/** Fields of the answer; `token` stays an IssuedToken so other login kinds can use it as before. */
export type LoginOutcome =
  | { status: 404 }
  | { status: 410 }
  | { status: 423 }
  | { status: 409; actions: LoginPreventingAction[] }
  | { status: 242; twoFactorId: string; methods: TwoFactorMethod[] }
  | { status: 203; changePasswordId: string; changePasswordReason: ChangePasswordReason }
  | {
      status: 200 | 202 | 212 | 213;
      user: UserRecord;
      token?: IssuedToken;
      refreshToken?: string;
      refreshTokenId?: string;
      emailVerificationId?: string;
      registrationVerificationId?: string;
      state?: Record<string, unknown>;
    };

/** The action a failed-authentication lock shows in a 409: fixed id, so clients can recognise it. */
export const FAILED_AUTHENTICATION_ACTION_ID = digestUuid('idstream', 'failed-authentication-lock');

export async function passwordLogin(ctx: AppContext, input: LoginRequest & { loginId: string; password: string }): Promise<LoginOutcome> {
  const view = await findUser(ctx, { loginId: input.loginId }, input.tenant.id);
  if (!view || !view.body.password) {
    // Spend the time a real verification costs, so response time does not reveal which accounts
    // exist: under the tenant's scheme, the one its users' passwords are hashed (and re-hashed) with.
    await gatedPasswordWork(() => verifyDummy(input.password, dummyPolicy(input.tenant)));
    return { status: 404 };
  }
  // A locked account answers 409 without checking the password: a lock that still tells a guess
  // apart would not stop anyone guessing.
  const locked = lockedUntil(view, ctx.now());
  if (locked !== undefined) {
    await gatedPasswordWork(() => verifyDummy(input.password, dummyPolicy(input.tenant)));
    return { status: 409, actions: [lockAction(locked)] };
  }
  const stored = view.body.password;
  const byPassword = await gatedPasswordWork(() => verify(input.password, stored));
  const byApplicationToken = !byPassword && applicationTokenMatches(view, input.application, input.password);
  if (!byPassword && !byApplicationToken) {
    await recordFailedPassword(ctx, view, input);
    return { status: 404 };
  }
  if (byPassword) await maybeRehash(ctx, view, input.tenant, input.password);
  const rules = passwordRules(input.tenant);
  let passwordFailsValidation = false;
  if (byPassword && (rules as { validateOnLogin?: boolean }).validateOnLogin) {
    const errors = new FieldErrors();
    checkPassword(input.password, rules, errors);
    passwordFailsValidation = !errors.empty;
  }
  return completeLogin(ctx, view, { ...input, passwordFailsValidation }, byApplicationToken ? 'APPLICATION_TOKEN' : 'PASSWORD');
}

/**
 * After the credential is proven (password, passwordless code, identity provider, one-time password,
 * second factor…): account state checks, the login record, the user view update and the tokens.
 * `authenticationType` is FusionAuth's JWT claim value (PASSWORD, PASSWORDLESS, SAMLv2, FACEBOOK…).
 */
export async function completeLogin(ctx: AppContext, view: UserView, input: LoginRequest, authenticationType: string): Promise<LoginOutcome> {
  const now = ctx.now();
  const user = view.body.user;
  if (!user.active) {
    await recordLogin(ctx, failed(ctx, view, input, 'inactive'), input.metadata);
    return { status: 423 };
  }
  if (typeof user.expiry === 'number' && user.expiry <= now) {
    await recordLogin(ctx, failed(ctx, view, input, 'expired'), input.metadata);
    return { status: 410 };
  }
  const locked = lockedUntil(view, now);
  if (locked !== undefined) return { status: 409, actions: [lockAction(locked)] };

  // 1. Second factor, unless just proven or this computer is trusted.
  const methods = twoFactorMethodsOf(user);
  if (methods.length > 0 && !input.twoFactorCompleted && !(input.twoFactorTrustId && (await isTrusted(ctx, input.twoFactorTrustId, user.id, now)))) {
    return startTwoFactorLogin(ctx, view, input, authenticationType, methods);
  }

  // 2. Password change required (no tokens: the user must change it first).
  const reason = changePasswordReason(user, input, now);
  if (reason) {
    const started = await startChangePassword(ctx, { userId: user.id, tenant: input.tenant, reason: 'forgot', sendEmail: false, ...(input.application && { applicationId: input.application.id }) });
    await ctx.waiters.users.waitFor(started.position);
    return { status: 203, changePasswordId: started.changePasswordId, changePasswordReason: reason };
  }

  // 3. The login happens: record it (and a refresh token) in one append, then sign.
  const registration = input.application ? user.registrations?.find((r) => r.applicationId === input.application!.id) : undefined;
  const status = loggedInStatus(user, input, registration);
  const loginEvent: LoginSucceeded = {
    type: 'LoginSucceeded',
    data: { userId: user.id, tenantId: user.tenantId, instant: now, authenticationType, info: input.info, ...(input.application && { applicationId: input.application.id }) },
  };
  const appends: AppendRequest[] = [{ streamName: loginStream(user.id), expectedRevision: 'any', events: [toEventData(loginEvent, input.metadata)] }];
  const refresh = registration && input.application && !input.noJWT && input.refreshTokenAllowed !== false && generatesRefreshTokens(input.application)
    ? newRefreshToken(ctx, { user, tenant: input.tenant, application: input.application, ...(input.device && { device: input.device }), info: input.info })
    : undefined;
  if (refresh) appends.push(refresh.append(input.metadata));
  const written = appends.length === 1 ? await ctx.eventStore.append(appends[0]!.streamName, appends[0]!.events, 'any') : await ctx.eventStore.appendMultiple(appends);

  const loggedIn = { ...presentUser(view, input.withEncryptionScheme), lastLoginInstant: now };
  const token = input.noJWT
    ? undefined
    : await issueAccessToken(ctx, { user: loggedIn, tenant: input.tenant, ...(input.application && { application: input.application }), authenticationType, authTime: now });
  let emailVerificationId: string | undefined;
  if (status === 212 && verificationStrategy(input.tenant) === 'FormField') {
    emailVerificationId = (await startEmailVerification(ctx, { userId: user.id, tenant: input.tenant, sendEmail: false })).verificationId;
  }
  // The user view shows this login (lastLoginInstant) to any read that follows the answer.
  await ctx.waiters.users.waitFor(written.position);
  return {
    status,
    user: loggedIn,
    ...(token && { token }),
    ...(refresh && { refreshToken: refresh.token, refreshTokenId: refresh.tokenId }),
    ...(emailVerificationId && { emailVerificationId }),
    ...(input.state && { state: input.state }),
  };
}

function loggedInStatus(user: UserRecord, input: LoginRequest, registration: { verified?: boolean } | undefined): 200 | 202 | 212 | 213 {
  if (verifiesEmail(input.tenant) && !user.verified) return 212;
  if (input.application && !registration) return 202;
  if (input.application && registration && input.application.verifyRegistration === true && registration.verified === false) return 213;
  return 200;
}

function changePasswordReason(user: UserRecord, input: LoginRequest, now: number): ChangePasswordReason | undefined {
  if (user.passwordChangeRequired) return 'Administrative';
  const maximumAge = input.tenant.maximumPasswordAge as { enabled?: boolean; days?: number } | undefined;
  if (maximumAge?.enabled && maximumAge.days && user.passwordLastUpdateInstant !== undefined && user.passwordLastUpdateInstant + maximumAge.days * 86_400_000 <= now) {
    return 'Expired';
  }
  if (input.passwordFailsValidation) return 'Validation';
  return undefined;
}

async function startTwoFactorLogin(ctx: AppContext, view: UserView, input: LoginRequest, authenticationType: string, methods: TwoFactorMethod[]): Promise<LoginOutcome> {
  const now = ctx.now();
  const twoFactorId = randomToken(32);
  const ttl = Number((input.tenant.externalIdentifierConfiguration as { twoFactorIdTimeToLiveInSeconds?: number } | undefined)?.twoFactorIdTimeToLiveInSeconds ?? 300);
  const started: TwoFactorLoginStarted = {
    type: 'TwoFactorLoginStarted',
    data: {
      userId: view.id,
      tenantId: view.tenantId,
      authenticationType,
      noJWT: input.noJWT,
      expiresAt: now + ttl * 1000,
      instant: now,
      info: input.info,
      ...(input.application && { applicationId: input.application.id }),
      ...(input.device && { metaData: { device: input.device } }),
      ...(input.state && { state: input.state }),
    },
  };
  // The pending login is read from its own stream, so the answer needs no projection wait.
  await ctx.eventStore.append(pendingTwoFactorStream(twoFactorId), [toEventData(started, input.metadata)], 'no_stream');
  return { status: 242, twoFactorId, methods };
}

function dummyPolicy(tenant: ConfigDocument): { scheme: PasswordSchemeName; factor: number } {
  const scheme = tenantScheme(tenant);
  return { scheme, factor: tenantFactor(tenant, scheme) };
}

function lockedUntil(view: UserView, now: number): number | undefined {
  const until = (view.body.secrets?.failedAuthentication as FailedAuthenticationState | undefined)?.lockedUntil;
  return until !== undefined && until > now ? until : undefined;
}

function lockAction(expiry: number): LoginPreventingAction {
  const name = 'Failed authentication lock';
  const reason = 'Too many failed login attempts';
  return { actionId: FAILED_AUTHENTICATION_ACTION_ID, expiry, localizedName: name, localizedReason: reason, name, reason, reasonCode: 'failed_authentication' };
}

/** `LoginFailed` (public `user.login.failed`) plus the count that may lock the account: one append. */
async function recordFailedPassword(ctx: AppContext, view: UserView, input: LoginRequest): Promise<void> {
  const settings = (input.tenant.failedAuthenticationConfiguration ?? {}) as { tooManyAttempts?: number; resetCountInSeconds?: number; actionDuration?: number; actionDurationUnit?: string };
  const counted: FailedAuthenticationCounted = {
    type: 'FailedAuthenticationCounted',
    data: {
      userId: view.id,
      tenantId: view.tenantId,
      instant: ctx.now(),
      tooManyAttempts: settings.tooManyAttempts ?? 5,
      resetCountInSeconds: settings.resetCountInSeconds ?? 60,
      actionDurationMs: actionDurationMs(settings.actionDuration ?? 3, settings.actionDurationUnit ?? 'MINUTES'),
    },
  };
  const result = await ctx.eventStore.append(loginStream(view.id), [toEventData(failed(ctx, view, input, 'password'), input.metadata), toEventData(counted, input.metadata)], 'any');
  // The next attempt must see the count.
  await ctx.waiters.users.waitFor(result.position);
}

/** FusionAuth's Application Authentication Token: accepted in place of the password when enabled. */
function applicationTokenMatches(view: UserView, application: ConfigDocument | undefined, presented: string): boolean {
  if (!application || (application.authenticationTokenConfiguration as { enabled?: boolean } | undefined)?.enabled !== true) return false;
  const token = view.body.user.registrations?.find((r) => r.applicationId === application.id)?.authenticationToken;
  return typeof token === 'string' && token.length > 0 && constantTimeEqual(token, presented);
}

/** Re-hash on login (`modifyEncryptionSchemeOnLogin`): the proven plaintext, hashed under the tenant's scheme. */
async function maybeRehash(ctx: AppContext, view: UserView, tenant: ConfigDocument, password: string): Promise<void> {
  const configuration = (tenant.passwordEncryptionConfiguration ?? {}) as { encryptionScheme?: string; encryptionSchemeFactor?: number; modifyEncryptionSchemeOnLogin?: boolean };
  if (!configuration.modifyEncryptionSchemeOnLogin) return;
  const policy = { scheme: (configuration.encryptionScheme ?? 'argon2id') as PasswordSchemeName, ...(configuration.encryptionSchemeFactor && { factor: configuration.encryptionSchemeFactor }) };
  if (!needsRehash(view.body.password!, policy)) return;
  try {
    await rehashPassword(ctx, view.id, await hash(password, policy));
  } catch (error) {
    // The login does not depend on the upgrade; the next login tries again.
    ctx.logger.warn({ err: error, userId: view.id }, 'password re-hash on login failed');
  }
}

const verifiesEmail = (tenant: ConfigDocument): boolean => (tenant.emailConfiguration as { verifyEmail?: boolean } | undefined)?.verifyEmail === true;
const verificationStrategy = (tenant: ConfigDocument): string | undefined => (tenant.emailConfiguration as { verificationStrategy?: string } | undefined)?.verificationStrategy;
const generatesRefreshTokens = (application: ConfigDocument): boolean => (application.loginConfiguration as { generateRefreshTokens?: boolean } | undefined)?.generateRefreshTokens === true;

function failed(ctx: AppContext, view: UserView, input: LoginRequest, reason: LoginFailed['data']['reason']): LoginFailed {
  const user = view.body.user;
  return {
    type: 'LoginFailed',
    data: { userId: user.id, tenantId: user.tenantId, instant: ctx.now(), reason, info: input.info, ...(input.application && { applicationId: input.application.id }) },
  };
}

function toEventData(event: { type: string; data: unknown }, metadata?: EventMetadata) {
  return { id: randomUUID(), type: event.type, data: event.data, ...(metadata && { metadata }) };
}

/** Login records go to the user's login stream, appended without a read: logins never contend. */
export async function recordLogin(ctx: AppContext, event: LoginSucceeded | LoginFailed, metadata?: EventMetadata): Promise<number> {
  const result = await ctx.eventStore.append(loginStream(event.data.userId), [toEventData(event, metadata)], 'any');
  return result.position;
}

