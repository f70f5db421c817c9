import { FieldErrors } from '@idstream/domain';
import type { AppContext } from '../context.js';
import { withDefaults } from '../merge-defaults.js';
import type { ResourceDefinition } from './types.js';

export function tenantDefaults(ctx: AppContext, accessTokenKeyId?: string): Record<string, unknown> {
  return {
    issuer: ctx.config.issuer,
    state: 'Active',
    emailConfiguration: { verifyEmail: false, verificationStrategy: 'ClickableLink', defaultFromEmail: 'change-me@example.com', defaultFromName: 'Idstream', host: 'localhost', port: 25, security: 'NONE' },
    externalIdentifierConfiguration: {
      passwordlessLoginTimeToLiveInSeconds: 180,
      passwordlessLoginGenerator: { length: 32, type: 'randomBytes' },
      changePasswordIdTimeToLiveInSeconds: 600,
      changePasswordIdGenerator: { length: 32, type: 'randomBytes' },
      emailVerificationIdTimeToLiveInSeconds: 86_400,
      emailVerificationIdGenerator: { length: 32, type: 'randomBytes' },
      oneTimePasswordTimeToLiveInSeconds: 60,
      twoFactorIdTimeToLiveInSeconds: 300,
      twoFactorTrustIdTimeToLiveInSeconds: 2_592_000,
      passwordlessLoginOneTimeCodeGenerator: { length: 6, type: 'randomDigits' },
    },
    failedAuthenticationConfiguration: { actionDuration: 3, actionDurationUnit: 'MINUTES', resetCountInSeconds: 60, tooManyAttempts: 5 },
    passwordValidationRules: { minLength: 8, maxLength: 256, requireMixedCase: false, requireNonAlpha: false, requireNumber: false, validateOnLogin: false },
    passwordEncryptionConfiguration: { encryptionScheme: 'argon2id', encryptionSchemeFactor: 2, modifyEncryptionSchemeOnLogin: true },
    jwtConfiguration: {
      timeToLiveInSeconds: 3600,
      refreshTokenTimeToLiveInMinutes: 43_200,
      refreshTokenExpirationPolicy: 'Fixed',
      refreshTokenUsagePolicy: 'Reusable',
      ...(accessTokenKeyId && { accessTokenKeyId, idTokenKeyId: accessTokenKeyId }),
    },
    loginConfiguration: { requireAuthentication: true },
    eventConfiguration: { events: {} },
    registrationConfiguration: { blockedDomains: [] },
    rateLimitConfiguration: {},
  };
}

export const tenantResource: ResourceDefinition = {
  kind: 'Tenant',
  path: '/api/tenant',
  field: 'tenant',
  plural: 'tenants',
  tenantScoped: false,
  async prepare(ctx, input, id, existing) {
    const errors = new FieldErrors();
    if (typeof input.name !== 'string' || input.name.trim() === '') errors.add('tenant.name', 'blank', 'You must specify the [tenant.name] property.');
    else {
      const clash = (await ctx.readModels.config.Tenant.list({ limit: 100_000 })).find((t) => t.id !== id && t.body.name === input.name);
      if (clash) errors.add('tenant.name', 'duplicate', `A Tenant with name [${input.name}] already exists.`);
    }
    errors.throwIfAny();
    const base = existing ? {} : tenantDefaults(ctx, await ctx.signingKeys.defaultKeyId());
    return { ...withDefaults(base, input), id };
  },
  present: (document) => document,
};

