/**
 * The public event contract, served: `GET /api/event-schema` lists the JSON Schema of every public
 * event type with the contract version; `GET /api/event-schema/{type}` returns one schema. No data
 * of any tenant is involved, so any caller may read them.
 */
import { Router } from 'express';
import { NotFoundError, PUBLIC_EVENT_CONTRACT_VERSION, publicEventSchema, publicEventTypes } from '@idstream/domain';

export function eventSchemaRouter(): Router {
  const router = Router();
  router.get('/api/event-schema', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json({
      version: PUBLIC_EVENT_CONTRACT_VERSION,
      types: publicEventTypes,
      schemas: Object.fromEntries(publicEventTypes.map((type) => [type, publicEventSchema(type)])),
    });
  });
  router.get('/api/event-schema/:type', (req, res) => {
    const schema = publicEventSchema(String(req.params.type));
    if (!schema) throw new NotFoundError(String(req.params.type));
    res.set('Cache-Control', 'public, max-age=300').json({ version: PUBLIC_EVENT_CONTRACT_VERSION, schema });
  });
  return router;
}
