/**
 * Which tenant a request acts in, by FusionAuth's rules: the header or a tenant-locked key; else the
 * only tenant when there is just one; else the request is ambiguous.
 */
import type { ConfigDocument } from '@idstream/domain';
import type { AppContext } from './context.js';
import { HttpError } from '../http/errors.js';

/** The tenant of a store that has exactly one (requests then need no tenant scope). */
async function onlyTenant(ctx: AppContext) {
  const tenants = await ctx.readModels.config.Tenant.list({ limit: 2 });
  return tenants.length === 1 ? tenants[0]! : undefined;
}

export async function onlyTenantId(ctx: AppContext): Promise<string | undefined> {
  return (await onlyTenant(ctx))?.id;
}

export async function resolveTenant(ctx: AppContext, scopedTenantId: string | undefined): Promise<ConfigDocument> {
  if (scopedTenantId === undefined) {
    // Unscoped on a single-tenant store: the listed tenant is the answer, read once.
    const only = await onlyTenant(ctx);
    if (!only) throw HttpError.general(400, '[TenantIdRequired]', 'A tenant Id is required for this request: send the X-FusionAuth-TenantId header or use a tenant-locked API key.');
    return only.body;
  }
  const tenant = await ctx.readModels.config.Tenant.get(scopedTenantId);
  if (!tenant) throw HttpError.general(400, '[TenantIdRequired]', `The tenant [${scopedTenantId}] does not exist.`);
  return tenant.body;
}
