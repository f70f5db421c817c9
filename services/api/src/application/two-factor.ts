/**
 * Two-factor authentication: methods on the user (authenticator TOTP per RFC 6238, email), recovery
 * codes, the pending login after a 242, the second step (`POST /api/two-factor/login`) and trusted
 * computers. Codes are checked in constant time; a pending login and a recovery code are each consumed
 * by one conditional append.
 */
import { createHmac, randomBytes, randomUUID, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { handleCommand } from '@idstream/commands';
import { constantTimeEqual, randomCode, randomToken, sha256Base64url, UNAMBIGUOUS_ALPHANUMERIC } from '@idstream/crypto';
import {
  foldPendingTwoFactor,
  NotFoundError,
  pendingTwoFactorOpen,
  pendingTwoFactorStream,
  RecoveryCodeInvalidError,
  twoFactorMethodsOf,
  twoFactorSecretsOf,
  twoFactorTrustStream,
  userDecider,
  userStream,
  ValidationError,
  type ConfigDocument,
  type PendingTwoFactorLogin,
  type TwoFactorMethod,
  type TwoFactorTrustGranted,
} from '@idstream/domain';
import { WrongExpectedRevisionError, type EventMetadata } from '@idstream/eventstore';
import { EMAILED_SECRET_PURPOSE } from '@idstream/reactors';
import type { UserView } from '@idstream/projection-user-views';
import type { AppContext } from './context.js';
import { findUser } from './users.js';
import { enforceRateLimit } from './request-rate-limits.js';

const TOTP_SECRET_PURPOSE = 'two-factor-totp-secret';
const RECOVERY_CODE_COUNT = 10;
const scryptAsync = promisify(scrypt) as (password: string, salt: string, keylen: number, options: { N: number }) => Promise<Buffer>;

// ---- TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s) ----

export function totp(secret: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac('sha1', secret).update(message).digest();
  const offset = digest[digest.length - 1]! & 0x0f;
  const binary = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(binary).padStart(6, '0');
}

/** Accepts the current step and one either side (clock drift), compared in constant time. */
export function verifyTotp(secret: Buffer, code: string, now: number): boolean {
  const step = Math.floor(now / 30_000);
  let ok = false;
  for (const counter of [step - 1, step, step + 1]) ok = constantTimeEqual(totp(secret, counter), code) || ok;
  return ok;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export function base32Encode(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer | undefined {
  const clean = text.replace(/=+$/, '').replace(/\s/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = BASE32.indexOf(char);
    if (index < 0) return undefined;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** `GET /api/two-factor/secret`: a fresh 160-bit secret in both of FusionAuth's encodings. */
export function generateSecret(): { secret: string; secretBase32Encoded: string } {
  const bytes = randomBytes(20);
  return { secret: bytes.toString('base64'), secretBase32Encoded: base32Encode(bytes) };
}

// ---- Recovery codes ----

/** Recovery codes have ~50 bits: a slow salted hash keeps a leaked digest from giving them away. */
async function recoveryCodeHash(userId: string, code: string): Promise<string> {
  const normalised = code.replace(/[\s-]/g, '').toUpperCase();
  return (await scryptAsync(normalised, `idstream-recovery-code:${userId}`, 32, { N: 16_384 })).toString('base64url');
}

async function newRecoveryCodes(userId: string): Promise<{ codes: string[]; hashes: string[] }> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => randomCode(10, UNAMBIGUOUS_ALPHANUMERIC));
  return { codes, hashes: await Promise.all(codes.map((code) => recoveryCodeHash(userId, code))) };
}

// ---- Methods ----

export interface EnableTwoFactorInput {
  method: 'authenticator' | 'email' | 'sms';
  code?: string;
  secret?: string;
  secretBase32Encoded?: string;
  email?: string;
  mobilePhone?: string;
}

function secretBytes(input: { secret?: string; secretBase32Encoded?: string }): Buffer | undefined {
  if (input.secretBase32Encoded) return base32Decode(input.secretBase32Encoded);
  if (input.secret) {
    const bytes = Buffer.from(input.secret, 'base64');
    return bytes.length >= 10 ? bytes : undefined;
  }
  return undefined;
}

/** Thrown for a wrong code: FusionAuth answers 421. */
export class InvalidTwoFactorCodeError extends Error {
  override readonly name = 'InvalidTwoFactorCodeError';
}

/** `POST /api/user/two-factor/{userId}`: adds a method; the first one also brings recovery codes. */
export async function enableTwoFactor(ctx: AppContext, userId: string, scopeTenantId: string | undefined, input: EnableTwoFactorInput): Promise<{ recoveryCodes?: string[] }> {
  const view = await findUser(ctx, { id: userId }, scopeTenantId);
  if (!view) throw new NotFoundError('user');
  const now = ctx.now();
  const id = randomCode(4, UNAMBIGUOUS_ALPHANUMERIC);
  let method: TwoFactorMethod;
  let sealedSecret: string | undefined;
  if (input.method === 'authenticator') {
    const secret = secretBytes(input);
    if (!secret) throw ValidationError.field('secret', 'invalid', 'You must specify a valid [secret] or [secretBase32Encoded] for the authenticator method.');
    if (!input.code) throw ValidationError.field('code', 'blank', 'You must specify the [code] property.');
    if (!verifyTotp(secret, input.code, now)) throw new InvalidTwoFactorCodeError('code');
    method = { id, method: 'authenticator', authenticator: { algorithm: 'HmacSHA1', codeLength: 6, timeStep: 30 } };
    sealedSecret = ctx.secrets.seal(TOTP_SECRET_PURPOSE, secret.toString('base64'));
  } else if (input.method === 'email') {
    const email = input.email ?? view.body.user.email;
    if (!email) throw ValidationError.field('email', 'blank', 'You must specify the [email] property for the email method.');
    method = { id, method: 'email', email };
  } else {
    if (!input.mobilePhone) throw ValidationError.field('mobilePhone', 'blank', 'You must specify the [mobilePhone] property for the sms method.');
    method = { id, method: 'sms', mobilePhone: input.mobilePhone };
  }
  const first = twoFactorMethodsOf(view.body.user).length === 0;
  const recovery = first ? await newRecoveryCodes(view.id) : undefined;
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, {
    type: 'EnableTwoFactor',
    method,
    ...(sealedSecret && { sealedSecret }),
    recoveryCodeHashes: recovery?.hashes ?? [],
    instant: now,
  });
  await ctx.waiters.users.waitFor(result.position);
  return recovery ? { recoveryCodes: recovery.codes } : {};
}

/** `DELETE /api/user/two-factor/{userId}?methodId&code`: a code of that method, or a recovery code. */
export async function disableTwoFactor(ctx: AppContext, userId: string, scopeTenantId: string | undefined, input: { methodId: string; code: string }): Promise<void> {
  const view = await findUser(ctx, { id: userId }, scopeTenantId);
  if (!view) throw new NotFoundError('user');
  const method = twoFactorMethodsOf(view.body.user).find((m) => m.id === input.methodId);
  if (!method) throw ValidationError.field('methodId', 'invalid', `The two-factor method [${input.methodId}] does not exist for this user.`);
  const now = ctx.now();
  const byMethod = method.method === 'authenticator' && verifyAuthenticator(ctx, view, method.id, input.code, now);
  if (!byMethod) await useRecoveryCode(ctx, view, input.code);
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'DisableTwoFactor', methodId: method.id, instant: now });
  await ctx.waiters.users.waitFor(result.position);
}

