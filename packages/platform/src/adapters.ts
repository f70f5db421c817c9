/**
 * Chooses each port's adapter from configuration alone: a production URL selects the server-backed
 * adapter, its absence the embedded SQLite one in the data directory. This is the only place that
 * knows both sets exist.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { IdstreamConfig } from '@idstream/config';
import { openKurrentDbEventStore, openSqliteEventStore, startWalCheckpointer, type EventStore } from '@idstream/eventstore';
import { openBullMqJobQueue, openSqliteJobQueue, type JobQueue } from '@idstream/jobs';
import { openElasticsearchIndex, openSqliteSearchIndex, type SearchIndex } from '@idstream/search';
import { openMongoViewDatabase, openSqliteViewDatabase, type ViewDatabase } from '@idstream/views';
import type { Logger } from 'pino';
import { loadMasterKey } from './master-key.js';
import { createObservable, instrumentEventStore, instrumentJobQueue, type ObservableEmitter } from './instrumentation.js';

export interface Adapters {
  eventStore: EventStore;
  views: ViewDatabase;
  search: SearchIndex;
  jobs: JobQueue;
  masterKey: Buffer;
  /** Append latency and job outcomes of this process (metrics subscribe here; the projector thread's are replayed into it). */
  observable: ObservableEmitter;
  close(): Promise<void>;
}

/** Every role in this process (the embedded default): no other process writes the embedded files. */
function allRolesHere(config: IdstreamConfig): boolean {
  return (['api', 'projector', 'worker'] as const).every((role) => config.roles.includes(role));
}

/**
 * How often an embedded event store looks for appends it was not told about. Appends made in this
 * process (any thread) wake its subscriptions at once; only another process writing the same file
 * needs the poll. With every role in one process (the embedded default) nothing else writes there, and
 * forty wake-ups a second per subscribing thread were a third of the idle service's CPU and ~1 ms of
 * the API thread per password login at 30 logins/s (measured, docs/benchmarks.md session 7). Roles
 * split across processes on one data directory keep the short poll: it is how they see each other.
 */
function sqlitePollIntervalMs(config: IdstreamConfig): number {
  return allRolesHere(config) ? 250 : 25;
}

/**
 * The same for the embedded job queue's workers: an enqueue in this process wakes them at once, and
 * a delayed job's due time sets their sleep. The poll is for jobs another process enqueued (the CLI,
 * or roles split across processes). Four queues polling four times a second were ~16 of the idle API
 * thread's wake-ups a second, each a write transaction.
 */
function sqliteJobPollIntervalMs(config: IdstreamConfig): number {
  return allRolesHere(config) ? 1_000 : 250;
}

export async function openAdapters(config: IdstreamConfig, logger: Logger): Promise<Adapters> {
  const needsDataDir = !config.kurrentDbUrl || !config.mongoDbUrl || !config.elasticsearchUrl || !config.redisUrl || !config.masterKey;
  if (needsDataDir) mkdirSync(config.dataDir, { recursive: true });
  const file = (name: string) => join(config.dataDir, name);

  const observable = createObservable();
  const rawEventStore = config.kurrentDbUrl
    ? await openKurrentDbEventStore({ connectionString: config.kurrentDbUrl })
    : await openSqliteEventStore({ path: file('events.db'), pollIntervalMs: sqlitePollIntervalMs(config) });
  const views = config.mongoDbUrl
    ? await openMongoViewDatabase({ url: config.mongoDbUrl, dbName: config.mongoDbName })
    : await openSqliteViewDatabase({ path: file('views.db') });
  const search = config.elasticsearchUrl
    ? await openElasticsearchIndex({ node: config.elasticsearchUrl, indexPrefix: config.elasticsearchIndexPrefix })
    : await openSqliteSearchIndex({ path: file('search.db') });
  const rawJobs = config.redisUrl
    ? await openBullMqJobQueue({
        connection: config.redisUrl,
        prefix: config.redisPrefix,
        onConnectionLost: (error) => logger.warn({ err: error }, 'redis is unreachable: jobs wait until it answers again'),
        onConnectionRestored: () => logger.info('redis answers again'),
      })
    : await openSqliteJobQueue({ path: file('jobs.db'), pollIntervalMs: sqliteJobPollIntervalMs(config) });
  // The embedded files' WALs are checkpointed off the event loop (one thread per process; the
  // projector thread's adapters share the files and need none of their own).
  const sqliteFiles = [
    ...(config.kurrentDbUrl ? [] : [file('events.db')]),
    ...(config.mongoDbUrl ? [] : [file('views.db')]),
    ...(config.elasticsearchUrl ? [] : [file('search.db')]),
    ...(config.redisUrl ? [] : [file('jobs.db')]),
  ];
  const checkpointer = isMainThread && sqliteFiles.length > 0 ? startWalCheckpointer(sqliteFiles, { onError: (err) => logger.warn({ err }, 'WAL checkpoint thread failed; SQLite autocheckpoints instead') }) : undefined;
  const eventStore = instrumentEventStore(rawEventStore, observable);
  const jobs = instrumentJobQueue(rawJobs, observable);
  const masterKey = config.masterKey ?? loadMasterKey(config.dataDir);

  logger.info(
    { eventStore: eventStore.kind, views: views.kind, search: search.engine, jobs: jobs.kind },
    'adapters opened',
  );
  return {
    eventStore,
    views,
    search,
    jobs,
    masterKey,
    observable,
    async close() {
      await checkpointer?.stop();
      await Promise.allSettled([jobs.close(), search.close(), views.close()]);
      await eventStore.close();
    },
  };
}
