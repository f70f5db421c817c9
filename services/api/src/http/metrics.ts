/**
 * Prometheus metrics at `/api/prometheus/metrics` (FusionAuth's path), behind an API key allowed to
 * call that endpoint. One registry per app, so several services in one process (tests) stay apart.
 *
 * Sources: the request middleware (latency by route and status, login outcomes by status), the
 * instrumented event store and job queue (append latency, job attempts per webhook), and values
 * read at scrape time (projection lag, queue depth).
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventStore } from '@idstream/eventstore';
import type { JobQueue } from '@idstream/jobs';
import type { Observable } from '@idstream/platform';
import { requireApiKey } from './auth.js';
import { registerEventLoopDelay } from './event-loop-metrics.js';

export const METRICS_PATH = '/api/prometheus/metrics';

export interface MetricSources {
  eventStore: EventStore;
  jobs?: JobQueue;
  observable?: Observable;
  /** Positions of the projections this process runs. */
  projections?: () => { name: string; position: number }[];
}

/** Login endpoints and what their statuses mean (FusionAuth's Login API). */
const LOGIN_ROUTES = new Set(['/api/login', '/api/passwordless/login', '/api/identity-provider/login', '/api/two-factor/login']);
const LOGIN_OUTCOMES: Record<number, string> = {
  200: 'success',
  202: 'not_registered',
  203: 'password_change_required',
  212: 'email_verification_required',
  213: 'registration_verification_required',
  242: 'two_factor_required',
  400: 'bad_request',
  404: 'failed',
  409: 'locked',
  410: 'expired',
  423: 'locked',
  429: 'rate_limited',
};

export interface Metrics {
  registry: Registry;
  /** Times every request; mount first. */
  middleware: RequestHandler;
  router: Router;
  close(): void;
}

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();
  // prom-client's own event-loop histogram is replaced by registerEventLoopDelay's; at this
  // resolution its timer wakes the loop once a minute.
  collectDefaultMetrics({ register: registry, prefix: 'idstream_', eventLoopMonitoringPrecision: 60_000 });
  const stopEventLoopDelay = registerEventLoopDelay(registry, 'idstream_');

  const requests = new Histogram({
    name: 'idstream_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const logins = new Counter({
    name: 'idstream_login_outcomes_total',
    help: 'Login attempts by endpoint and outcome.',
    labelNames: ['endpoint', 'outcome'] as const,
    registers: [registry],
  });
  const appends = new Histogram({
    name: 'idstream_eventstore_append_duration_seconds',
    help: 'Event store append latency (one atomic write, one or several streams).',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const appendedEvents = new Counter({ name: 'idstream_events_appended_total', help: 'Events appended, by type.', labelNames: ['type'] as const, registers: [registry] });
  const jobAttempts = new Counter({
    name: 'idstream_job_attempts_total',
    help: 'Job attempts by queue and outcome (completed, retrying, dead).',
    labelNames: ['queue', 'status'] as const,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'idstream_webhook_attempts_total',
    help: 'Webhook delivery attempts by webhook and outcome.',
    labelNames: ['webhook', 'status'] as const,
    registers: [registry],
  });
  const webhookFailures = new Counter({
    name: 'idstream_webhook_failures_total',
    help: 'Failed webhook delivery attempts (retrying or dead) by webhook.',
    labelNames: ['webhook'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'idstream_projection_lag_events',
    help: 'Log positions between the head of the event log and what each projection applied.',
    labelNames: ['projection'] as const,
    registers: [registry],
    async collect() {
      const projections = sources.projections?.() ?? [];
      if (projections.length === 0) return;
      const head = await sources.eventStore.headPosition();
      for (const p of projections) this.set({ projection: p.name }, Math.max(0, head - p.position));
    },
  });
  new Gauge({
    name: 'idstream_job_queue_depth',
    help: 'Jobs per queue and state (waiting, active, delayed, dead).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      if (!sources.jobs) return;
      for (const queue of sources.observable?.knownQueues() ?? []) {
        const counts = await sources.jobs.counts(queue);
        for (const state of ['waiting', 'active', 'delayed', 'dead'] as const) this.set({ queue, state }, counts[state]);
      }
    },
  });

  const unsubscribe = [
    sources.observable?.onAppend((o) => {
      appends.observe({ outcome: o.ok ? 'ok' : 'error' }, o.seconds);
      if (o.ok) for (const e of o.events) appendedEvents.inc({ type: e.type });
    }),
    sources.observable?.onJob((o) => {
      jobAttempts.inc({ queue: o.queue, status: o.status });
      if (!o.webhookId) return;
      webhookAttempts.inc({ webhook: o.webhookId, status: o.status });
      if (o.status !== 'completed') webhookFailures.inc({ webhook: o.webhookId });
    }),
  ];

  const middleware: RequestHandler = (req, res, next) => {
    const stop = requests.startTimer();
    res.on('finish', () => {
      const route = routeTemplate(req);
      stop({ method: req.method, route, status: String(res.statusCode) });
      if (req.method === 'POST' && LOGIN_ROUTES.has(route)) logins.inc({ endpoint: route, outcome: LOGIN_OUTCOMES[res.statusCode] ?? (res.statusCode >= 500 ? 'error' : 'other') });
    });
    next();
  };

  const router = Router();
  router.get(METRICS_PATH, requireApiKey(METRICS_PATH), async (_req: Request, res: Response) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });

  const close = () => {
    unsubscribe.forEach((u) => u?.());
    stopEventLoopDelay();
  };
  return { registry, middleware, router, close };
}

/** The matched route's template (`/api/user/:userId`), never the raw path: ids would explode the label set. */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}`;
  return 'unmatched';
}
