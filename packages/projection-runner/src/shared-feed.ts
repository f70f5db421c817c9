/**
 * One read of the event log per process, shared by every projection runner. Without it each runner
 * reads and parses every event itself (eight runners: eight times the I/O and JSON work on the
 * API's one thread). A subscriber that is behind — new, rebuilding, or too busy to take the next
 * event — reads on its own until it reaches the shared position, then rejoins, so a slow
 * projection (search) never holds back a fast one (user views) that reads wait on.
 */
import type { EventStore, RecordedEvent, SubscribeOptions, Subscription } from '@idstream/eventstore';

interface Subscriber {
  options: SubscribeOptions;
  /** Position of the last event `onEvent` finished with (or started, during a call). */
  delivered: number;
  /** Position of the last event queued for this subscriber. */
  queued: number;
  queue: RecordedEvent[];
  mode: 'live' | 'catching-up';
  pump?: Promise<void>;
  catchUp?: Promise<void>;
  closed: boolean;
}

/** Events a live subscriber may have waiting before it drops to reading on its own. */
const MAX_QUEUED = 10_000;
const PAGE = 1_000;
/**
 * The last events the shared subscription delivered, kept for subscribers that fell behind: during a
 * burst (an import of thousands of users) every slower projection drops out of the live queue, and
 * without this window each re-read and re-parsed the same pages from the store (measured: eleven
 * runners, 3 s of a 20,000-user import). Events are immutable, so they are shared as they are.
 */
const RECENT = 30_000;
/**
 * Store pages read by catching-up subscribers, kept while any subscriber is catching up, so that
 * runners behind by more than the recent window read each page once between them instead of once
 * each: a 100,000-user import dropped eleven runners out of the live queue, which then read and
 * parsed 2.6 million events from the store for its 300,000 (measured; a third of the API thread).
 */
const CACHED_PAGES = 32;

export class SharedEventFeed {
  private readonly subscribers = new Set<Subscriber>();
  private upstream?: Subscription;
  /** Position of the last event the shared subscription delivered. */
  private upstreamPosition = -1;
  /** The last upstream events, in order; complete for every position after `recentAfter`. */
  private recent: RecordedEvent[] = [];
  private recentAfter = -1;
  /** Pages read from the store during catch-up, oldest first; each holds every event in (after, its last]. */
  private pages: { after: number; events: RecordedEvent[] }[] = [];
  /** Store reads under way, by their `after`: subscribers in step wait for one read instead of each making it. */
  private reading = new Map<number, Promise<RecordedEvent[]>>();
  private catchingUp = 0;

  constructor(readonly store: EventStore) {}