/** `POST /api/user/two-factor/recovery-code/{userId}`: replaces the recovery codes. */
export async function regenerateRecoveryCodes(ctx: AppContext, userId: string, scopeTenantId: string | undefined): Promise<string[]> {
  const view = await findUser(ctx, { id: userId }, scopeTenantId);
  if (!view) throw new NotFoundError('user');
  const recovery = await newRecoveryCodes(view.id);
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'GenerateRecoveryCodes', hashes: recovery.hashes, instant: ctx.now() });
  await ctx.waiters.users.waitFor(result.position);
  return recovery.codes;
}

function verifyAuthenticator(ctx: AppContext, view: UserView, methodId: string, code: string, now: number): boolean {
  const sealed = twoFactorSecretsOf(view.body).sealedSecrets[methodId];
  if (!sealed || !/^\d{6}$/.test(code)) return false;
  return verifyTotp(Buffer.from(ctx.secrets.open(TOTP_SECRET_PURPOSE, sealed), 'base64'), code, now);
}

/** Consumes a recovery code in one conditional append on the user stream; throws 421 when it is not one. */
async function useRecoveryCode(ctx: AppContext, view: UserView, code: string): Promise<void> {
  if (code.length < 8 || code.length > 32) throw new InvalidTwoFactorCodeError('code');
  const digest = await recoveryCodeHash(view.id, code);
  if (!twoFactorSecretsOf(view.body).recoveryCodeHashes.includes(digest)) throw new InvalidTwoFactorCodeError('code');
  try {
    const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'UseRecoveryCode', hash: digest, instant: ctx.now() });
    await ctx.waiters.users.waitFor(result.position);
  } catch (error) {
    if (error instanceof RecoveryCodeInvalidError) throw new InvalidTwoFactorCodeError('code');
    throw error;
  }
}

