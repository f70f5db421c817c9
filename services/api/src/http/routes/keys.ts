/**
 * FusionAuth's Key API: list, retrieve, generate, import, rename, delete. Keys are global objects:
 * changes need a key that is not tenant-locked.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { NotFoundError, type ConfigDocument } from '@idstream/domain';
import { presentKey } from '@idstream/platform';
import type { AppContext } from '../../application/context.js';
import { deleteKey, generateKey, importKey, renameKey, type KeyInput } from '../../application/identity-providers/keys.js';
import { requireApiKey, requireGlobalKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { isUuid, requireBody } from '../input.js';

export function keyRouter(ctx: AppContext): Router {
  const router = Router();
  const guard = requireApiKey('/api/key');
  const write = [guard, requireGlobalKey()];

  const load = async (req: Request): Promise<ConfigDocument> => {
    const id = String(req.params.id);
    const key = isUuid(id) ? await ctx.readModels.config.Key.get(id.toLowerCase()) : null;
    if (!key) throw new NotFoundError(id);
    return key.body;
  };
  const newId = (req: Request): string => {
    const id = req.params.id === undefined ? randomUUID() : String(req.params.id);
    if (!isUuid(id)) throw new HttpError(400, { fieldErrors: { keyId: [{ code: '[invalid]keyId', message: 'The [keyId] must be a UUID.' }] } });
    return id.toLowerCase();
  };
  const input = (req: Request): KeyInput => requireBody(req.body, 'key').key as KeyInput;

  // The Key API manages global objects: reads need a global key too (README, Key API).
  router.get('/api/key', ...write, async (_req, res) => {
    const keys = await ctx.readModels.config.Key.list({ limit: 10_000 });
    res.json({ keys: keys.map((k) => presentKey(k.body)) });
  });
  router.get('/api/key/:id', ...write, async (req, res) => {
    res.json({ key: presentKey(await load(req)) });
  });
  // FusionAuth generates with /api/key/generate; a plain POST /api/key is accepted as the same.
  for (const path of ['/api/key/generate', '/api/key/generate/:id', '/api/key']) {
    router.post(path, ...write, async (req, res) => {
      const id = newId(req);
      res.json({ key: await generateKey(ctx, id, input(req)) });
    });
  }
  for (const path of ['/api/key/import', '/api/key/import/:id']) {
    router.post(path, ...write, async (req, res) => {
      const id = newId(req);
      res.json({ key: await importKey(ctx, id, input(req)) });
    });
  }
  router.put('/api/key/:id', ...write, async (req, res) => {
    const existing = await load(req);
    res.json({ key: await renameKey(ctx, existing, input(req)) });
  });
  router.delete('/api/key/:id', ...write, async (req, res) => {
    await deleteKey(ctx, await load(req));
    res.status(200).end();
  });
  return router;
}
