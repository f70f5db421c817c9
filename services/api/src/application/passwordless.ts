/**
 * Passwordless login (FusionAuth's `/api/passwordless/*`): issue a code for a user of an application
 * that enables it, have it emailed, and complete the login with it exactly once.
 */
import { handleCommand } from '@idstream/commands';
import {
  ConflictError,
  fold,
  isUsable,
  NotFoundError,
  PASSWORDLESS_CODE_PURPOSE,
  passwordlessDecider,
  PASSWORDLESS_CODE_DIGEST_PURPOSE,
  passwordlessStreamForDigest,
  ValidationError,
  type ConfigDocument,
  type PasswordlessCode,
  type PasswordlessCommand,
  type PasswordlessEvent,
} from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import type { AppContext } from './context.js';
import { completeLogin, type LoginOutcome, type LoginRequest } from './login.js';
import { codeTimeToLiveMs, generateCode } from './passwordless-codes.js';
import { takeSendAllowance } from './passwordless-rate-limit.js';
import { findUser } from './users.js';

export interface PasswordlessStartInput {
  applicationId: string;
  loginId: string;
  state?: Record<string, unknown>;
  /** Tenant the request is scoped to (header or tenant-locked key). */
  scopedTenantId?: string;
  metadata?: EventMetadata;
}

/** A 429 the route answers with `Retry-After`. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super('passwordless send rate limit reached');
  }
}

const MAX_CODE_DRAWS = 5;
const MAX_CODE_LENGTH = 1024;

/** `POST /api/passwordless/start`: a new code for the user; 404 when there is no such user. */
export async function startPasswordless(ctx: AppContext, input: PasswordlessStartInput): Promise<{ code: string }> {
  const { tenant, application } = await passwordlessApplication(ctx, input.applicationId, input.scopedTenantId);
  const view = await findUser(ctx, { loginId: input.loginId }, tenant.id);
  if (!view) throw new NotFoundError('user');
  return issueCode(ctx, { tenant, application, userId: view.body.user.id, ...(input.state && { state: input.state }), ...(input.metadata && { metadata: input.metadata }) });
}

/**
 * The older combined `POST /api/passwordless/send` with `loginId`: issue and email in one append.
 * An unknown loginId answers like a known one (this API needs no key, so it must not enumerate users).
 */
export async function startAndSendPasswordless(ctx: AppContext, input: PasswordlessStartInput & { ipAddress?: string }): Promise<void> {
  const { tenant, application } = await passwordlessApplication(ctx, input.applicationId, input.scopedTenantId);
  const view = await findUser(ctx, { loginId: input.loginId }, tenant.id);
  if (!view) return;
  enforceSendLimit(ctx, tenant, view.body.user.id, input.ipAddress);
  await issueCode(ctx, {
    tenant,
    application,
    userId: view.body.user.id,
    send: { ...(input.ipAddress && { ipAddress: input.ipAddress }) },
    ...(input.state && { state: input.state }),
    ...(input.metadata && { metadata: input.metadata }),
  });
}

/** `POST /api/passwordless/send` with `code`: email a started code. */
export async function sendPasswordlessCode(ctx: AppContext, input: { code: string; scopedTenantId?: string; ipAddress?: string; metadata?: EventMetadata }): Promise<void> {
  const found = await loadCode(ctx, input.code);
  if (!found || (input.scopedTenantId && found.tenantId !== input.scopedTenantId)) {
    throw ValidationError.field('code', 'invalid', 'The [code] is not valid. It may have expired or already been used.');
  }
  const tenant = (await ctx.readModels.config.Tenant.get(found.tenantId))?.body;
  if (!tenant) throw ValidationError.field('code', 'invalid', 'The [code] is not valid.');
  enforceSendLimit(ctx, tenant, found.userId, input.ipAddress);
  try {
    await runCommand(ctx, input.code, { type: 'SendCode', now: ctx.now(), ...(input.ipAddress && { ipAddress: input.ipAddress }) }, { ...input.metadata, tenantId: found.tenantId });
  } catch (error) {
    // Consumed or expired between the read and the append.
    if (error instanceof NotFoundError) throw ValidationError.field('code', 'invalid', 'The [code] is not valid. It may have expired or already been used.');
    throw error;
  }
}

/** The Login API's request fields (no tenant or application: the code brings them). */
export type PasswordlessLoginInput = Omit<LoginRequest, 'tenant' | 'application' | 'state'> & { code: string; scopedTenantId?: string };

/** The login's outcome, with the tenant and application the code was for (the response needs them). */
export type PasswordlessLoginResult = { outcome: LoginOutcome; tenant?: ConfigDocument; application?: ConfigDocument };

/**
 * `POST /api/passwordless/login`: consume the code (one conditional append: of any number of
 * concurrent uses exactly one succeeds), then the shared login path. Unknown, expired or used → 404.
 */
