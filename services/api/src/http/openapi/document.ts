/**
 * The OpenAPI 3.1 document, generated from the Express app itself: the path list is every route
 * the routers registered (so a new route is in the document the moment it exists), and each
 * operation's description and schemas come from the catalogue in operations.ts.
 */
import type { Express } from 'express';
import { components } from './schemas.js';
import { operations, type OperationSpec } from './operations.js';

export interface RegisteredRoute {
  method: string;
  /** OpenAPI form: `/api/user/{userId}`. */
  path: string;
}

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every method and path registered on the app, in OpenAPI path syntax. */
export function registeredRoutes(app: Express): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          if (typeof path !== 'string') continue;
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') routes.push({ method: method.toUpperCase(), path: toOpenApiPath(path) });
          }
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(((app as unknown as { router: { stack: Layer[] } }).router).stack);
  const seen = new Set<string>();
  return routes.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const toOpenApiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
export const operationKey = (route: RegisteredRoute): string => `${route.method} ${route.path}`;

/** Routes the catalogue does not describe (the OpenAPI test requires none). */
export function undescribedRoutes(routes: RegisteredRoute[]): string[] {
  return routes.map(operationKey).filter((key) => !operations[key]);
}

const errors = { 'application/json': { schema: { $ref: '#/components/schemas/Errors' } } };

function operationObject(route: RegisteredRoute, spec: OperationSpec | undefined): Record<string, unknown> {
  const parameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(spec?.responses ?? { '200': { type: 'object' } })) {
    responses[status] = {
      description: status.startsWith('2') ? 'Success' : 'See FusionAuth',
      ...(schema && { content: { [spec?.contentType ?? 'application/json']: { schema } } }),
    };
  }
  responses['400'] ??= { description: 'Invalid request: FusionAuth Errors JSON', content: errors };
  // FusionAuth answers 401 without a body for a bad key, with Errors JSON for a refused credential.
  if (!spec?.public) responses['401'] ??= { description: 'Missing or wrong API key, or a refused credential: no body or Errors JSON', content: errors };
  responses['404'] ??= { description: 'Not found; no body or Errors JSON', content: errors };
  responses.default = { description: 'Other outcomes (409, 410, 423, 429, 5xx): Errors JSON or no body', content: errors };
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    summary: spec?.summary ?? 'Undocumented operation',
    tags: [spec?.tag ?? 'Undocumented'],
    ...(parameters.length > 0 && { parameters }),
    ...(spec?.request && { requestBody: { required: false, content: { 'application/json': { schema: spec.request } } } }),
    ...(spec?.public && { security: [] }),
    responses,
  };
}

export function buildOpenApiDocument(routes: RegisteredRoute[], version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operationObject(route, operations[operationKey(route)]);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Idstream API',
      version,
      description: 'FusionAuth-compatible identity API. Authenticate with `Authorization: <API key>`; scope with `X-FusionAuth-TenantId`. Errors use FusionAuth\'s Errors JSON.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    components: {
      schemas: components,
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'Authorization' } },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
