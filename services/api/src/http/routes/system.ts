import { Router } from 'express';
import type { AppContext } from '../../application/context.js';

export interface Readiness {
  ready(): boolean;
  dependencies(): Promise<Record<string, string>>;
}

export function systemRouter(ctx: AppContext, readiness: Readiness): Router {
  const router = Router();

  router.get('/api/status', async (_req, res) => {
    const dependencies = await readiness.dependencies();
    const ready = readiness.ready() && Object.values(dependencies).every((s) => s === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'starting', dependencies });
  });

  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.set('Cache-Control', 'public, max-age=60').json(await ctx.signingKeys.jwks());
  });

  return router;
}
