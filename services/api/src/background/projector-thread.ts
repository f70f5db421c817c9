/**
 * The API thread's side of a projector thread (all projections, or the user search alone): starts
 * it, follows the positions it reports, and offers the same surface as an in-process Projector (a runner per projection with `position`,
 * `waitFor`, `catchUp`; read-your-writes waiters; the search rebuild) so the rest of the process
 * does not care where the projections run.
 */
import { Worker } from 'node:worker_threads';
import type { IdstreamConfig } from '@idstream/config';
import type { EventStore } from '@idstream/eventstore';
import type { AppendObservation, JobObservation, Logger } from '@idstream/platform';
import { PositionWaiters, type PositionWaiter, type ProjectionRunner } from '@idstream/projection-runner';
import { PROJECTION_RUNNERS, type Projector } from '@idstream/projector';
import type { FromThread, ToThread } from './protocol.js';

/** What callers use of a projection runner, wherever it runs. */
export interface RunnerHandle {
  readonly name: string;
  readonly position: number;
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  catchUp(timeoutMs?: number): Promise<void>;
}

type RunnerKey = { [K in keyof Projector]: Projector[K] extends ProjectionRunner ? K : never }[keyof Projector];

/** The projector as the rest of the process sees it: in this thread or in the projector thread. */
export type ProjectorHandle = { readonly [K in RunnerKey]: RunnerHandle } & {
  readonly waiters: { users: PositionWaiter; config: PositionWaiter; search: PositionWaiter };
  runners(): Record<string, RunnerHandle>;
};

/** Observations from the thread are replayed into the API thread's metrics source. */
export interface ObservationSink {
  emitAppend(observation: AppendObservation): void;
  emitJob(observation: JobObservation): void;
  noteQueue(queue: string): void;
}

const RESTART_DELAY_MS = 1_000;

export interface ProjectorThreadOptions {
  logger: Logger;
  /** The job worker runs in the thread too (part 'all'). */
  worker: boolean;
  /** Every runner ('all'), or the user search alone ('search', beside the API thread's projector). */
  part: 'all' | 'search';
}

/** The projector of this thread with its user search in a search thread: one handle for both. */
export function withSearchFrom(local: Projector, thread: ProjectorThread): ProjectorHandle {
  // Looked up on use: a rebuild's switch replaces the local user-views runner.
  const delegate = (pick: () => RunnerHandle): RunnerHandle => ({
    get name() {
      return pick().name;
    },
    get position() {
      return pick().position;
    },
    waitFor: (position, timeoutMs) => pick().waitFor(position, timeoutMs),
    catchUp: (timeoutMs) => pick().catchUp(timeoutMs),
  });
  const runners = Object.fromEntries(PROJECTION_RUNNERS.map((key) => [key, delegate(() => (key === 'userSearch' ? thread.search : local[key]))])) as { [K in RunnerKey]: RunnerHandle };
  return {
    ...runners,
    waiters: { users: local.waiters.users, config: local.waiters.config, search: thread.search },
    runners: () => ({ ...local.runners(), userSearch: thread.search }),
  };
}

export class ProjectorThread {
  private worker!: Worker;
  private readonly state = new Map<string, { name: string; position: number; waiters: PositionWaiters }>();
  private readonly requests = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private nextRequest = 1;
  private stopping = false;
  private started?: { resolve(): void; reject(error: Error): void };
  private exited?: Promise<void>;
  private masterKey?: Uint8Array;
  private eventStore?: EventStore;
  private observations?: ObservationSink;
  /** The last user-views position reported to a search thread (sent again to a restarted one). */
  private viewsPosition = 0;
  /** Positions of the user views the search thread waits for, not reached yet. */
  private viewsNeeded: number[] = [];
  /** Handles of the thread's runners (all of them, or the user search alone). */
  readonly projector: ProjectorHandle;
  readonly search: RunnerHandle;

  private constructor(
    private readonly config: IdstreamConfig,
    private readonly options: ProjectorThreadOptions,
  ) {
    this.spawn();
    const runner = (key: string): RunnerHandle => this.handle(key);
    const runners: Record<string, RunnerHandle> = {};
    for (const key of PROJECTION_RUNNERS) runners[key] = runner(key);
    this.search = runners.userSearch!;
    this.projector = {
      ...(runners as { [K in RunnerKey]: RunnerHandle }),
      waiters: { users: runners.userViews!, config: runners.configViews!, search: runners.userSearch! },
      runners: () => Object.fromEntries([...this.state.keys()].map((key) => [key, runner(key)])),
    };
  }

  /**
   * Spawns the thread at once (loading its modules takes a second, in parallel with the API's own
   * start); it opens the stores when `start` hands it the master key.
   */
  static spawn(config: IdstreamConfig, options: ProjectorThreadOptions): ProjectorThread {
    return new ProjectorThread(config, options);
  }

  /**
   * A search thread waits on the user views of this thread. Their position is passed on when it
   * reaches one the thread waits for, not after every batch: a message per login woke the search
   * thread once more per login, which only needs the position when it has users to index.
   */
  reportViewsPosition(position: number): void {
    if (position <= this.viewsPosition) return;
    this.viewsPosition = position;
    if (this.viewsNeeded.some((needed) => needed <= position)) {
      this.viewsNeeded = this.viewsNeeded.filter((needed) => needed > position);
      this.send({ kind: 'views-position', position });
    }
  }

