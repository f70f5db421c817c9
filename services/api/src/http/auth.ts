/**
 * Authentication and tenant scoping as FusionAuth does them: `Authorization: <api key>` (a bad key is
 * 401 on every route), optional tenant lock on the key, and `X-FusionAuth-TenantId`.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { apiKeyLookupKey } from '@idstream/projection-config-views';
import type { AppContext } from '../application/context.js';
import { hashApiKey, keyAllows, type ApiKeyDocument } from '../application/api-keys.js';
import { HttpError } from './errors.js';
import { isUuid } from './input.js';

export interface RequestAuth {
  apiKey?: ApiKeyDocument;
  /** A Bearer JWT, verified by the routes that accept one. */
  bearer?: string;
  /** Tenant the request is scoped to by header or by a tenant-locked key. */
  tenantId?: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth: RequestAuth;
      requestId: string;
      log: import('pino').Logger;
    }
  }
}

export function authenticate(ctx: AppContext): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const auth: RequestAuth = {};
    const header = req.get('authorization')?.trim();
    if (header) {
      if (/^bearer\s+/i.test(header)) {
        auth.bearer = header.replace(/^bearer\s+/i, '');
      } else {
        const found = await ctx.readModels.config.ApiKey.findByKey(apiKeyLookupKey(hashApiKey(header)));
        if (!found) throw HttpError.unauthorized();
        auth.apiKey = found.body as ApiKeyDocument;
      }
    }
    const tenantHeader = req.get('x-fusionauth-tenantid')?.trim();
    const lockedTenant = auth.apiKey?.tenantId;
    if (tenantHeader) {
      if (!isUuid(tenantHeader)) {
        throw new HttpError(400, { fieldErrors: { tenantId: [{ code: '[invalid]tenantId', message: 'X-FusionAuth-TenantId must be a tenant Id.' }] } });
      }
      if (lockedTenant && lockedTenant !== tenantHeader.toLowerCase()) throw HttpError.unauthorized();
      if (!(await ctx.readModels.config.Tenant.get(tenantHeader.toLowerCase()))) {
        throw new HttpError(400, { fieldErrors: { tenantId: [{ code: '[invalid]tenantId', message: `The tenant [${tenantHeader}] does not exist.` }] } });
      }
      auth.tenantId = tenantHeader.toLowerCase();
    } else if (lockedTenant) {
      auth.tenantId = lockedTenant;
    }
    req.auth = auth;
    next();
  };
}

/** Requires an API key allowed to call `endpoint` (FusionAuth's endpoint permission names). */
export function requireApiKey(endpoint: string): RequestHandler {
  return (req, _res, next) => {
    const key = req.auth.apiKey;
    if (!key || !keyAllows(key, endpoint, req.method)) throw HttpError.unauthorized();
    next();
  };
}

/** Tenant-locked keys only manage their own tenant's objects; global objects need a global key. */
export function requireGlobalKey(): RequestHandler {
  return (req, _res, next) => {
    if (req.auth.apiKey?.tenantId) throw HttpError.unauthorized();
    next();
  };
}
