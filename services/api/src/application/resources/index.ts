import { apiKeyResource } from './api-key.js';
import { applicationResource } from './application.js';
import { emailTemplateResource } from './email-template.js';
import { tenantResource } from './tenant.js';
import type { ResourceDefinition } from './types.js';
import { webhookResource } from './webhook.js';

export * from './types.js';
export { tenantDefaults } from './tenant.js';

/** Every configuration resource served by the generic resource router. */
export const resources: ResourceDefinition[] = [tenantResource, applicationResource, webhookResource, apiKeyResource, emailTemplateResource];
