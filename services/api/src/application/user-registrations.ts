/**
 * Registrations (FusionAuth's Registration API): a user's membership of an application, with roles
 * validated against the application's roles.
 */
import { randomUUID } from 'node:crypto';
import { handleCommand } from '@idstream/commands';
import { FieldErrors, NotFoundError, applyPatch, userDecider, userStream, type ConfigDocument, type PatchFormat, type Registration, type RequestInfo } from '@idstream/domain';
import type { EventMetadata } from '@idstream/eventstore';
import type { AppContext } from './context.js';
import { findUser } from './users.js';
import { isObject, isUuid } from '../http/input.js';

interface Scope {
  scopeTenantId?: string;
  info?: RequestInfo;
  metadata?: EventMetadata;
}

async function validate(ctx: AppContext, source: Record<string, unknown>, tenantId: string, now: number, existing?: Registration): Promise<Registration> {
  const errors = new FieldErrors();
  const applicationId = isUuid(source.applicationId) ? source.applicationId.toLowerCase() : undefined;
  let app: ConfigDocument | undefined;
  if (!applicationId) errors.add('registration.applicationId', source.applicationId === undefined ? 'blank' : 'couldNotConvert', 'You must specify the [registration.applicationId] as a UUID.');
  else {
    app = (await ctx.readModels.config.Application.get(applicationId))?.body;
    if (!app || (app.tenantId && app.tenantId !== tenantId)) errors.add('registration.applicationId', 'invalid', `The application [${applicationId}] does not exist.`);
  }
  const roles = source.roles;
  if (roles !== undefined && roles !== null && (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string'))) errors.add('registration.roles', 'couldNotConvert', '[registration.roles] must be an array of strings.');
  else if (Array.isArray(roles) && app) {
    const known = new Set(((app.roles ?? []) as { name: string }[]).map((r) => r.name));
    const unknown = (roles as string[]).filter((r) => !known.has(r));
    if (unknown.length > 0) errors.add('registration.roles', 'invalid', `The roles [${unknown.join(', ')}] do not exist in the application.`);
  }
  if (source.data !== undefined && source.data !== null && !isObject(source.data)) errors.add('registration.data', 'couldNotConvert', '[registration.data] must be an object.');
  for (const field of ['username', 'timezone'] as const) {
    if (source[field] !== undefined && source[field] !== null && typeof source[field] !== 'string') errors.add(`registration.${field}`, 'couldNotConvert', `[registration.${field}] must be a string.`);
  }
  errors.throwIfAny();
  const clean = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== null));
  return {
    ...clean,
    id: existing?.id ?? (isUuid(source.id) ? source.id.toLowerCase() : randomUUID()),
    applicationId: applicationId!,
    roles: [...new Set((roles as string[] | undefined) ?? [])].sort(),
    verified: existing?.verified ?? source.verified === true,
    insertInstant: existing?.insertInstant ?? now,
    ...(existing?.lastLoginInstant !== undefined && { lastLoginInstant: existing.lastLoginInstant }),
  };
}

export async function createRegistration(ctx: AppContext, userId: string, source: Record<string, unknown>, scope: Scope): Promise<Registration> {
  const view = await findUser(ctx, { id: userId }, scope.scopeTenantId);
  if (!view) throw new NotFoundError(userId);
  const registration = await validate(ctx, source, view.tenantId, ctx.now());
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'CreateRegistration', registration, ...(scope.info && { info: scope.info }) }, scope.metadata ? { metadata: scope.metadata } : {});
  await ctx.waiters.users.waitFor(result.position);
  return registration;
}

export async function getRegistration(ctx: AppContext, userId: string, applicationId: string, scopeTenantId?: string): Promise<Registration> {
  const view = await findUser(ctx, { id: userId }, scopeTenantId);
  const registration = view?.body.user.registrations?.find((r) => r.applicationId === applicationId.toLowerCase());
  if (!registration) throw new NotFoundError('registration');
  return registration;
}

export async function updateRegistration(ctx: AppContext, userId: string, source: Record<string, unknown>, scope: Scope): Promise<Registration> {
  const view = await findUser(ctx, { id: userId }, scope.scopeTenantId);
  if (!view) throw new NotFoundError(userId);
  const existing = view.body.user.registrations?.find((r) => r.applicationId === String(source.applicationId ?? '').toLowerCase());
  if (!existing) throw new NotFoundError('registration');
  const registration = await validate(ctx, source, view.tenantId, ctx.now(), existing);
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'UpdateRegistration', registration, ...(scope.info && { info: scope.info }) }, scope.metadata ? { metadata: scope.metadata } : {});
  await ctx.waiters.users.waitFor(result.position);
  return registration;
}

export async function patchRegistration(ctx: AppContext, userId: string, applicationId: string, patch: unknown, format: PatchFormat, scope: Scope): Promise<Registration> {
  const current = await getRegistration(ctx, userId, applicationId, scope.scopeTenantId);
  const patched = applyPatch({ registration: current }, patch, format) as { registration?: Record<string, unknown> };
  return updateRegistration(ctx, userId, { ...(patched.registration ?? {}), applicationId: current.applicationId }, scope);
}

export async function deleteRegistration(ctx: AppContext, userId: string, applicationId: string, scope: Scope): Promise<void> {
  const view = await findUser(ctx, { id: userId }, scope.scopeTenantId);
  if (!view) throw new NotFoundError(userId);
  const result = await handleCommand(ctx.eventStore, userStream(view.id), view.id, userDecider, { type: 'DeleteRegistration', applicationId: applicationId.toLowerCase(), ...(scope.info && { info: scope.info }) }, scope.metadata ? { metadata: scope.metadata } : {});
  await ctx.waiters.users.waitFor(result.position);
}
