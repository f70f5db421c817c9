/**
 * The background roles (projector, worker) built from opened adapters: shared by the projector
 * thread of an embedded API process and by a process that runs them without the API.
 */
import type { IdstreamConfig } from '@idstream/config';
import type { Adapters, Logger } from '@idstream/platform';
import type { ProjectionRunner } from '@idstream/projection-runner';
import { Projector, type ProjectorDependencies, type ReadModels } from '@idstream/projector';
import { createWorkerService, type WorkerService } from '@idstream/worker';

export function createProjector(
  adapters: Adapters,
  readModels: ReadModels,
  logger: Logger,
  onApplied?: (runner: ProjectionRunner) => void,
  layout: Pick<ProjectorDependencies, 'part' | 'viewsReached'> = {},
): Projector {
  return new Projector({ eventStore: adapters.eventStore, views: adapters.views, search: adapters.search, jobs: adapters.jobs, readModels, logger, ...(onApplied && { onApplied }), ...layout });
}

export function createWorker(config: IdstreamConfig, adapters: Adapters, readModels: ReadModels, logger: Logger): WorkerService {
  return createWorkerService(config, adapters, readModels, logger);
}