// ---- Pending logins ----

export interface PendingLogin {
  login: PendingTwoFactorLogin;
  revision: number;
  sentCodes: { methodId: string; codeHash: string; expiresAt: number }[];
}

export async function loadPendingLogin(ctx: AppContext, twoFactorId: string): Promise<PendingLogin | undefined> {
  if (twoFactorId.length === 0 || twoFactorId.length > 256) return undefined;
  const events = await ctx.eventStore.readStream(pendingTwoFactorStream(twoFactorId));
  const state = foldPendingTwoFactor(events);
  if (!pendingTwoFactorOpen(state, ctx.now())) return undefined;
  return { login: state.login, revision: events[events.length - 1]!.revision, sentCodes: state.sentCodes };
}

/** `POST /api/two-factor/send/{twoFactorId}`: a code for the email (or SMS) method, stored as a digest. */
export async function sendTwoFactorCode(ctx: AppContext, twoFactorId: string, methodId: string | undefined): Promise<void> {
  const pending = await loadPendingLogin(ctx, twoFactorId);
  if (!pending) throw new NotFoundError('twoFactorId');
  const view = await findUser(ctx, { id: pending.login.userId }, pending.login.tenantId);
  if (!view) throw new NotFoundError('user');
  const tenant = (await ctx.readModels.config.Tenant.get(view.tenantId))?.body;
  if (tenant) enforceRateLimit(tenant, 'sendTwoFactor', view.id, undefined, ctx.now());
  const methods = twoFactorMethodsOf(view.body.user).filter((m) => m.method !== 'authenticator');
  const method = methodId ? methods.find((m) => m.id === methodId) : methods[0];
  if (!method) throw ValidationError.field('methodId', 'invalid', 'The user has no two-factor method with this id that can receive a code.');
  const code = randomCode(6);
  const now = ctx.now();
  await ctx.eventStore.append(
    pendingTwoFactorStream(twoFactorId),
    [{
      id: randomUUID(),
      type: 'TwoFactorCodeSent',
      data: {
        userId: view.id,
        tenantId: view.tenantId,
        methodId: method.id,
        codeHash: sha256Base64url(`${twoFactorId}:${code}`),
        // Only a delivering worker can open it: the plaintext code never sits in the log.
        sealedCode: ctx.secrets.seal(EMAILED_SECRET_PURPOSE, code),
        expiresAt: pending.login.expiresAt,
        instant: now,
        ...(method.email && { email: method.email }),
        ...(method.mobilePhone && { mobilePhone: method.mobilePhone }),
      },
    }],
    pending.revision,
  );
}

export type TwoFactorCheck = { kind: 'unknown' } | { kind: 'invalid' } | { kind: 'valid'; view: UserView; login: PendingTwoFactorLogin };

