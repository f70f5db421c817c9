/**
 * Which tenant a request acts in, by FusionAuth's rules: the header or a tenant-locked key; else the
 * only tenant when there is just one; else the request is ambiguous.
 */
import type { ConfigDocument } from '@idstream/domain';
import type { AppContext } from './context.js';
import { HttpError } from '../http/errors.js';

export async function onlyTenantId(ctx: AppContext): Promise<string | undefined> {
  const tenants = await ctx.readModels.config.Tenant.list({ limit: 2 });
  return tenants.length === 1 ? tenants[0]!.id : undefined;
}

export async function resolveTenant(ctx: AppContext, scopedTenantId: string | undefined): Promise<ConfigDocument> {
  if (scopedTenantId === undefined) {
    // The common single-tenant case: the listed tenant is the answer (no second read of the same document).
    const tenants = await ctx.readModels.config.Tenant.list({ limit: 2 });
    if (tenants.length === 1) return tenants[0]!.body;
  }
  const id = scopedTenantId;
  if (!id) {
    throw HttpError.general(400, '[TenantIdRequired]', 'A tenant Id is required for this request: send the X-FusionAuth-TenantId header or use a tenant-locked API key.');
  }
  const tenant = await ctx.readModels.config.Tenant.get(id);
  if (!tenant) throw HttpError.general(400, '[TenantIdRequired]', `The tenant [${id}] does not exist.`);
  return tenant.body;
}