  /**
   * Opens the stores in the thread (after this thread opened them: the master key and the schemas
   * exist) and resolves once its projections have caught up with the log.
   */
  start(adapters: { masterKey: Uint8Array; eventStore: EventStore; observable: ObservationSink }): Promise<void> {
    const { masterKey } = adapters;
    this.masterKey = masterKey;
    this.eventStore = adapters.eventStore;
    this.observations = adapters.observable;
    return new Promise<void>((resolve, reject) => {
      this.started = { resolve, reject };
      this.send({ kind: 'start', masterKey });
    });
  }

  /** Rebuilds the search index in the thread; resolves with the new version once it is live. */
  rebuildSearch(): Promise<number> {
    const id = this.nextRequest++;
    return new Promise<number>((resolve, reject) => {
      this.requests.set(id, { resolve: (value) => resolve(value as number), reject });
      this.send({ kind: 'rebuild-search', id });
    });
  }

  /** Ends the thread the way a crash would; it is started again after RESTART_DELAY_MS (fault tests). */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.exited;
    this.stopping = true;
    const exited = this.exited!;
    this.send({ kind: 'stop' });
    // A thread stuck in a batch must not hold the process: after 30 s it is terminated (the
    // checkpoints it committed stay, what it had not is replayed on the next start).
    const timer = setTimeout(() => void this.worker.terminate(), 30_000);
    await exited;
    clearTimeout(timer);
  }

  private spawn(): void {
    const { masterKey: _key, ...config } = this.config;
    this.worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), {
      workerData: { config, worker: this.options.worker, part: this.options.part },
      name: this.options.part === 'search' ? 'idstream-search' : 'idstream-projector',
    });
    // The HTTP server keeps the process alive, not this thread: a start that fails before listening
    // ends the process instead of leaving it waiting on a thread nobody stops.
    this.worker.unref();
    this.worker.on('message', (message: FromThread) => this.receive(message));
    this.worker.on('error', (error) => this.options.logger.error({ err: error }, 'projector thread failed'));
    this.exited = new Promise<void>((resolve) =>
      this.worker.once('exit', (code) => {
        resolve();
        for (const request of this.requests.values()) request.reject(new Error('the projector thread exited'));
        this.requests.clear();
        if (this.stopping) return;
        // Crash safety: projections resume from their committed checkpoints in a new thread.
        this.options.logger.error({ code }, 'projector thread exited; restarting it');
        setTimeout(() => {
          if (this.stopping) return;
          this.spawn();
          // The new thread asks again for what it waits for.
          this.viewsNeeded = [];
          if (this.viewsPosition > 0) this.send({ kind: 'views-position', position: this.viewsPosition });
          if (this.masterKey) this.send({ kind: 'start', masterKey: this.masterKey });
        }, RESTART_DELAY_MS).unref();
      }),
    );
  }

  private send(message: ToThread): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromThread): void {
    switch (message.kind) {
      case 'positions':
        for (const [key, name, position] of message.positions) this.advance(key, name, position);
        break;
      case 'started':
        for (const queue of message.queues) this.observations?.noteQueue(queue);
        this.started?.resolve();
        this.started = undefined;
        break;
      case 'failed':
        this.options.logger.error({ error: message.error }, 'projector thread could not start');
        this.started?.reject(new Error(`the projector thread could not start: ${message.error}`));
        this.started = undefined;
        break;
      case 'views-needed':
        if (message.position <= this.viewsPosition) this.send({ kind: 'views-position', position: this.viewsPosition });
        else this.viewsNeeded.push(message.position);
        break;
      case 'append':
        this.observations?.emitAppend(message.observation);
        break;
      case 'job':
        for (const queue of message.queues) this.observations?.noteQueue(queue);
        this.observations?.emitJob(message.observation);
        break;
      case 'reply': {
        const request = this.requests.get(message.id);
        this.requests.delete(message.id);
        if (message.error !== undefined) request?.reject(new Error(message.error));
        else request?.resolve(message.value);
        break;
      }
      case 'stopped':
        break;
    }
  }

  private entry(key: string) {
    let entry = this.state.get(key);
    if (!entry) {
      const created: { name: string; position: number; waiters: PositionWaiters } = { name: key, position: 0, waiters: new PositionWaiters(() => created) };
      entry = created;
      this.state.set(key, entry);
    }
    return entry;
  }

  private advance(key: string, name: string, position: number): void {
    const entry = this.entry(key);
    entry.name = name;
    // A rebuild's switch replaces a runner: the new one reports its own position, higher or not.
    entry.position = position;
    entry.waiters.release(position);
  }

  private handle(key: string): RunnerHandle {
    const entry = () => this.entry(key);
    const waitFor = (position: number, timeoutMs = 10_000): Promise<void> => entry().waiters.waitFor(position, timeoutMs);
    return {
      get name() {
        return entry().name;
      },
      get position() {
        return entry().position;
      },
      waitFor,
      catchUp: async (timeoutMs = 60_000) => waitFor(await this.eventStore!.headPosition(), timeoutMs),
    };
  }
}
