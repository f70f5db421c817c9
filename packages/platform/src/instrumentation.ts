/**
 * Decorators that make the event store and the job queue observable without touching their
 * adapters: append latency and job outcomes go to whoever listens (the metrics endpoint), and both
 * take part in tracing (see tracing.ts).
 */
import type { AppendRequest, EventData, EventStore, MultiAppendResult, AppendResult } from '@idstream/eventstore';
import type { JobContext, JobHandler, JobQueue, JobSpec, WorkerOptions } from '@idstream/jobs';
import { contextFrom, currentTraceparent, SpanKind, TRACEPARENT, withSpan } from './tracing.js';

export interface AppendObservation {
  seconds: number;
  ok: boolean;
  events: { type: string; streamName: string }[];
}

export interface JobObservation {
  queue: string;
  status: 'completed' | 'retrying' | 'dead';
  /** The webhook a webhook job delivers to. */
  webhookId?: string;
  seconds: number;
}

/** Listeners registered by observers; each returns an unsubscribe function. */
export interface Observable {
  onAppend(listener: (observation: AppendObservation) => void): () => void;
  onJob(listener: (observation: JobObservation) => void): () => void;
  /** Queues this process enqueued to or works on (for queue depth). */
  knownQueues(): string[];
}

export function createObservable(): Observable & { emitAppend(o: AppendObservation): void; emitJob(o: JobObservation): void; noteQueue(queue: string): void } {
  const appends = new Set<(o: AppendObservation) => void>();
  const jobs = new Set<(o: JobObservation) => void>();
  const queues = new Set<string>();
  const safely = <T>(listeners: Set<(o: T) => void>, o: T) => {
    for (const listener of listeners) {
      try {
        listener(o);
      } catch {
        // An observer must never break a write or a job.
      }
    }
  };
  return {
    onAppend: (listener) => (appends.add(listener), () => appends.delete(listener)),
    onJob: (listener) => (jobs.add(listener), () => jobs.delete(listener)),
    knownQueues: () => [...queues].sort(),
    emitAppend: (o) => safely(appends, o),
    emitJob: (o) => safely(jobs, o),
    noteQueue: (queue) => void queues.add(queue),
  };
}

/** An Observable that can also be fed (the API thread replays the projector thread's observations). */
export type ObservableEmitter = ReturnType<typeof createObservable>;
type Emitter = ObservableEmitter;

/** Stamps the active trace context into event metadata so projections and jobs can link to it. */
function stamped(events: EventData[]): EventData[] {
  const traceparent = currentTraceparent();
  if (!traceparent) return events;
  return events.map((e) => ({ ...e, metadata: { ...e.metadata, [TRACEPARENT]: traceparent } }));
}

export function instrumentEventStore(store: EventStore, observer: Emitter): EventStore {
  const timed = async <T>(requests: AppendRequest[], write: (requests: AppendRequest[]) => Promise<T>): Promise<T> => {
    const events = requests.flatMap((r) => r.events.map((e) => ({ type: e.type, streamName: r.streamName, id: e.id })));
    return withSpan(
      'eventstore.append',
      { kind: SpanKind.CLIENT, attributes: { 'db.system': store.kind, 'idstream.event.ids': events.map((e) => e.id), 'idstream.event.types': [...new Set(events.map((e) => e.type))], 'idstream.streams': requests.length } },
      async () => {
        const started = performance.now();
        let ok = false;
        try {
          const result = await write(requests.map((r) => ({ ...r, events: stamped(r.events) })));
          ok = true;
          return result;
        } finally {
          observer.emitAppend({ seconds: (performance.now() - started) / 1000, ok, events });
        }
      },
    );
  };
  return Object.assign(Object.create(store) as EventStore, {
    kind: store.kind,
    append: (streamName: string, events: EventData[], expectedRevision: AppendRequest['expectedRevision']): Promise<AppendResult> =>
      timed([{ streamName, events, expectedRevision }], ([r]) => store.append(r!.streamName, r!.events, r!.expectedRevision)),
    appendMultiple: (requests: AppendRequest[]): Promise<MultiAppendResult> => timed(requests, (stampedRequests) => store.appendMultiple(stampedRequests)),
    readStream: store.readStream.bind(store),
    readAll: store.readAll.bind(store),
    subscribeToAll: store.subscribeToAll.bind(store),
    deleteStream: store.deleteStream.bind(store),
    headPosition: store.headPosition.bind(store),
    close: store.close.bind(store),
  });
}

export function instrumentJobQueue(queue: JobQueue, observer: Emitter): JobQueue {
  return Object.assign(Object.create(queue) as JobQueue, {
    kind: queue.kind,
    enqueue(jobs: JobSpec[]): Promise<void> {
      for (const job of jobs) observer.noteQueue(job.queue);
      const traceparent = currentTraceparent();
      // The worker's job span continues the trace of whatever enqueued it (a reactor's batch span).
      const carried = traceparent
        ? jobs.map((job) => (isPlainObject(job.payload) ? { ...job, payload: { ...job.payload, [TRACEPARENT]: traceparent } } : job))
        : jobs;
      return queue.enqueue(carried);
    },
    work<Payload>(name: string, handler: JobHandler<Payload>, options?: WorkerOptions) {
      observer.noteQueue(name);
      const started = new Map<string, { at: number; webhookId?: string }>();
      const traced: JobHandler<Payload> = (payload, jobContext: JobContext) => {
        const fields = isPlainObject(payload) ? (payload as Record<string, unknown>) : {};
        const webhookId = typeof fields.webhookId === 'string' ? fields.webhookId : undefined;
        started.set(jobContext.id, { at: performance.now(), ...(webhookId && { webhookId }) });
        const parent = contextFrom(fields[TRACEPARENT]);
        const eventId = typeof fields.eventId === 'string' ? fields.eventId : undefined;
        return withSpan(
          `job ${name}`,
          { kind: SpanKind.CONSUMER, ...(parent && { parent }), attributes: { 'idstream.job.id': jobContext.id, 'idstream.job.queue': name, 'idstream.job.attempt': jobContext.attempt, ...(eventId && { 'idstream.event.ids': [eventId] }), ...(webhookId && { 'idstream.webhook.id': webhookId }) } },
          () => handler(payload, jobContext),
        );
      };
      return queue.work<Payload>(name, traced, {
        ...options,
        onAttempt: async (outcome) => {
          const start = started.get(outcome.context.id);
          started.delete(outcome.context.id);
          observer.emitJob({ queue: name, status: outcome.status, ...(start?.webhookId && { webhookId: start.webhookId }), seconds: outcome.durationMs / 1000 });
          await options?.onAttempt?.(outcome);
        },
      });
    },
    counts: queue.counts.bind(queue),
    retry: queue.retry.bind(queue),
    close: queue.close.bind(queue),
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
