/**
 * Every route of the Express app, read from the app itself (Express 5 router layers), so a suite
 * that iterates this table covers a route the day it is added — no hand-kept list to forget.
 *
 * The app is built by the service's own `createApp` on the running service's context: the same
 * routers, in the same order, as the app that serves the test's HTTP requests.
 */
import type { Express } from 'express';
import type { RunningIdstream } from '@idstream/api';
import { createApp } from '../../services/api/src/http/app.js';

export interface RouteEntry {
  /** Upper-case HTTP method. */
  method: string;
  /** Express path template, e.g. `/api/user/:userId`. */
  path: string;
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
  rawPath?: unknown;
}

/** Walks the router stack depth first; mounted routers are prefixed with their mount path. */
export function routesOf(app: Express): RouteEntry[] {
  const found: RouteEntry[] = [];
  const walk = (stack: LayerLike[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') found.push({ method: method.toUpperCase(), path: join(prefix, path) });
          }
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, join(prefix, mount));
      }
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack, '');
  // A route registered twice (or by two routers) is one route for the tests.
  const unique = new Map(found.map((r) => [`${r.method} ${r.path}`, r]));
  return [...unique.values()];
}

/** The route table of a running service. */
export function routeTable(service: RunningIdstream): RouteEntry[] {
  const app = createApp(service.context, { ready: () => true, dependencies: async () => ({}) });
  const routes = routesOf(app);
  (app.locals.metrics as { close?: () => void } | undefined)?.close?.();
  if (routes.length < 50) throw new Error(`the route table has only ${routes.length} routes: the walk no longer understands the router`);
  return routes;
}

/** A concrete URL path for a template: each `:param` replaced by `fill(name)`. */
export function concretePath(path: string, fill: (param: string) => string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => encodeURIComponent(fill(name)));
}

function join(prefix: string, path: string): string {
  if (!prefix) return path;
  return `${prefix.replace(/\/$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
}
