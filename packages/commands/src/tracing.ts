/** The command span (child of the HTTP request span, parent of the append span); a no-op without a tracer provider. */
import { SpanStatusCode, trace } from '@opentelemetry/api';

export function traceCommand<T extends { eventIds?: string[] }>(streamName: string, command: unknown, run: () => Promise<T>): Promise<T> {
  const type = typeof (command as { type?: unknown })?.type === 'string' ? (command as { type: string }).type : 'command';
  return trace.getTracer('idstream').startActiveSpan(`command ${type}`, { attributes: { 'idstream.command': type, 'idstream.stream': streamName } }, async (span) => {
    try {
      const result = await run();
      if (result.eventIds) span.setAttribute('idstream.event.ids', result.eventIds);
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
