import { Router } from 'express';
import type { AppContext } from '../../application/context.js';

export interface Readiness {
  ready(): boolean;
  dependencies(): Promise<Record<string, string>>;
  /** Positions of the projections this process runs (for metrics). */
  projections?(): { name: string; position: number }[];
  /** Append and job observations of this process (for metrics). */
  observable?: import('@idstream/platform').Observable;
}

export function systemRouter(ctx: AppContext, readiness: Readiness): Router {
  const router = Router();

  router.get('/api/status', async (_req, res) => {
    const dependencies = await readiness.dependencies();
    const ready = readiness.ready() && Object.values(dependencies).every((s) => s === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'starting', dependencies });
  });

  // Liveness: the process answers. Orchestrators restart on this failing, so it checks nothing else.
  router.get('/api/status/live', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=60').json(await ctx.signingKeys.jwks());
  });

  return router;
}
