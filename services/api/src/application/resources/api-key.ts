import { FieldErrors } from '@idstream/domain';
import { randomToken } from '@idstream/crypto';
import { hashApiKey, type ApiKeyDocument } from '../api-keys.js';
import type { ResourceDefinition } from './types.js';

export const apiKeyResource: ResourceDefinition = {
  kind: 'ApiKey',
  path: '/api/api-key',
  field: 'apiKey',
  plural: 'apiKeys',
  tenantScoped: true,
  async prepare(ctx, input, id, existing, request) {
    const errors = new FieldErrors();
    if (input.key !== undefined && (typeof input.key !== 'string' || input.key.length < 16)) {
      errors.add('apiKey.key', 'tooShort', 'The [apiKey.key] must be at least 16 characters.');
    }
    const tenantId = typeof input.tenantId === 'string' ? input.tenantId.toLowerCase() : request.tenantId;
    if (tenantId && !(await ctx.readModels.config.Tenant.get(tenantId))) errors.add('apiKey.tenantId', 'invalid', `The tenant [${tenantId}] does not exist.`);
    errors.throwIfAny();
    // A new key without a value gets a generated one; the create response is the only place it is shown.
    if (!existing && input.key === undefined) input.key = randomToken(32);
    const key = typeof input.key === 'string' ? input.key : undefined;
    const keyHash = key ? hashApiKey(key) : (existing!.keyHash as string);
    const { key: _plaintext, ...rest } = input;
    const document: ApiKeyDocument = { ...rest, id, keyHash, ...(tenantId && { tenantId }) };
    if (!existing || key) {
      const holder = await ctx.readModels.config.ApiKey.findByKey(`apikey:${keyHash}`);
      if (holder && holder.id !== id) errors.add('apiKey.key', 'duplicate', 'An API key with this value already exists.');
      errors.throwIfAny();
    }
    return document;
  },
  present: ({ keyHash: _hash, ...rest }) => rest,
  presentCreated: (_document, input) => (typeof input.key === 'string' ? { key: input.key } : {}),
};

