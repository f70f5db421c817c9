/**
 * `idstream rebuild <projection>`: replays the log into a new versioned target (`users_v<n+1>` or
 * search index version n+1), then switches the alias to it. Run it with the service stopped (the
 * embedded service and production projector hold the old target open until they restart).
 */
import type { IdstreamConfig } from '@idstream/config';
import { createLogger, openAdapters } from '@idstream/platform';
import { Projector, resolveReadModels } from '@idstream/projector';
import { progressReporter } from './progress.js';

export const rebuildable = ['user-views', 'user-search'] as const;
export type RebuildableProjection = (typeof rebuildable)[number];

export async function rebuild(config: IdstreamConfig, projection: RebuildableProjection): Promise<string> {
  const logger = createLogger({ logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const adapters = await openAdapters(config, logger);
  try {
    const readModels = await resolveReadModels(adapters.views, adapters.search);
    const projector = new Projector({ ...adapters, readModels, logger });
    const report = progressReporter(`rebuild ${projection}`);
    // The search index follows the user views: they must be live for its rebuild to progress.
    if (projection === 'user-search') await projector.userViews.start();
    const target =
      projection === 'user-views'
        ? await projector.rebuildUserViews(report)
        : `v${await projector.rebuildUserSearch(report)}`;
    await projector.stop();
    return target;
  } finally {
    await adapters.close();
  }
}
