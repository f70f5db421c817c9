/**
 * Email verification: issuing verification ids (and, with the tenant's form-field strategy, a short
 * code), verifying them, an admin's direct verification, and resending.
 */
import { handleCommand } from '@idstream/commands';
import { randomCode, randomToken, sha256Base64url, UNAMBIGUOUS_ALPHANUMERIC } from '@idstream/crypto';
import { NotFoundError, userDecider, userStream, type ConfigDocument } from '@idstream/domain';
import { EMAILED_SECRET_PURPOSE } from '@idstream/reactors';
import type { AppContext } from './context.js';
import { findUser } from './users.js';
import { enforceRateLimit } from './request-rate-limits.js';

interface EmailConfiguration {
  verifyEmail?: boolean;
  verificationStrategy?: 'ClickableLink' | 'FormField';
  implicitEmailVerificationAllowed?: boolean;
}

export const emailConfigurationOf = (tenant: ConfigDocument): EmailConfiguration => (tenant.emailConfiguration ?? {}) as EmailConfiguration;
export const tenantVerifiesEmail = (tenant: ConfigDocument): boolean => emailConfigurationOf(tenant).verifyEmail === true;

/** Lifetimes of emailed ids in seconds (FusionAuth's `externalIdentifierConfiguration` names and defaults). */
export function idLifetimeSeconds(tenant: ConfigDocument, name: 'emailVerificationIdTimeToLiveInSeconds' | 'changePasswordIdTimeToLiveInSeconds' | 'setupPasswordIdTimeToLiveInSeconds' | 'oneTimePasswordTimeToLiveInSeconds'): number {
  const defaults = { emailVerificationIdTimeToLiveInSeconds: 86_400, changePasswordIdTimeToLiveInSeconds: 600, setupPasswordIdTimeToLiveInSeconds: 86_400, oneTimePasswordTimeToLiveInSeconds: 60 };
  const configured = (tenant.externalIdentifierConfiguration as Record<string, unknown> | undefined)?.[name];
  return typeof configured === 'number' && configured > 0 ? configured : defaults[name];
}

export interface IssuedVerification {
  position: number;
  verificationId: string;
  oneTimeCode?: string;
}

export async function startEmailVerification(
  ctx: AppContext,
  input: { userId: string; tenant: ConfigDocument; sendEmail: boolean; applicationId?: string },
): Promise<IssuedVerification> {
  const verificationId = randomToken(32);
  const oneTimeCode = emailConfigurationOf(input.tenant).verificationStrategy === 'FormField' ? randomCode(6, UNAMBIGUOUS_ALPHANUMERIC) : undefined;
  const result = await handleCommand(ctx.eventStore, userStream(input.userId), input.userId, userDecider, {
    type: 'StartEmailVerification',
    idHash: sha256Base64url(verificationId),
    ...(oneTimeCode && { codeHash: sha256Base64url(oneTimeCode) }),
    expiresAt: ctx.now() + idLifetimeSeconds(input.tenant, 'emailVerificationIdTimeToLiveInSeconds') * 1000,
    sendEmail: input.sendEmail,
    // The worker must put the id in the email: it travels sealed, never in plaintext.
    ...(input.sendEmail && { sealedId: ctx.secrets.seal(EMAILED_SECRET_PURPOSE, verificationId) }),
    ...(input.sendEmail && oneTimeCode && { sealedCode: ctx.secrets.seal(EMAILED_SECRET_PURPOSE, oneTimeCode) }),
    ...(input.applicationId && { applicationId: input.applicationId }),
  });
  return { position: result.position, verificationId, ...(oneTimeCode && { oneTimeCode }) };
}

/** `POST /api/user/verify-email` with a verification id (and the code when the tenant asks for one). */
export async function verifyEmail(ctx: AppContext, input: { verificationId: string; oneTimeCode?: string; scopeTenantId?: string }): Promise<void> {
  const view = await findUser(ctx, { verificationId: input.verificationId }, input.scopeTenantId);
  if (!view) throw new NotFoundError('verificationId');
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, {
    type: 'VerifyEmail',
    instant: ctx.now(),
    idHash: sha256Base64url(input.verificationId),
    ...(input.oneTimeCode !== undefined && { codeHash: sha256Base64url(input.oneTimeCode.toUpperCase()) }),
  });
  await ctx.waiters.users.waitFor(result.position);
}

/** An administrator marks the user verified with no process (API key + `userId`). */
export async function markEmailVerified(ctx: AppContext, userId: string, scopeTenantId: string | undefined): Promise<void> {
  const view = await findUser(ctx, { id: userId }, scopeTenantId);
  if (!view) throw new NotFoundError(userId);
  if (view.body.user.verified) return;
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'VerifyEmail', instant: ctx.now() });
  await ctx.waiters.users.waitFor(result.position);
}

/** `PUT /api/user/verify-email`: a new verification id, emailed unless `sendEmail` is false. */
export async function resendVerification(
  ctx: AppContext,
  input: { email: string; tenant: ConfigDocument; sendEmail: boolean; applicationId?: string; ipAddress?: string },
): Promise<IssuedVerification> {
  const view = await findUser(ctx, { email: input.email }, input.tenant.id);
  if (!view) throw new NotFoundError('user');
  enforceRateLimit(input.tenant, 'sendEmailVerification', view.id, input.ipAddress, ctx.now());
  const issued = await startEmailVerification(ctx, { userId: view.id, tenant: input.tenant, sendEmail: input.sendEmail, ...(input.applicationId && { applicationId: input.applicationId }) });
  await ctx.waiters.users.waitFor(issued.position);
  return issued;
}
