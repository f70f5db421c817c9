/**
 * One router shape for every configuration resource (FusionAuth's create with or without id,
 * retrieve, list, update, patch, delete).
 */
import { Router, type Request, type RequestHandler } from 'express';
import { applyPatch, NotFoundError, patchFormatOf, type ConfigDocument } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { ConfigEntities } from '../../application/config-entities.js';
import type { ResourceDefinition, ResourceRequest } from '../../application/resources/index.js';
import { onlyTenantId } from '../../application/tenancy.js';
import { hasAuthorityOver, type ApiKeyDocument } from '../../application/api-keys.js';
import { requireApiKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { isObject, isUuid, requireBody } from '../input.js';
import { requestMetadata } from '../request-info.js';

export function configResourceRouter(ctx: AppContext, resource: ResourceDefinition): Router {
  const router = Router();
  const path = resource.path;
  const entities = new ConfigEntities(ctx);
  const endpointGuard = requireApiKey(path);
  // Global objects (webhooks) are not a tenant's: a tenant-locked key gets 401, as the README says, not an empty list.
  const guard: RequestHandler = (req, res, next) => {
    if (req.auth.apiKey?.tenantId && !resource.tenantScoped && resource.kind !== 'Tenant') throw HttpError.unauthorized();
    endpointGuard(req, res, next);
  };

  const visible = (req: Request, document: ConfigDocument | undefined): document is ConfigDocument => {
    if (!document) return false;
    if (resource.kind === 'ApiKey' && !hasAuthorityOver(req.auth.apiKey, document as ApiKeyDocument)) return false;
    const scope = req.auth.tenantId;
    // Tenant-locked keys see their own tenant and the objects of that tenant only.
    if (!scope) return true;
    if (resource.kind === 'Tenant') return document.id === scope;
    if (resource.tenantScoped) return document.tenantId === scope;
    return !req.auth.apiKey?.tenantId;
  };

  const context = async (req: Request): Promise<ResourceRequest> => {
    const only = await onlyTenantId(ctx);
    return { ...(req.auth.tenantId && { tenantId: req.auth.tenantId }), ...(only && { onlyTenantId: only }) };
  };

  const create = async (req: Request, id: string | undefined) => {
    if (id !== undefined && !isUuid(id)) throw invalidId(resource);
    if (req.auth.apiKey?.tenantId && !resource.tenantScoped) throw HttpError.unauthorized();
    const body = requireBody(req.body, resource.field);
    const input = { ...(body[resource.field] as Record<string, unknown>) };
    const newId = (id ?? (isUuid(input.id) ? input.id : undefined) ?? crypto.randomUUID()).toLowerCase();
    const document = await resource.prepare(ctx, input, newId, undefined, await context(req));
    authorise(req, document);
    const created = await entities.create(resource.kind, document, requestMetadata(req, req.auth.tenantId));
    return { [resource.field]: { ...resource.present(created), ...resource.presentCreated?.(created, input) } };
  };

  const load = async (req: Request): Promise<ConfigDocument> => {
    const id = String(req.params.id);
    if (!isUuid(id)) throw new NotFoundError(id);
    const document = await entities.get(resource.kind, id);
    if (!visible(req, document)) throw new NotFoundError(id);
    return document;
  };

  const replace = async (req: Request, existing: ConfigDocument, input: Record<string, unknown>) => {
    const document = await resource.prepare(ctx, { ...input }, existing.id, existing, await context(req));
    authorise(req, document);
    const replaced = await entities.replace(resource.kind, document, requestMetadata(req, req.auth.tenantId));
    return { [resource.field]: resource.present(replaced) };
  };

  /** A key may only create or make a key of equal or lesser authority than itself. */
  const authorise = (req: Request, document: ConfigDocument) => {
    if (resource.kind === 'ApiKey' && !hasAuthorityOver(req.auth.apiKey, document as ApiKeyDocument)) throw HttpError.unauthorized();
  };

  router.post(path, guard, async (req, res) => {
    res.json(await create(req, undefined));
  });
  router.post(`${path}/:id`, guard, async (req, res) => {
    res.json(await create(req, String(req.params.id)));
  });
  router.get(path, guard, async (req, res) => {
    const all = await entities.list(resource.kind);
    res.json({ [resource.plural]: all.filter((d) => visible(req, d)).map(resource.present) });
  });
  router.get(`${path}/:id`, guard, async (req, res) => {
    res.json({ [resource.field]: resource.present(await load(req)) });
  });
  router.put(`${path}/:id`, guard, async (req, res) => {
    const existing = await load(req);
    const body = requireBody(req.body, resource.field);
    res.json(await replace(req, existing, body[resource.field] as Record<string, unknown>));
  });
  router.patch(`${path}/:id`, guard, async (req, res) => {
    const existing = await load(req);
    const format = patchFormatOf(req.get('content-type'));
    const current = { [resource.field]: resource.present(existing) };
    if (format !== 'json-patch' && !isObject(req.body)) requireBody(req.body, resource.field);
    const patched = applyPatch(current, req.body, format);
    const input = patched[resource.field];
    if (!isObject(input)) throw HttpError.general(400, '[invalidPatch]', `The patch removed the [${resource.field}] object.`);
    res.json(await replace(req, existing, { ...input, id: existing.id }));
  });
  router.delete(`${path}/:id`, guard, async (req, res) => {
    const existing = await load(req);
    if (resource.kind === 'Tenant' && (await ctx.readModels.users.count({ tenantId: existing.id })) > 0) {
      throw HttpError.general(400, '[TenantHasUsers]', 'Delete or move the users of this tenant before deleting it.');
    }
    await entities.delete(resource.kind, existing.id, requestMetadata(req, req.auth.tenantId));
    res.status(200).end();
  });
  return router;
}

function invalidId(resource: ResourceDefinition): HttpError {
  const field = `${resource.field}Id`;
  return new HttpError(400, { fieldErrors: { [field]: [{ code: `[invalid]${field}`, message: `The [${field}] must be a UUID.` }] } });
}
