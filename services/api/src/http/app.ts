/**
 * The Express application: request context, body parsing with limits, authentication, routes, and
 * the one error mapping at the edge.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { AppContext } from '../application/context.js';
import { authenticate } from './auth.js';
import { errorHandler, notFoundRoute } from './errors.js';
import { apiRouters } from './routes/index.js';
import { systemRouter, type Readiness } from './routes/system.js';
import { createMetrics } from './metrics.js';
import { traceRequests } from './tracing.js';
import { loggablePath } from './log-redaction.js';
import { buildOpenApiDocument, registeredRoutes } from './openapi/document.js';

export function createApp(ctx: AppContext, readiness: Readiness): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', ctx.config.trustProxy);
  app.set('query parser', 'simple');
  const metrics = createMetrics({ eventStore: ctx.eventStore, ...(ctx.jobs && { jobs: ctx.jobs }), ...(readiness.observable && { observable: readiness.observable }), ...(readiness.projections && { projections: readiness.projections }) });
  app.locals.metrics = metrics;
  app.use(metrics.middleware);

  app.use((req, res, next) => {
    req.requestId = req.get('x-request-id')?.slice(0, 100) || randomUUID();
    req.log = ctx.logger.child({ requestId: req.requestId });
    res.set('X-Request-Id', req.requestId);
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    res.set('Cache-Control', 'no-store');
    const started = performance.now();
    res.on('finish', () => {
      req.log.info({ method: req.method, path: loggablePath(req.path), status: res.statusCode, ms: Math.round(performance.now() - started) }, 'request');
    });
    next();
  });
  // The import route alone takes large bodies (100,000 users in one call); the parser below then skips it.
  app.use('/api/user/import', express.json({ limit: ctx.config.maxImportBodyBytes, type: () => true, strict: false }));
  // Every body is JSON whatever its declared type (FusionAuth clients send three PATCH media types).
  app.use(express.json({ limit: ctx.config.maxBodyBytes, type: () => true, strict: false }));
  // After body parsing: its stream callbacks would run outside the request span's context.
  app.use(traceRequests());

  app.use(systemRouter(ctx, readiness));
  // Public, generated from the routers themselves once they are all mounted (first request).
  let openApi: Record<string, unknown> | undefined;
  app.get('/api/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=60').json((openApi ??= buildOpenApiDocument(registeredRoutes(app))));
  });
  app.use('/api', authenticate(ctx));
  app.use(metrics.router);
  for (const router of apiRouters(ctx)) app.use(router);

  app.use(notFoundRoute);
  app.use(errorHandler);
  return app;
}
