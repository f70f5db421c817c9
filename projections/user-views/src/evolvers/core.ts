import type { LoginSucceeded, UserCreated } from '@idstream/domain';
import { toView } from '../user-view-types.js';
import type { UserViewEvolvers } from './types.js';

export const coreEvolvers: UserViewEvolvers = {
  UserCreated(_view, event) {
    const { user, password } = (event as unknown as UserCreated).data;
    return toView(user, password, event.position);
  },
  LoginSucceeded(view, event) {
    if (!view) return null;
    const { instant, applicationId } = (event as unknown as LoginSucceeded).data;
    const registrations = applicationId
      ? view.body.user.registrations?.map((r) => (r.applicationId === applicationId ? { ...r, lastLoginInstant: instant } : r))
      : view.body.user.registrations;
    return { ...view, body: { ...view.body, user: { ...view.body.user, lastLoginInstant: instant, ...(registrations && { registrations }) } } };
  },
  LoginFailed: (view) => view,
};
