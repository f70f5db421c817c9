import { randomUUID } from 'node:crypto';
import { FieldErrors } from '@idstream/domain';
import { withDefaults } from '../merge-defaults.js';
import type { ResourceDefinition } from './types.js';

export const applicationResource: ResourceDefinition = {
  kind: 'Application',
  path: '/api/application',
  field: 'application',
  plural: 'applications',
  tenantScoped: true,
  async prepare(ctx, input, id, existing, request) {
    const errors = new FieldErrors();
    if (typeof input.name !== 'string' || input.name.trim() === '') errors.add('application.name', 'blank', 'You must specify the [application.name] property.');
    const tenantId = (typeof input.tenantId === 'string' ? input.tenantId.toLowerCase() : undefined) ?? (existing?.tenantId as string | undefined) ?? request.tenantId ?? request.onlyTenantId;
    if (!tenantId) errors.add('application.tenantId', 'blank', 'You must specify the [application.tenantId] or the X-FusionAuth-TenantId header.');
    else if (!(await ctx.readModels.config.Tenant.get(tenantId))) errors.add('application.tenantId', 'invalid', `The tenant [${tenantId}] does not exist.`);
    else if (request.tenantId && tenantId !== request.tenantId) errors.add('application.tenantId', 'invalid', 'The application must belong to the tenant of this request.');
    if (input.roles !== undefined && !Array.isArray(input.roles)) errors.add('application.roles', 'couldNotConvert', '[application.roles] must be an array.');
    errors.throwIfAny();
    const roles = ((input.roles as Record<string, unknown>[] | undefined) ?? []).map((role) =>
      typeof role === 'string' ? { id: randomUUID(), name: role, isDefault: false, isSuperRole: false } : { id: randomUUID(), isDefault: false, isSuperRole: false, ...role },
    );
    const defaults = existing
      ? {}
      : {
          active: true,
          state: 'Active',
          jwtConfiguration: { enabled: false, timeToLiveInSeconds: 3600, refreshTokenTimeToLiveInMinutes: 43_200, refreshTokenExpirationPolicy: 'Fixed', refreshTokenUsagePolicy: 'Reusable' },
          loginConfiguration: { allowTokenRefresh: false, generateRefreshTokens: false, requireAuthentication: true },
          passwordlessConfiguration: { enabled: false },
          registrationConfiguration: { enabled: false },
          verifyRegistration: false,
        };
    return { ...withDefaults(defaults, input), id, tenantId: tenantId!, roles };
  },
  present: (document) => document,
};

