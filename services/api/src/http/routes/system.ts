import { Router } from 'express';
import type { AppContext } from '../../application/context.js';
import { presentKey } from '@idstream/platform';
import { requireApiKey } from '../auth.js';
import { NotFoundError } from '@idstream/domain';
import { isUuid } from '../input.js';

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

export function keyRouter(ctx: AppContext): Router {
  const router = Router();
  // Read-only Key API: enough for clients to find the signing keys (the Identity Providers issue adds import).
  router.get('/api/key', requireApiKey('/api/key'), async (_req, res) => {
    const keys = await ctx.readModels.config.Key.list({ limit: 10_000 });
    res.json({ keys: keys.map((k) => presentKey(k.body)) });
  });
  router.get('/api/key/:id', requireApiKey('/api/key'), async (req, res) => {
    const id = String(req.params.id);
    const key = isUuid(id) ? await ctx.readModels.config.Key.get(id.toLowerCase()) : null;
    if (!key) throw new NotFoundError(id);
    res.json({ key: presentKey(key.body) });
  });
  return router;
}
