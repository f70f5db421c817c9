/**
 * OpenTelemetry tracing, on when `OTEL_EXPORTER_OTLP_ENDPOINT` is configured (OTLP/HTTP JSON to
 * `<endpoint>/v1/traces`). Without it every helper here is a no-op of the OpenTelemetry API.
 *
 * One trace follows a write end to end: the HTTP request span is the parent of the command span,
 * which is the parent of the event-store append span. The append stamps each event's metadata with
 * the span's `traceparent`; a projection batch span links to the append spans of its events, and
 * the jobs a reactor enqueues inside that batch carry the batch's context into the worker's job
 * span. Every span that touches an event names it (`idstream.event.ids`), so the event id links
 * the pieces even across processes.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

export const TRACER_NAME = 'idstream';
/** Key of the W3C trace context inside event metadata and job payloads. */
export const TRACEPARENT = 'traceparent';

let provider: NodeTracerProvider | undefined;

export interface TracingSettings {
  otlpEndpoint?: string;
  serviceName: string;
}

/** Registers the global tracer provider once per process (later calls reuse it). */
export function initTracing(settings: TracingSettings): boolean {
  if (!settings.otlpEndpoint) return false;
  if (provider) return true;
  const exporter = new OTLPTraceExporter({ url: `${settings.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` });
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1_000 })],
  });
  provider.register();
  return true;
}

/** Exports the spans still buffered (called on shutdown). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

export const tracer = () => trace.getTracer(TRACER_NAME);

/** Runs `fn` inside a new active span; the span records a thrown error and always ends. */
export async function withSpan<T>(
  name: string,
  options: { kind?: SpanKind; attributes?: Record<string, string | number | boolean | string[]>; links?: Link[]; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes && { attributes: options.attributes }), ...(options.links && { links: options.links }) }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** The active context as a W3C `traceparent`, or undefined when nothing is being traced. */
export function currentTraceparent(): string | undefined {
  if (!trace.getSpan(context.active())?.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier[TRACEPARENT];
}

/** The context a `traceparent` names (for a parent or a link). */
export function contextFrom(traceparent: unknown, base: Context = context.active()): Context | undefined {
  if (typeof traceparent !== 'string') return undefined;
  const extracted = propagation.extract(base, { [TRACEPARENT]: traceparent });
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/** A link to the span a `traceparent` names. */
export function linkTo(traceparent: unknown): Link | undefined {
  const extracted = contextFrom(traceparent);
  const spanContext = extracted && trace.getSpanContext(extracted);
  return spanContext ? { context: spanContext } : undefined;
}

export { SpanKind, SpanStatusCode, context, trace };
