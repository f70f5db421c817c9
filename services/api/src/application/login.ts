/**
 * Login (FusionAuth's `POST /api/login` and every other way in): identify the user, check the
 * credential, then `completeLogin` applies the shared state checks, records the outcome as an event
 * and issues tokens. Nothing on this path touches the search engine.
 */
import { randomUUID } from 'node:crypto';
import { verify, verifyDummy } from '@idstream/crypto';
import { loginStream, type ConfigDocument, type LoginFailed, type LoginSucceeded, type RequestInfo, type UserRecord } from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import type { UserView } from '@idstream/projection-user-views';
import type { AppContext } from './context.js';
import { findUser, presentUser } from './users.js';
import { issueAccessToken, type IssuedToken } from './tokens.js';

/** Everything a login needs besides the credential. */
export interface LoginRequest {
  tenant: ConfigDocument;
  application?: ConfigDocument;
  noJWT: boolean;
  info: RequestInfo;
  metadata?: EventMetadata;
  /** `user.encryptionScheme` is shown to API-key callers only. */
  withEncryptionScheme: boolean;
}

export type LoginOutcome =
  | { status: 404 }
  | { status: 410 }
  | { status: 423 }
  | { status: 200 | 202; user: UserRecord; token?: IssuedToken };

export async function passwordLogin(ctx: AppContext, input: LoginRequest & { loginId: string; password: string }): Promise<LoginOutcome> {
  const view = await findUser(ctx, { loginId: input.loginId }, input.tenant.id);
  if (!view || !view.body.password) {
    // Spend the time a real verification costs, so response time does not reveal which accounts exist.
    await verifyDummy(input.password);
    return { status: 404 };
  }
  if (!(await verify(input.password, view.body.password))) {
    await recordLogin(ctx, failed(ctx, view, input, 'password'), input.metadata);
    return { status: 404 };
  }
  return completeLogin(ctx, view, input, 'PASSWORD');
}

/**
 * After the credential is proven (password, passwordless code, identity provider…): account state
 * checks, the login record, the user view update and the tokens. `authenticationType` is FusionAuth's
 * JWT claim value (PASSWORD, PASSWORDLESS, SAMLv2, FACEBOOK…).
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
  const succeeded: LoginSucceeded = {
    type: 'LoginSucceeded',
    data: { userId: user.id, tenantId: user.tenantId, instant: now, authenticationType, info: input.info, ...(input.application && { applicationId: input.application.id }) },
  };
  const position = await recordLogin(ctx, succeeded, input.metadata);
  const loggedIn = { ...presentUser(view, input.withEncryptionScheme), lastLoginInstant: now };
  const registered = !input.application || Boolean(user.registrations?.some((r) => r.applicationId === input.application!.id));
  const token = input.noJWT
    ? undefined
    : await issueAccessToken(ctx, { user: loggedIn, tenant: input.tenant, ...(input.application && { application: input.application }), authenticationType, authTime: now });
  // The user view shows this login (lastLoginInstant) to any read that follows the answer.
  await ctx.waiters.users.waitFor(position);
  return { status: registered ? 200 : 202, user: loggedIn, ...(token && { token }) };
}

function failed(ctx: AppContext, view: UserView, input: LoginRequest, reason: LoginFailed['data']['reason']): LoginFailed {
  const user = view.body.user;
  return {
    type: 'LoginFailed',
    data: { userId: user.id, tenantId: user.tenantId, instant: ctx.now(), reason, info: input.info, ...(input.application && { applicationId: input.application.id }) },
  };
}

/** Login records go to the user's login stream, appended without a read: logins never contend. */
export async function recordLogin(ctx: AppContext, event: LoginSucceeded | LoginFailed, metadata?: EventMetadata): Promise<number> {
  const result = await ctx.eventStore.append(loginStream(event.data.userId), [{ id: randomUUID(), type: event.type, data: event.data, ...(metadata && { metadata }) }], 'any');
  return result.position;
}
