/**
 * The projector: runs every projection and reactor against the event store. Embedded mode runs it
 * inside the API process; production runs it as its own service.
 */
import { isLoginEvent, type ConfigKind } from '@idstream/domain';
import type { EventStore, RecordedEvent } from '@idstream/eventstore';
import type { JobQueue } from '@idstream/jobs';
import type { Logger } from '@idstream/platform';
import { deferCheckpoints, ProjectionRunner, SharedEventFeed, ViewProjectionHandler, localWaiter, type DeferredCheckpoints, type PositionWaiter, type ProjectionHandler, type RunnerOptions } from '@idstream/projection-runner';
import { configCollectionNames, configProjection } from '@idstream/projection-config-views';
import { USER_VIEWS_ALIAS, userViewProjection, type UserViewBody } from '@idstream/projection-user-views';
import { UserSearchHandler } from '@idstream/projection-user-search';
import { LOGIN_RECORDS_CHECKPOINT, REFRESH_TOKENS_COLLECTION, loginRecordsProjection, refreshTokensProjection, type RefreshTokensBody } from '@idstream/projection-user-views';
import { DELIVERY_LOG_CHECKPOINT, deliveryLogProjection, WebhookReactor } from '@idstream/reactors';
import { PasswordlessEmailReactor } from '@idstream/reactors';
import { EmailReactor } from '@idstream/reactors';
import { TwoFactorEmailReactor } from '@idstream/reactors';
import { LoginRecordErasure } from '@idstream/projection-user-views';
import { TwoFactorErasureReactor } from '@idstream/reactors';
import { PasswordlessErasureReactor } from '@idstream/reactors';
import { EVENT_LOG_CHECKPOINT, eventLogProjection } from '@idstream/reactors';
import type { SearchIndex } from '@idstream/search';
import type { ViewDatabase } from '@idstream/views';
import { CONFIG_VIEWS_CHECKPOINT, userSearchCheckpoint, userViewsCheckpoint, type ReadModels } from './read-models.js';

export interface ProjectorDependencies {
  eventStore: EventStore;
  views: ViewDatabase;
  search: SearchIndex;
  jobs: JobQueue;
  readModels: ReadModels;
  logger: Logger;
  /** Called after every batch any runner applies (positions reported to another thread). */
  onApplied?: (runner: ProjectionRunner) => void;
  /** Which runners this projector runs; default all. */
  part?: ProjectorPart;
  /**
   * Where the search projection learns how far the user views are, when they run in another thread
   * (`part: 'search'`); by default the local user-views runner.
   */
  viewsReached?: PositionWaiter;
}

/**
 * All runners; all but the user search (which then runs in a thread of its own, on the other core);
 * or the user search alone (that thread).
 */
export type ProjectorPart = 'all' | 'without-search' | 'search';

/** Started together first (reads and read-your-writes depend on them), then the rest one by one. */
const FIRST = ['configViews', 'userViews', 'userSearch', 'webhookReactor', 'webhookDeliveryLog'] as const;
const THEN = ['passwordlessEmailReactor', 'passwordlessErasure', 'eventLog', 'loginRecords', 'emailReactor', 'twoFactorEmailReactor', 'loginRecordErasure', 'twoFactorErasure'] as const;
type RunnerName = (typeof FIRST)[number] | (typeof THEN)[number];
/** Every runner of a Projector, by property name. */
export const PROJECTION_RUNNERS: readonly RunnerName[] = [...FIRST, ...THEN];

/**
 * How long the runners no request's answer waits on (user search, login records, their erasure
 * index, the webhook reactor) hold a batch of logins for more to join. At tens of logins a second
 * each login cost each of them a transaction of its own; now one per ~50 ms. They are eventually
 * consistent: lastLoginInstant in search results, login records and login webhooks trail a login by
 * at most this (`PUT /api/user/search` waits for search).
 */
export const LOGINS_LINGER_MS = 50;

export class Projector {
  userViews: ProjectionRunner;
  readonly configViews: ProjectionRunner;
  userSearch: ProjectionRunner;
  readonly webhookReactor: ProjectionRunner;
  readonly emailReactor: ProjectionRunner;
  readonly twoFactorEmailReactor: ProjectionRunner;
  readonly loginRecordErasure: ProjectionRunner;
  readonly twoFactorErasure: ProjectionRunner;
  readonly passwordlessEmailReactor: ProjectionRunner;
  readonly passwordlessErasure: ProjectionRunner;
  readonly eventLog: ProjectionRunner;
  readonly loginRecords: ProjectionRunner;
  readonly webhookDeliveryLog: ProjectionRunner;

  private readonly deps: ProjectorDependencies;
  private readonly views: DeferredCheckpoints;