export async function passwordlessLogin(ctx: AppContext, input: PasswordlessLoginInput): Promise<PasswordlessLoginResult> {
  // No read before the write: the consuming append itself decides, so it is the only guard.
  let code: PasswordlessCode;
  try {
    if (input.code.length === 0 || input.code.length > MAX_CODE_LENGTH) return notFound;
    const consumed = await runCommand(ctx, input.code, {
      type: 'ConsumeCode',
      now: ctx.now(),
      ...(input.scopedTenantId && { tenantId: input.scopedTenantId }),
      ...(input.info.ipAddress && { ipAddress: input.info.ipAddress }),
    }, input.metadata);
    code = consumed.state.code!;
  } catch (error) {
    if (error instanceof NotFoundError) return notFound;
    throw error;
  }
  const [tenant, application, view] = await Promise.all([
    ctx.readModels.config.Tenant.get(code.tenantId),
    ctx.readModels.config.Application.get(code.applicationId),
    findUser(ctx, { id: code.userId }, code.tenantId),
  ]);
  if (!tenant || !application || !view) return notFound;
  const { code: _code, scopedTenantId: _scope, ...request } = input;
  const outcome = await completeLogin(ctx, view, { ...request, tenant: tenant.body, application: application.body, ...(code.state && { state: code.state }) }, 'PASSWORDLESS');
  return { outcome, tenant: tenant.body, application: application.body };
}

const notFound: PasswordlessLoginResult = { outcome: { status: 404 } };

/** The code's current state if it can still be used, read from its own stream. */
export async function loadCode(ctx: AppContext, code: string): Promise<PasswordlessCode | undefined> {
  const status = await codeStatus(ctx, code);
  return status.kind === 'usable' ? status.code : undefined;
}

export type CodeStatus = { kind: 'unknown' } | { kind: 'used' | 'expired'; code: PasswordlessCode } | { kind: 'usable'; code: PasswordlessCode };

/** Why a code can or cannot be used: the magic-link page tells people which. */
export async function codeStatus(ctx: AppContext, code: string): Promise<CodeStatus> {
  if (code.length === 0 || code.length > MAX_CODE_LENGTH) return { kind: 'unknown' };
  const events = await ctx.eventStore.readStream(passwordlessCodeStream(ctx, code));
  const state = fold(passwordlessDecider, events.map((e) => ({ type: e.type, data: e.data }) as PasswordlessEvent));
  if (!state.code) return { kind: 'unknown' };
  if (isUsable(state, ctx.now())) return { kind: 'usable', code: state.code };
  return { kind: state.code.consumedAt !== undefined ? 'used' : 'expired', code: state.code };
}

async function passwordlessApplication(ctx: AppContext, applicationId: string, scopedTenantId: string | undefined): Promise<{ tenant: ConfigDocument; application: ConfigDocument }> {
  const application = (await ctx.readModels.config.Application.get(applicationId))?.body;
  // An application of another tenant is reported as missing: a scoped caller learns nothing about it.
  if (!application || (scopedTenantId && application.tenantId !== scopedTenantId)) {
    throw ValidationError.field('applicationId', 'invalid', `No Application with Id [${applicationId}] exists.`);
  }
  if ((application.passwordlessConfiguration as { enabled?: boolean } | undefined)?.enabled !== true) {
    throw ValidationError.field('applicationId', 'disabled', `Passwordless login is not enabled for the Application with Id [${applicationId}].`);
  }
  const tenant = (await ctx.readModels.config.Tenant.get(application.tenantId as string))?.body;
  if (!tenant) throw ValidationError.field('applicationId', 'invalid', `No Application with Id [${applicationId}] exists.`);
  return { tenant, application };
}

async function issueCode(
  ctx: AppContext,
  input: { tenant: ConfigDocument; application: ConfigDocument; userId: string; state?: Record<string, unknown>; send?: { ipAddress?: string }; metadata?: EventMetadata },
): Promise<{ code: string }> {
  for (let draw = 1; ; draw++) {
    const code = generateCode(input.tenant);
    const now = ctx.now();
    try {
      await runCommand(
        ctx,
        code,
        {
          type: 'IssueCode',
          userId: input.userId,
          tenantId: input.tenant.id,
          applicationId: input.application.id,
          now,
          expiresAt: now + codeTimeToLiveMs(input.tenant),
          sealedCode: ctx.secrets.seal(PASSWORDLESS_CODE_PURPOSE, code),
          ...(input.state && { state: input.state }),
          ...(input.send && { send: input.send }),
        },
        { ...input.metadata, tenantId: input.tenant.id },
      );
      return { code };
    } catch (error) {
      // Short codes can collide with a live one; draw again.
      if (error instanceof ConflictError && draw < MAX_CODE_DRAWS) continue;
      throw error;
    }
  }
}

/** The code's stream, named by its keyed digest (the code itself never reaches the event store). */
export function passwordlessCodeStream(ctx: AppContext, code: string): string {
  return passwordlessStreamForDigest(ctx.secrets.digest(PASSWORDLESS_CODE_DIGEST_PURPOSE, code));
}

function runCommand(ctx: AppContext, code: string, command: PasswordlessCommand, metadata?: EventMetadata) {
  const stream = passwordlessCodeStream(ctx, code);
  return handleCommand(ctx.eventStore, stream, stream, passwordlessDecider, command, metadata ? { metadata } : {});
}

function enforceSendLimit(ctx: AppContext, tenant: ConfigDocument, userId: string, ipAddress: string | undefined): void {
  const verdict = takeSendAllowance(tenant, userId, ipAddress, ctx.now());
  if (!verdict.allowed) throw new RateLimitedError(verdict.retryAfterSeconds ?? 1);
}
