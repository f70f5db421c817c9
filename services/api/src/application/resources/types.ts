/**
 * The configuration resources of the API (tenant, application, webhook, API key): defaults,
 * validation and presentation in FusionAuth's shapes. Unknown fields are kept so that FusionAuth
 * configuration files load unchanged.
 */
import type { ConfigDocument, ConfigKind } from '@idstream/domain';
import type { AppContext } from '../context.js';

export interface ResourceRequest {
  /** Tenant the request is scoped to (header or tenant-locked key). */
  tenantId?: string;
  /** The single tenant when only one exists (FusionAuth assumes it). */
  onlyTenantId?: string;
}

export interface ResourceDefinition {
  kind: ConfigKind;
  /** Route path (FusionAuth's endpoint, also the API-key permission name). */
  path: string;
  /** JSON field of one object and of the list (`tenant`/`tenants`). */
  field: string;
  plural: string;
  /** Builds the document to store from client input (new or replacing `existing`); throws validation errors. */
  prepare(ctx: AppContext, input: Record<string, unknown>, id: string, existing: ConfigDocument | undefined, request: ResourceRequest): Promise<ConfigDocument>;
  /** What a client sees. */
  present(document: ConfigDocument): Record<string, unknown>;
  /** Extra data returned only by the create response (a generated API key). */
  presentCreated?(document: ConfigDocument, input: Record<string, unknown>): Record<string, unknown>;
  /** Tenant-scoped resources are listed per tenant for tenant-locked keys. */
  tenantScoped: boolean;
}