  constructor(deps: ProjectorDependencies) {
    // Every runner reads the log through one shared subscription instead of one each, and
    // checkpoints past events a projection ignored are written behind (deferCheckpoints).
    this.views = deferCheckpoints(deps.views);
    this.deps = { ...deps, eventStore: new SharedEventFeed(deps.eventStore).asEventStore(), views: this.views };
    const { eventStore, views, jobs, readModels } = this.deps;
    const options = this.runnerOptions();
    this.configViews = new ProjectionRunner(
      eventStore,
      new ViewProjectionHandler(
        CONFIG_VIEWS_CHECKPOINT,
        views,
        (Object.keys(configCollectionNames) as ConfigKind[]).map((kind) => ({ collection: readModels.config[kind], projection: configProjection(kind) })),
      ),
      options,
    );
    this.userViews = this.userViewsRunner(readModels.usersCollectionName);
    this.passwordlessEmailReactor = new ProjectionRunner(eventStore, new PasswordlessEmailReactor(views, jobs), options);
    this.passwordlessErasure = new ProjectionRunner(eventStore, new PasswordlessErasureReactor(views, eventStore), options);
    this.eventLog = new ProjectionRunner(eventStore, new ViewProjectionHandler(EVENT_LOG_CHECKPOINT, views, [{ collection: readModels.eventLog, projection: eventLogProjection }]), options);
    this.loginRecords = lingeringOnLogins(eventStore, new ViewProjectionHandler(LOGIN_RECORDS_CHECKPOINT, views, [{ collection: readModels.loginRecords, projection: loginRecordsProjection }]), options);
    this.userSearch = this.userSearchRunner(readModels.search, readModels.searchVersion);
    this.emailReactor = new ProjectionRunner(eventStore, new EmailReactor(views, jobs), options);
    this.twoFactorEmailReactor = new ProjectionRunner(eventStore, new TwoFactorEmailReactor(views, jobs), options);
    this.loginRecordErasure = lingeringOnLogins(eventStore, new LoginRecordErasure(views, readModels.loginRecords), options);
    this.twoFactorErasure = new ProjectionRunner(eventStore, new TwoFactorErasureReactor(views, eventStore), options);
    this.webhookReactor = lingeringOnLogins(eventStore, new WebhookReactor(views, readModels.config.Webhook, readModels.config.Tenant, jobs, localWaiter(this.configViews)), options);
    this.webhookDeliveryLog = new ProjectionRunner(
      eventStore,
      new ViewProjectionHandler(DELIVERY_LOG_CHECKPOINT, views, [{ collection: readModels.webhookDeliveries, projection: deliveryLogProjection }]),
      options,
    );
  }

  /** Waiters that follow the live runners, also across a rebuild's switch. */
  readonly waiters: { users: PositionWaiter; config: PositionWaiter; search: PositionWaiter } = {
    users: { waitFor: (position, timeoutMs) => this.userViews.waitFor(position, timeoutMs) },
    config: { waitFor: (position, timeoutMs) => this.configViews.waitFor(position, timeoutMs) },
    search: { waitFor: (position, timeoutMs) => this.userSearch.waitFor(position, timeoutMs) },
  };

  async start(): Promise<void> {
    await Promise.all(this.active(FIRST).map((r) => r.start()));
    for (const runner of this.active(THEN)) await runner.start();
  }

  /** Resolves once every projection has applied everything in the log when called. */
  async catchUp(timeoutMs?: number): Promise<void> {
    await Promise.all(this.active(FIRST).map((r) => r.catchUp(timeoutMs)));
    for (const runner of this.active(THEN)) await runner.catchUp(timeoutMs);
  }

  async stop(): Promise<void> {
    await Promise.all(this.active(FIRST).map((r) => r.stop()));
    for (const runner of this.active(THEN)) await runner.stop();
    // A graceful stop leaves every checkpoint at what its runner applied.
    await this.views.flush();
  }

  /** The runners of `names` this projector runs (looked up now: a rebuild's switch replaces some). */
  private active(names: readonly RunnerName[]): ProjectionRunner[] {
    return names.filter((name) => this.runs(name)).map((name) => this[name]);
  }

  private runs(name: string): boolean {
    const part = this.deps.part ?? 'all';
    return part === 'all' || (part === 'search') === (name === 'userSearch');
  }

  /**
   * Rebuilds the user views into a fresh versioned collection, then switches the alias to it and
   * continues live from there. Reads keep using the old collection until the switch.
   */
  async rebuildUserViews(onProgress?: (position: number, head: number) => void): Promise<string> {
    const { views, readModels, eventStore } = this.deps;
    const current = readModels.usersCollectionName;
    const next = nextVersionName(current);
    await views.collection(next).drop();
    // Dropping keeps checkpoints: a rebuild killed part-way left one behind, and resuming from it
    // into the emptied collection would silently skip everything before it. Start from the log's
    // beginning (positions are > 0 in both event stores).
    await views.setCheckpoint({ name: userViewsCheckpoint(next), position: 0 });
    const runner = this.userViewsRunner(next);
    await runner.start();
    const head = await eventStore.headPosition();
    await waitWithProgress(runner, head, onProgress);
    // Switch: stop the old runner, point the alias and the live reference at the new collection.
    await this.userViews.stop();
    await views.setAlias(USER_VIEWS_ALIAS, next);
    readModels.users = views.collection<UserViewBody>(next);
    readModels.usersCollectionName = next;
    this.userViews = runner;
    return next;
  }

