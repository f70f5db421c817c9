import { FieldErrors, type ConfigDocument } from '@idstream/domain';
import type { AppContext } from '../context.js';
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
    if (input.headers !== undefined && (!isPlainObject(input.headers) || !Object.values(input.headers).every((v) => typeof v === 'string'))) {
      errors.add('webhook.headers', 'couldNotConvert', '[webhook.headers] must be an object of header name to string value.');
    }
    if (input.global !== undefined && typeof input.global !== 'boolean') errors.add('webhook.global', 'couldNotConvert', '[webhook.global] must be true or false.');
    for (const field of ['httpAuthenticationUsername', 'httpAuthenticationPassword'] as const) {
      if (input[field] !== undefined && input[field] !== null && typeof input[field] !== 'string') errors.add(`webhook.${field}`, 'couldNotConvert', `[webhook.${field}] must be a string.`);
    }
    await checkSignature(ctx, input.signatureConfiguration, errors);
    checkDeliveryPolicy(input.deliveryPolicy, errors);
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Signing needs a key the Key API knows; FusionAuth refuses an enabled signature without one. */
async function checkSignature(ctx: AppContext, value: unknown, errors: FieldErrors): Promise<void> {
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) {
    errors.add('webhook.signatureConfiguration', 'couldNotConvert', '[webhook.signatureConfiguration] must be an object.');
    return;
  }
  if (value.enabled !== undefined && typeof value.enabled !== 'boolean') {
    errors.add('webhook.signatureConfiguration.enabled', 'couldNotConvert', '[webhook.signatureConfiguration.enabled] must be true or false.');
  }
  if (value.enabled !== true) return;
  const keyId = value.signingKeyId;
  if (typeof keyId !== 'string' || keyId === '') {
    errors.add('webhook.signatureConfiguration.signingKeyId', 'blank', 'You must specify the [webhook.signatureConfiguration.signingKeyId] when signing is enabled.');
  } else if (!/^[0-9a-f-]{36}$/i.test(keyId) || !(await ctx.readModels.config.Key.get(keyId.toLowerCase()))) {
    errors.add('webhook.signatureConfiguration.signingKeyId', 'invalid', `The key [${keyId}] does not exist.`);
  }
}

/** Idstream extension `webhook.deliveryPolicy`: retry limits and backoff of this webhook, in milliseconds. */
function checkDeliveryPolicy(value: unknown, errors: FieldErrors): void {
  if (value === undefined || value === null) return;
  if (!isPlainObject(value)) {
    errors.add('webhook.deliveryPolicy', 'couldNotConvert', '[webhook.deliveryPolicy] must be an object.');
    return;
  }
  const limits: Record<string, [number, number]> = {
    maxAttempts: [1, 1_000],
    maxAgeMs: [1, 30 * 24 * 3_600_000],
    initialDelayMs: [1, 24 * 3_600_000],
    maxDelayMs: [1, 24 * 3_600_000],
    circuitBreakerThreshold: [1, 1_000],
    circuitBreakerCoolDownMs: [1, 24 * 3_600_000],
  };
  for (const [field, v] of Object.entries(value)) {
    const range = limits[field];
    const name = `webhook.deliveryPolicy.${field}`;
    if (!range) errors.add(name, 'invalid', `[${name}] is not a delivery policy setting (maxAttempts, maxAgeMs, initialDelayMs, maxDelayMs, circuitBreakerThreshold, circuitBreakerCoolDownMs).`);
    else if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) errors.add(name, 'invalid', `[${name}] must be a whole number in ${range[0]}..${range[1]}.`);
  }
}
