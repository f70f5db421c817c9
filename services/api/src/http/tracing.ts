/**
 * The HTTP server span: continues an incoming W3C `traceparent`, is active while the route runs (so
 * the command and append spans become its children) and ends when the response is sent. A no-op
 * span unless tracing is configured.
 */
import type { RequestHandler } from 'express';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { routeTemplate } from './metrics.js';
import { loggablePath } from './log-redaction.js';

export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = trace.getTracer('idstream').startSpan(`${req.method} ${loggablePath(req.path)}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': loggablePath(req.path) } }, parent);
    if (!span.isRecording()) return next();
    res.on('finish', () => {
      const route = routeTemplate(req);
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode, 'idstream.request.id': req.requestId });
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    res.on('close', () => {
      if (!res.writableFinished) span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
