import type { LoginFailed, LoginSucceeded, UserCreated } from '../user/events.js';
import { derivedId, type PublicEventMappers } from './types.js';

export const userPublicEvents: PublicEventMappers = {
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