/**
 * The second step: the code must be a current TOTP of an authenticator method, a code sent for this
 * login, or an unused recovery code. A wrong code counts against the pending login (it dies after a
 * few); a right one closes it in one conditional append, so two requests cannot both complete it.
 */
export async function checkTwoFactorCode(ctx: AppContext, twoFactorId: string, code: string, metadata?: EventMetadata): Promise<TwoFactorCheck> {
  const pending = await loadPendingLogin(ctx, twoFactorId);
  if (!pending) return { kind: 'unknown' };
  const view = await findUser(ctx, { id: pending.login.userId }, pending.login.tenantId);
  if (!view) return { kind: 'unknown' };
  const now = ctx.now();
  const methods = twoFactorMethodsOf(view.body.user);
  let methodId = methods.find((m) => m.method === 'authenticator' && verifyAuthenticator(ctx, view, m.id, code, now))?.id;
  if (!methodId) {
    const presented = sha256Base64url(`${twoFactorId}:${code}`);
    methodId = pending.sentCodes.find((s) => s.expiresAt > now && constantTimeEqual(s.codeHash, presented))?.methodId;
  }
  let byRecoveryCode = false;
  if (!methodId) {
    try {
      await useRecoveryCode(ctx, view, code);
      byRecoveryCode = true;
    } catch (error) {
      if (!(error instanceof InvalidTwoFactorCodeError)) throw error;
      await ctx.eventStore
        .append(pendingTwoFactorStream(twoFactorId), [{ id: randomUUID(), type: 'TwoFactorCodeRejected', data: { userId: view.id, instant: now }, ...(metadata && { metadata }) }], pending.revision)
        .catch((appendError) => {
          if (!(appendError instanceof WrongExpectedRevisionError)) throw appendError;
        });
      return { kind: 'invalid' };
    }
  }
  try {
    await ctx.eventStore.append(
      pendingTwoFactorStream(twoFactorId),
      [{ id: randomUUID(), type: 'TwoFactorLoginCompleted', data: { userId: view.id, instant: now, ...(methodId && { methodId }), ...(byRecoveryCode && { recoveryCode: true }) }, ...(metadata && { metadata }) }],
      pending.revision,
    );
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) return { kind: 'unknown' };
    throw error;
  }
  // A recovery code changed the user: read the view it produced.
  const current = byRecoveryCode ? ((await findUser(ctx, { id: view.id }, view.tenantId)) ?? view) : view;
  return { kind: 'valid', view: current, login: pending.login };
}

// ---- Trusted computers ----

export async function grantTrust(ctx: AppContext, userId: string, tenant: ConfigDocument, metadata?: EventMetadata): Promise<{ trustId: string; expiresAt: number }> {
  const trustId = randomToken(32);
  const now = ctx.now();
  const ttl = Number((tenant.externalIdentifierConfiguration as { twoFactorTrustIdTimeToLiveInSeconds?: number } | undefined)?.twoFactorTrustIdTimeToLiveInSeconds ?? 2_592_000);
  const event: TwoFactorTrustGranted = { type: 'TwoFactorTrustGranted', data: { userId, tenantId: tenant.id, expiresAt: now + ttl * 1000, instant: now } };
  await ctx.eventStore.append(twoFactorTrustStream(trustId), [{ id: randomUUID(), type: event.type, data: event.data, ...(metadata && { metadata }) }], 'no_stream');
  return { trustId, expiresAt: event.data.expiresAt };
}

/** A trust id counts for the user it was granted to, until it expires. */
export async function isTrusted(ctx: AppContext, trustId: string, userId: string, now: number): Promise<boolean> {
  if (trustId.length === 0 || trustId.length > 256) return false;
  const events = await ctx.eventStore.readStream(twoFactorTrustStream(trustId));
  const granted = events.find((e) => e.type === 'TwoFactorTrustGranted')?.data as TwoFactorTrustGranted['data'] | undefined;
  return Boolean(granted && granted.userId === userId && granted.expiresAt > now);
}

