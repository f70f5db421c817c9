/** `GET|POST|PUT /api/user/search` and `POST /api/system/reindex`. */
import { Router, type Request } from 'express';
import { FieldErrors, ValidationError } from '@idstream/domain';
import type { SortField } from '@idstream/search';
import type { AppContext } from '../../application/context.js';
import { refreshSearch, searchUsers, type UserSearchInput } from '../../application/user-search.js';
import { requireApiKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { isObject, Reader } from '../input.js';
import { queryBoolean, queryInteger, queryString, queryValues } from './user-query.js';

function fromQuery(req: Request): UserSearchInput {
  const errors = new FieldErrors();
  const sortFields: SortField[] = [];
  for (let i = 0; queryString(req, `sortFields[${i}].name`) !== undefined; i++) {
    const order = queryString(req, `sortFields[${i}].order`);
    const missing = queryString(req, `sortFields[${i}].missing`);
    sortFields.push({ name: queryString(req, `sortFields[${i}].name`)!, ...(order && { order: order as 'asc' | 'desc' }), ...(missing && { missing }) });
  }
  const expand = queryValues(req, 'expand').flatMap((e) => e.replace(/^\[|\]$/g, '').split(',')).filter(Boolean);
  const input: UserSearchInput = {
    ...(queryValues(req, 'ids').length > 0 && { ids: queryValues(req, 'ids') }),
    ...(queryString(req, 'queryString') && { queryString: queryString(req, 'queryString')! }),
    ...(queryString(req, 'query') && { query: queryString(req, 'query')! }),
    ...(queryString(req, 'nextResults') && { nextResults: queryString(req, 'nextResults')! }),
    ...(sortFields.length > 0 && { sortFields }),
    ...(req.query.expand !== undefined && { expand }),
  };
  const startRow = queryInteger(req, 'startRow', errors);
  const numberOfResults = queryInteger(req, 'numberOfResults', errors);
  const accurateTotal = queryBoolean(req, 'accurateTotal', errors);
  errors.throwIfAny();
  return { ...input, ...(startRow !== undefined && { startRow }), ...(numberOfResults !== undefined && { numberOfResults }), ...(accurateTotal !== undefined && { accurateTotal }) };
}

function fromBody(body: unknown): UserSearchInput {
  if (!isObject(body) || !isObject(body.search)) throw ValidationError.field('search', 'missing', 'Your request is missing the [search] object.');
  const errors = new FieldErrors();
  const read = new Reader(body.search, 'search', errors);
  const ids = read.stringArray('ids');
  const queryStringValue = read.string('queryString');
  const query = body.search.query;
  let queryText: string | undefined;
  // FusionAuth sends `query` as a JSON string; an object is accepted too.
  if (typeof query === 'string') queryText = query;
  else if (isObject(query)) queryText = JSON.stringify(query);
  else if (query !== undefined && query !== null) errors.add('search.query', 'couldNotConvert', '[search.query] must be a JSON string.');
  const sortRaw = read.array('sortFields');
  const sortFields = sortRaw?.map((f, i) => {
    if (!isObject(f)) {
      errors.add(`search.sortFields[${i}]`, 'couldNotConvert', 'A sort field must be an object.');
      return { name: '' };
    }
    const r = new Reader(f, `search.sortFields[${i}]`, errors);
    const order = r.string('order');
    const missing = r.string('missing');
    return { name: r.string('name') ?? '', ...(order && { order: order as 'asc' | 'desc' }), ...(missing && { missing }) };
  });
  const startRow = read.number('startRow');
  const numberOfResults = read.number('numberOfResults');
  const accurateTotal = read.boolean('accurateTotal');
  const nextResults = read.string('nextResults');
  const top = new Reader(body, '', errors);
  const expand = top.stringArray('expand') ?? read.stringArray('expand');
  errors.throwIfAny();
  return {
    ...(ids && { ids }),
    ...(queryStringValue && { queryString: queryStringValue }),
    ...(queryText && { query: queryText }),
    ...(sortFields && { sortFields }),
    ...(startRow !== undefined && { startRow }),
    ...(numberOfResults !== undefined && { numberOfResults }),
    ...(accurateTotal !== undefined && { accurateTotal }),
    ...(nextResults && { nextResults }),
    ...(expand && { expand }),
  };
}

export function userSearchRouter(ctx: AppContext): Router {
  const router = Router();
  const guard = requireApiKey('/api/user/search');
  router.get('/api/user/search', guard, async (req, res) => {
    res.json(await searchUsers(ctx, { ...fromQuery(req), ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }) }));
  });
  router.post('/api/user/search', guard, async (req, res) => {
    res.json(await searchUsers(ctx, { ...fromBody(req.body), ...(req.auth.tenantId && { scopeTenantId: req.auth.tenantId }) }));
  });
  router.put('/api/user/search', guard, async (_req, res) => {
    await refreshSearch(ctx);
    res.status(200).end();
  });

  // Rebuilds the search index from the event log into a new version, then switches to it.
  let reindexing: Promise<unknown> | undefined;
  router.post('/api/system/reindex', requireApiKey('/api/system/reindex'), async (req, res) => {
    if (req.auth.apiKey?.tenantId) throw HttpError.unauthorized();
    if (isObject(req.body) && req.body.index !== undefined && req.body.index !== 'fusionauth_user' && req.body.index !== 'fusionauth_entity') {
      throw ValidationError.field('index', 'invalid', 'The [index] must be fusionauth_user or fusionauth_entity.');
    }
    if (!ctx.rebuildSearch) throw HttpError.general(503, '[ProjectorUnavailable]', 'This node does not run the projector; reindex on the projector.');
    if (reindexing) throw HttpError.general(400, '[ReindexInProgress]', 'A reindex is already in progress.');
    reindexing = ctx.rebuildSearch()
      .catch((error: unknown) => ctx.logger.error({ err: error }, 'reindex failed'))
      .finally(() => {
        reindexing = undefined;
      });
    res.status(202).end();
  });
  router.get('/api/system/reindex', requireApiKey('/api/system/reindex'), (req, res) => {
    // Like the reindex itself, its status is a system-wide matter for a global key.
    if (req.auth.apiKey?.tenantId) throw HttpError.unauthorized();
    res.json({ reindexStatus: reindexing ? 'Reindexing' : 'Idle' });
  });
  return router;
}
