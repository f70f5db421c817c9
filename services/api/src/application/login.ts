/**
 * Password login (FusionAuth's `POST /api/login`): find the user by loginId within the tenant, verify
 * the password, record the outcome as an event and answer with the user and an access token.
 * Nothing on this path touches the search engine.
 */
import { randomUUID } from 'node:crypto';
import { verify, verifyDummy } from '@idstream/crypto';
import { loginStream, type ConfigDocument, type LoginFailed, type LoginSucceeded, type RequestInfo, type UserRecord } from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import type { AppContext } from './context.js';
import { findUser, presentUser } from './users.js';
import { issueAccessToken, type IssuedToken } from './tokens.js';

export interface LoginInput {
  loginId: string;
  password: string;
  tenant: ConfigDocument;
  application?: ConfigDocument;
  noJWT: boolean;
  info: RequestInfo;
  metadata?: EventMetadata;
  withEncryptionScheme: boolean;
}

export type LoginOutcome =
  | { status: 404 }
  | { status: 410 }
  | { status: 423 }
  | { status: 200 | 202; user: UserRecord; token?: IssuedToken };

export async function passwordLogin(ctx: AppContext, input: LoginInput): Promise<LoginOutcome> {
  const view = await findUser(ctx, { loginId: input.loginId }, input.tenant.id);
  if (!view || !view.body.password) {
    // Spend the time a real verification costs, so response time does not reveal which accounts exist.
    await verifyDummy(input.password);
    return { status: 404 };
  }
  const now = ctx.now();
  const user = view.body.user;
  const base = { userId: user.id, tenantId: user.tenantId, instant: now, ...(input.application && { applicationId: input.application.id }), info: input.info };

  if (!(await verify(input.password, view.body.password))) {
    await record(ctx, user.id, { type: 'LoginFailed', data: { ...base, reason: 'password' } }, input.metadata);
    return { status: 404 };
  }
  if (!user.active) {
    await record(ctx, user.id, { type: 'LoginFailed', data: { ...base, reason: 'inactive' } }, input.metadata);
    return { status: 423 };
  }
  if (typeof user.expiry === 'number' && user.expiry <= now) {
    await record(ctx, user.id, { type: 'LoginFailed', data: { ...base, reason: 'expired' } }, input.metadata);
    return { status: 410 };
  }

  const position = await record(ctx, user.id, { type: 'LoginSucceeded', data: { ...base, authenticationType: 'PASSWORD' } }, input.metadata);
  const loggedIn = { ...presentUser(view, input.withEncryptionScheme), lastLoginInstant: now };
  const registered = !input.application || Boolean(user.registrations?.some((r) => r.applicationId === input.application!.id));
  const token = input.noJWT
    ? undefined
    : await issueAccessToken(ctx, { user: loggedIn, tenant: input.tenant, ...(input.application && { application: input.application }), authenticationType: 'PASSWORD', authTime: now });
  // The user view shows this login (lastLoginInstant) to any read that follows the answer.
  await ctx.waiters.users.waitFor(position);
  return { status: registered ? 200 : 202, user: loggedIn, ...(token && { token }) };
}

/** Login records go to the user's login stream, appended without a read: logins never contend. */
async function record(ctx: AppContext, userId: string, event: LoginSucceeded | LoginFailed, metadata?: EventMetadata): Promise<number> {
  const result = await ctx.eventStore.append(loginStream(userId), [{ id: randomUUID(), type: event.type, data: event.data, ...(metadata && { metadata }) }], 'any');
  return result.position;
}
