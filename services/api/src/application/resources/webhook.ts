import { FieldErrors, type ConfigDocument } from '@idstream/domain';
import { WEBHOOK_PASSWORD_PURPOSE } from '@idstream/platform';
import { withDefaults } from '../merge-defaults.js';
import type { ResourceDefinition } from './types.js';

export const webhookResource: ResourceDefinition = {
  kind: 'Webhook',
  path: '/api/webhook',
  field: 'webhook',
  plural: 'webhooks',
  tenantScoped: false,
  async prepare(ctx, input, id, existing) {
    const errors = new FieldErrors();
    if (typeof input.url !== 'string' || input.url.trim() === '') errors.add('webhook.url', 'blank', 'You must specify the [webhook.url] property.');
    else if (!/^https?:\/\//i.test(input.url) || !URL.canParse(input.url)) errors.add('webhook.url', 'invalid', 'The [webhook.url] must be an http or https URL.');
    for (const field of ['connectTimeout', 'readTimeout'] as const) {
      const value = input[field];
      if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 600_000)) {
        errors.add(`webhook.${field}`, 'invalid', `[webhook.${field}] must be a whole number of milliseconds (1..600000).`);
      }
    }
    if (input.tenantIds !== undefined && (!Array.isArray(input.tenantIds) || !input.tenantIds.every((t) => typeof t === 'string'))) {
      errors.add('webhook.tenantIds', 'couldNotConvert', '[webhook.tenantIds] must be an array of tenant Ids.');
    }
    if (input.eventsEnabled !== undefined && (typeof input.eventsEnabled !== 'object' || input.eventsEnabled === null || Array.isArray(input.eventsEnabled))) {
      errors.add('webhook.eventsEnabled', 'couldNotConvert', '[webhook.eventsEnabled] must be an object of event type to boolean.');
    }
    errors.throwIfAny();
    const document: ConfigDocument = {
      ...withDefaults({ connectTimeout: 1000, readTimeout: 2000, global: false, tenantIds: [], eventsEnabled: {}, headers: {} }, input),
      id,
    };
    // The basic-auth password is needed in plaintext at delivery time, so it is encrypted, not hashed.
    if (typeof input.httpAuthenticationPassword === 'string' && input.httpAuthenticationPassword !== '') {
      document.httpAuthenticationPassword = ctx.secrets.seal(WEBHOOK_PASSWORD_PURPOSE, input.httpAuthenticationPassword);
    } else if (existing?.httpAuthenticationPassword) {
      document.httpAuthenticationPassword = existing.httpAuthenticationPassword;
    }
    return document;
  },
  present: ({ httpAuthenticationPassword: _secret, ...rest }) => rest,
};


