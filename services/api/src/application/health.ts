/**
 * Readiness checks: each dependency is asked something real and cheap, with a deadline, so
 * `/api/status` tells an orchestrator which one is down rather than that "something" is.
 */
import type { Logger } from 'pino';
import type { EventStore } from '@idstream/eventstore';
import type { JobQueue } from '@idstream/jobs';
import type { SearchIndex } from '@idstream/search';
import type { ViewDatabase } from '@idstream/views';

export type DependencyState = 'ok' | 'down';

export interface HealthSources {
  eventStore: EventStore;
  views: ViewDatabase;
  search: SearchIndex;
  jobs: JobQueue;
  logger: Logger;
}

const CHECK_TIMEOUT_MS = 2_000;

export function dependencyChecks(sources: HealthSources): () => Promise<Record<string, DependencyState>> {
  const checks: Record<string, () => Promise<unknown>> = {
    eventStore: () => sources.eventStore.headPosition(),
    views: () => sources.views.getAlias('users'),
    search: () => sources.search.currentVersion(),
    jobs: () => sources.jobs.counts('webhooks'),
  };
  return async () => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, 'ok'] as const;
        } catch (error) {
          // Details go to the log only: /api/status is unauthenticated.
          sources.logger.warn({ dependency: name, err: error }, 'dependency check failed');
          return [name, 'down'] as const;
        }
      }),
    );
    return Object.fromEntries(entries);
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
