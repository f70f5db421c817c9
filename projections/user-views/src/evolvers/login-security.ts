/** Failed-login counting and lockout (`secrets.failedAuthentication`), read by the login path. */
import { countFailedAuthentication, type FailedAuthenticationCounted, type FailedAuthenticationState } from '@idstream/domain';
import type { UserViewEvolvers } from './types.js';

export const loginSecurityEvolvers: UserViewEvolvers = {
  FailedAuthenticationCounted(view, event) {
    if (!view) return null;
    const current = view.body.secrets?.failedAuthentication as FailedAuthenticationState | undefined;
    const failedAuthentication = countFailedAuthentication(current, (event.data as FailedAuthenticationCounted['data']));
    return { ...view, body: { ...view.body, secrets: { ...view.body.secrets, failedAuthentication } } };
  },
};