  /** An EventStore whose `subscribeToAll` goes through this feed; every other call goes to the store. */
  asEventStore(): EventStore {
    return new Proxy(this.store, {
      get: (target, property, receiver) => {
        if (property === 'subscribeToAll') return (options: SubscribeOptions) => this.subscribe(options);
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  subscribe(options: SubscribeOptions): Subscription {
    const after = options.after ?? 0;
    const subscriber: Subscriber = { options, delivered: after, queued: after, queue: [], mode: 'catching-up', closed: false };
    this.subscribers.add(subscriber);
    if (!this.upstream) {
      // The first subscriber sets where the shared read starts; it is live from there.
      this.upstreamPosition = after;
      this.recent = [];
      this.recentAfter = after;
      subscriber.mode = 'live';
      this.upstream = this.store.subscribeToAll({
        after,
        onEvent: (event) => this.dispatch(event),
        onError: (error) => {
          for (const s of this.subscribers) this.fail(s, error);
        },
      });
    } else {
      this.startCatchUp(subscriber);
    }
    return {
      close: async () => {
        subscriber.closed = true;
        this.subscribers.delete(subscriber);
        await subscriber.catchUp;
        await subscriber.pump;
        if (this.subscribers.size === 0 && this.upstream) {
          const upstream = this.upstream;
          this.upstream = undefined;
          this.upstreamPosition = -1;
          this.recent = [];
          await upstream.close();
        }
      },
    };
  }

  private dispatch(event: RecordedEvent): void {
    this.upstreamPosition = event.position;
    this.recent.push(event);
    if (this.recent.length > RECENT * 2) {
      const dropped = this.recent.splice(0, this.recent.length - RECENT);
      this.recentAfter = dropped[dropped.length - 1]!.position;
    }
    for (const subscriber of this.subscribers) {
      if (subscriber.mode !== 'live' || event.position <= subscriber.queued) continue;
      if (subscriber.queue.length >= MAX_QUEUED) {
        // Too far behind: it reads what it misses itself, without holding back the others.
        subscriber.mode = 'catching-up';
        subscriber.queue = [];
        this.startCatchUp(subscriber);
        continue;
      }
      subscriber.queue.push(event);
      subscriber.queued = event.position;
      subscriber.pump ??= this.pump(subscriber);
    }
  }

  private async pump(subscriber: Subscriber): Promise<void> {
    try {
      while (!subscriber.closed && subscriber.mode === 'live') {
        const event = subscriber.queue.shift();
        if (!event) break;
        subscriber.delivered = event.position;
        await subscriber.options.onEvent(event);
      }
    } catch (error) {
      this.fail(subscriber, error);
    } finally {
      subscriber.pump = undefined;
      // An event may have been queued after the last shift but before this finally ran.
      if (!subscriber.closed && subscriber.mode === 'live' && subscriber.queue.length > 0) subscriber.pump = this.pump(subscriber);
    }
  }

  private startCatchUp(subscriber: Subscriber): void {
    if (subscriber.catchUp) return;
    this.catchingUp += 1;
    subscriber.catchUp = (async () => {
      try {
        await subscriber.pump;
        for (;;) {
          if (subscriber.closed) return;
          // Rejoin when nothing separates this subscriber from the shared read. No await between
          // this check and the switch, so no shared event can slip between the two.
          if (subscriber.delivered >= this.upstreamPosition) {
            subscriber.queued = subscriber.delivered;
            subscriber.mode = 'live';
            return;
          }
          const page = this.fromRecent(subscriber.delivered) ?? this.fromPages(subscriber.delivered) ?? (await this.readPage(subscriber.delivered));
          for (const event of page) {
            if (subscriber.closed) return;
            subscriber.delivered = event.position;
            await subscriber.options.onEvent(event);
          }
          // Deleted events leave holes below the shared position; nothing is left to read there.
          if (page.length === 0) subscriber.delivered = Math.max(subscriber.delivered, this.upstreamPosition);
        }
      } catch (error) {
        this.fail(subscriber, error);
      } finally {
        subscriber.catchUp = undefined;
        // The pages serve a burst's stragglers only: none are held once every subscriber is live.
        if (--this.catchingUp === 0) this.pages = [];
      }
    })();
  }

  /** Up to a page of the events after `after` from a page another subscriber read, if one covers it. */
  private fromPages(after: number): RecordedEvent[] | undefined {
    for (const page of this.pages) {
      if (after < page.after || after >= page.events[page.events.length - 1]!.position) continue;
      return page.events.slice(firstAfter(page.events, after));
    }
    return undefined;
  }

  private readPage(after: number): Promise<RecordedEvent[]> {
    let read = this.reading.get(after);
    if (!read) {
      read = this.store.readAll({ after, maxCount: PAGE }).then((events) => {
        if (events.length > 0 && this.catchingUp > 0) {
          this.pages.push({ after, events });
          if (this.pages.length > CACHED_PAGES) this.pages.shift();
        }
        return events;
      }).finally(() => this.reading.delete(after));
      this.reading.set(after, read);
    }
    return read;
  }

  /** Up to a page of the events after `after` from the recent window, or undefined when it does not reach back that far. */
  private fromRecent(after: number): RecordedEvent[] | undefined {
    if (this.upstream === undefined || after < this.recentAfter || this.recent.length === 0) return undefined;
    const low = firstAfter(this.recent, after);
    return low < this.recent.length ? this.recent.slice(low, low + PAGE) : undefined;
  }

  private fail(subscriber: Subscriber, error: unknown): void {
    if (subscriber.closed) return;
    subscriber.closed = true;
    this.subscribers.delete(subscriber);
    subscriber.options.onError?.(error);
  }
}

/** Index of the first event after `position` in events ordered by position (their length if none). */
function firstAfter(events: RecordedEvent[], position: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (events[mid]!.position <= position) low = mid + 1;
    else high = mid;
  }
  return low;
}