  /** Rebuilds the search index into a new version, then switches the alias to it. */
  async rebuildUserSearch(onProgress?: (position: number, head: number) => void): Promise<number> {
    const { search, readModels, eventStore } = this.deps;
    const nextVersion = readModels.searchVersion + 1;
    await search.dropVersion(nextVersion).catch(() => undefined);
    const target = await search.version(nextVersion);
    const runner = this.userSearchRunner(target, nextVersion);
    await runner.start();
    await waitWithProgress(runner, await eventStore.headPosition(), onProgress);
    await this.userSearch.stop();
    await search.switchTo(nextVersion);
    readModels.search = target;
    readModels.searchVersion = nextVersion;
    this.userSearch = runner;
    return nextVersion;
  }

  private userViewsRunner(collectionName: string): ProjectionRunner {
    const { eventStore, views } = this.deps;
    return new ProjectionRunner(
      eventStore,
      new ViewProjectionHandler(userViewsCheckpoint(collectionName), views, [
        { collection: views.collection<RefreshTokensBody>(REFRESH_TOKENS_COLLECTION), projection: refreshTokensProjection },
        { collection: views.collection<UserViewBody>(collectionName), projection: userViewProjection },
      ]),
      // A burst (import) is applied 5,000 events per view transaction; live traffic makes small batches anyway.
      this.runnerOptions({ batchSize: 5_000, maxBuffered: 20_000 }),
    );
  }

  private userSearchRunner(index: SearchIndex, version: number): ProjectionRunner {
    const { eventStore, readModels, viewsReached, part } = this.deps;
    // On the views' own thread, search yields to them while they catch up (logHead); in a thread of
    // its own it runs beside them on the other core.
    const logHead = part === 'search' ? undefined : () => eventStore.headPosition();
    const handler = new UserSearchHandler(userSearchCheckpoint(version), index, () => readModels.users, viewsReached ?? this.waiters.users, logHead);
    // Large batches: FTS5 writes one index segment per transaction, so fewer, bigger ones index faster.
    // A batch of logins alone (or of events that shape no user) waits for company, so a stream of
    // logins costs one index write per ~50 ms instead of one per login; a user created, changed or
    // deleted is indexed at once and takes the waiting logins with it.
    return new ProjectionRunner(eventStore, handler, this.runnerOptions({ batchSize: 5_000, maxBuffered: 20_000, linger: lingerOnLogins(handler) }));
  }

  /** The live runners by property name (a rebuild's switch replaces `userViews` / `userSearch`). */
  runners(): Record<string, ProjectionRunner> {
    return Object.fromEntries(Object.entries(this).filter((entry): entry is [string, ProjectionRunner] => entry[1] instanceof ProjectionRunner && this.runs(entry[0])));
  }

  private runnerOptions(extra: RunnerOptions = {}): RunnerOptions {
    const { logger, onApplied } = this.deps;
    return {
      onError: (error, name) => logger.error({ err: error, projection: name }, 'projection batch failed; retrying'),
      ...(onApplied && { onApplied }),
      ...extra,
    };
  }
}

/** Batches of logins (and of events the handler ignores) wait LOGINS_LINGER_MS for company. */
function lingerOnLogins(handler: ProjectionHandler): NonNullable<RunnerOptions['linger']> {
  return { ms: LOGINS_LINGER_MS, deferrable: (event: RecordedEvent) => isLoginEvent(event) || handler.ignores?.(event) === true };
}

/** A runner that holds batches of logins for LOGINS_LINGER_MS. */
function lingeringOnLogins(eventStore: EventStore, handler: ProjectionHandler, options: RunnerOptions): ProjectionRunner {
  return new ProjectionRunner(eventStore, handler, { ...options, linger: lingerOnLogins(handler) });
}

function nextVersionName(name: string): string {
  const match = /^(.*)_v(\d+)$/.exec(name);
  return match ? `${match[1]}_v${Number(match[2]) + 1}` : `${name}_v2`;
}

async function waitWithProgress(runner: ProjectionRunner, head: number, onProgress?: (position: number, head: number) => void): Promise<void> {
  const timer = onProgress ? setInterval(() => onProgress(runner.position, head), 250) : undefined;
  try {
    await runner.waitFor(head, 24 * 3_600_000);
    onProgress?.(head, head);
  } finally {
    if (timer) clearInterval(timer);
  }
}
