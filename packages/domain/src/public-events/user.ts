import type {
  EmailVerified,
  LoginFailed,
  LoginSucceeded,
  PasswordChanged,
  RegistrationCreated,
  RegistrationDeleted,
  RegistrationUpdated,
  RequestInfo,
  UserCreated,
  UserDeactivated,
  UserDeleted,
  UserReactivated,
  UserUpdated,
  UsersImported,
} from '../user/events.js';
import type { UserRecord } from '../user/types.js';
import { derivedId, type PublicEvent, type PublicEventMappers, type SourceEvent } from './types.js';

const coreUserPublicEvents: PublicEventMappers = {
  UserCreated(event) {
    const { user, info, applicationId } = (event as unknown as UserCreated).data;
    const base = { createInstant: event.recordedAt, tenantId: user.tenantId, user, ...(info && { info: { ...info } }), ...(applicationId && { applicationId }) };
    return [
      { type: 'user.create', id: event.id, ...base },
      { type: 'user.create.complete', id: derivedId(event.id, 1), ...base },
    ];
  },
  LoginSucceeded(event, currentUser) {
    const data = (event as unknown as LoginSucceeded).data;
    return [
      {
        type: 'user.login.success',
        id: event.id,
        createInstant: event.recordedAt,
        tenantId: data.tenantId,
        authenticationType: data.authenticationType,
        ...(data.applicationId && { applicationId: data.applicationId }),
        ...(data.info && { info: { ...data.info } }),
        ...(currentUser && { user: currentUser }),
      },
    ];
  },
  LoginFailed(event, currentUser) {
    const data = (event as unknown as LoginFailed).data;
    return [
      {
        type: 'user.login.failed',
        id: event.id,
        createInstant: event.recordedAt,
        tenantId: data.tenantId,
        reason: { code: data.reason === 'password' ? 'credentials' : data.reason },
        ...(data.applicationId && { applicationId: data.applicationId }),
        ...(data.info && { info: { ...data.info } }),
        ...(currentUser && { user: currentUser }),
      },
    ];
  },
};

/** The user as of the event when the event carries it, else the current view (webhooks of state changes). */
const userOf = (currentUser: UserRecord | undefined, userId: string, tenantId: string): UserRecord =>
  currentUser ?? ({ id: userId, tenantId } as UserRecord);

function simple(type: string, event: SourceEvent, data: { userId: string; tenantId: string; info?: RequestInfo }, currentUser: UserRecord | undefined, extra: Record<string, unknown> = {}): PublicEvent {
  return { type, id: event.id, createInstant: event.recordedAt, tenantId: data.tenantId, user: userOf(currentUser, data.userId, data.tenantId), ...(data.info && { info: { ...data.info } }), ...extra };
}

/** Users capability: changes, deletes, imports, passwords, verification and registrations. */
const userChangePublicEvents: PublicEventMappers = {
  UserUpdated(event) {
    const { user, previous, info, applicationId, changedFields } = (event as unknown as UserUpdated).data;
    const base = { createInstant: event.recordedAt, tenantId: user.tenantId, user, original: previous, ...(info && { info: { ...info } }), ...(applicationId && { applicationId }) };
    const events: PublicEvent[] = [
      { type: 'user.update', id: event.id, ...base },
      { type: 'user.update.complete', id: derivedId(event.id, 1), ...base },
    ];
    if (changedFields.includes('email') && previous.email) events.push({ type: 'user.email.update', id: derivedId(event.id, 2), ...base, previousEmail: previous.email });
    if (changedFields.includes('password')) events.push({ type: 'user.password.update', id: derivedId(event.id, 3), ...base });
    return events;
  },
  UserDeactivated(event, currentUser) {
    return [simple('user.deactivate', event, (event as unknown as UserDeactivated).data, currentUser)];
  },
  UserReactivated(event, currentUser) {
    return [simple('user.reactivate', event, (event as unknown as UserReactivated).data, currentUser)];
  },
  UserDeleted(event) {
    // A hard delete leaves no personal data anywhere: the event names the user by id only.
    const data = (event as unknown as UserDeleted).data;
    return [simple('user.delete', event, data, undefined), { ...simple('user.delete.complete', event, data, undefined), id: derivedId(event.id, 1) }];
  },
  UsersImported(event) {
    const data = (event as unknown as UsersImported).data;
    return [{ type: 'user.bulk.create', id: event.id, createInstant: event.recordedAt, tenantId: data.tenantId, users: data.userIds.map((id) => ({ id, tenantId: data.tenantId })) }];
  },
  PasswordChanged(event, currentUser) {
    const data = (event as unknown as PasswordChanged).data;
    const events = [simple('user.password.update', event, data, currentUser)];
    if (data.method === 'changePasswordId') events.push({ ...simple('user.password.reset.success', event, data, currentUser), id: derivedId(event.id, 1) });
    return events;
  },
  EmailVerified(event, currentUser) {
    return [simple('user.email.verified', event, (event as unknown as EmailVerified).data, currentUser)];
  },
  RegistrationCreated(event, currentUser) {
    const data = (event as unknown as RegistrationCreated).data;
    const extra = { applicationId: data.registration.applicationId, registration: data.registration };
    return [simple('user.registration.create', event, data, currentUser, extra), { ...simple('user.registration.create.complete', event, data, currentUser, extra), id: derivedId(event.id, 1) }];
  },
  RegistrationUpdated(event, currentUser) {
    const data = (event as unknown as RegistrationUpdated).data;
    const extra = { applicationId: data.registration.applicationId, registration: data.registration, original: data.previous };
    return [simple('user.registration.update', event, data, currentUser, extra), { ...simple('user.registration.update.complete', event, data, currentUser, extra), id: derivedId(event.id, 1) }];
  },
  RegistrationDeleted(event, currentUser) {
    const data = (event as unknown as RegistrationDeleted).data;
    const extra = { applicationId: data.registration.applicationId, registration: data.registration };
    return [simple('user.registration.delete', event, data, currentUser, extra), { ...simple('user.registration.delete.complete', event, data, currentUser, extra), id: derivedId(event.id, 1) }];
  },
};

export const userPublicEvents: PublicEventMappers = { ...coreUserPublicEvents, ...userChangePublicEvents };
