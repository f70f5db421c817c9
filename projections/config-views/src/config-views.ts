/**
 * Configuration views: tenants, applications, API keys, webhooks and keys, one collection each,
 * projected from their entity streams. API keys are found by the hash of the key (`apikey:<hash>`).
 */
import { configKinds, parseConfigEventType, parseStreamName, type ConfigDocument, type ConfigKind } from '@idstream/domain';
import type { RecordedEvent } from '@idstream/eventstore';
import type { DocumentProjection } from '@idstream/projection-runner';
import type { ViewDocument } from '@idstream/views';

export const configCollectionNames: Record<ConfigKind, string> = {
  Tenant: 'tenants',
  Application: 'applications',
  ApiKey: 'api_keys',
  Webhook: 'webhooks',
  Key: 'keys',
  IdentityProvider: 'identity_providers',
  EmailTemplate: 'email_templates',
};

/** Documents of configuration entities that are not tenant-scoped use this tenant id. */
export const GLOBAL_TENANT = 'global';

export const apiKeyLookupKey = (keyHash: string): string => `apikey:${keyHash}`;

export function configProjection(kind: ConfigKind): DocumentProjection<ConfigDocument> {
  return {
    documentId(event) {
      const parsed = parseConfigEventType(event.type);
      if (parsed?.kind !== kind) return undefined;
      const stream = parseStreamName(event.streamName);
      return stream?.kind === 'entity' && stream.category === configKinds[kind] ? stream.id : undefined;
    },
    evolve(_document, event: RecordedEvent): ViewDocument<ConfigDocument> | null {
      const parsed = parseConfigEventType(event.type)!;
      if (parsed.change === 'Deleted') return null;
      const document = (event.data as { document: ConfigDocument }).document;
      return {
        id: document.id,
        tenantId: typeof document.tenantId === 'string' ? document.tenantId : GLOBAL_TENANT,
        position: event.position,
        deleted: false,
        keys: kind === 'ApiKey' && typeof document.keyHash === 'string' ? [apiKeyLookupKey(document.keyHash)] : [],
        body: document,
      };
    },
  };
}
