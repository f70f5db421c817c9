/**
 * A span per applied batch, linked to the append spans of its events through the `traceparent`
 * the instrumented event store wrote into their metadata. A no-op unless a tracer provider is
 * registered (packages/platform/src/tracing.ts).
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import type { RecordedEvent } from '@idstream/eventstore';

export async function traceBatch<T>(projection: string, batch: RecordedEvent[], apply: () => Promise<T>): Promise<T> {
  const tracer = trace.getTracer('idstream');
  const links: Link[] = [];
  for (const event of batch) {
    const traceparent = event.metadata?.traceparent;
    if (typeof traceparent !== 'string') continue;
    const spanContext = trace.getSpanContext(propagation.extract(context.active(), { traceparent }));
    if (spanContext) links.push({ context: spanContext, attributes: { 'idstream.event.id': event.id } });
  }
  // A batch of one write continues that write's trace; a mixed batch starts its own and links them.
  const single = links.length > 0 && links.every((l) => l.context.traceId === links[0]!.context.traceId);
  const parent = single ? trace.setSpanContext(context.active(), links[0]!.context) : context.active();
  const span = tracer.startSpan(
    `projection ${projection}`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: { 'idstream.projection': projection, 'idstream.event.ids': batch.map((e) => e.id), 'idstream.position.from': batch[0]?.position ?? 0, 'idstream.position.to': batch[batch.length - 1]?.position ?? 0 },
    },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), apply);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
