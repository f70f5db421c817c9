/**
 * Identity providers (SAML v2, Facebook): configuration (FusionAuth's 11 routes, by id or `?type=`),
 * domain lookup, the Link API, the SAML start and the login. Identity providers are global objects:
 * their configuration needs a key that is not tenant-locked; links and lookups are tenant-scoped.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { applyPatch, FieldErrors, NotFoundError, patchFormatOf, type ConfigDocument } from '@idstream/domain';
import type { AppContext } from '../../application/context.js';
import { ConfigEntities } from '../../application/config-entities.js';
import {
  FACEBOOK_IDP_ID,
  identityProviderTypes,
  prepareIdentityProvider,
  presentIdentityProvider,
  type IdentityProviderDocument,
} from '../../application/identity-providers/definitions.js';
import { link, LINK_TOKEN_PURPOSE, linksOfUser, presentLink, unlink } from '../../application/identity-providers/links.js';
import { identityProviderLogin } from '../../application/identity-providers/login.js';
import { consumePendingLink, type IdentityProviderLoginOutcome } from '../../application/identity-providers/reconcile.js';
import { defaultAcsUrl, startSamlLogin } from '../../application/identity-providers/saml.js';
import { resolveTenant } from '../../application/tenancy.js';
import { findUser } from '../../application/users.js';
import { requireApiKey, requireGlobalKey } from '../auth.js';
import { HttpError } from '../errors.js';
import { isObject, isUuid, Reader, requireBody } from '../input.js';
import { requestInfo, requestMetadata } from '../request-info.js';

const PATH = '/api/identity-provider';
const FIELD = 'identityProvider';

export function identityProviderRouter(ctx: AppContext): Router {
  const router = Router();
  const entities = new ConfigEntities(ctx);
  const guard = requireApiKey(PATH);
  const admin = [guard, requireGlobalKey()];

  const all = async () => entities.list<IdentityProviderDocument>('IdentityProvider');
  const byType = async (type: unknown): Promise<IdentityProviderDocument | undefined> => {
    if (typeof type !== 'string' || !(identityProviderTypes as readonly string[]).includes(type)) {
      throw new HttpError(400, { fieldErrors: { type: [{ code: '[invalid]type', message: `The [type] must be one of ${identityProviderTypes.join(', ')}.` }] } });
    }
    return (await all()).find((p) => p.type === type);
  };
  /** The provider addressed by `/:id` or `?type=` (the first of that type). */
  const load = async (req: Request): Promise<IdentityProviderDocument> => {
    const found = req.params.id !== undefined
      ? isUuid(req.params.id) ? await entities.get<IdentityProviderDocument>('IdentityProvider', String(req.params.id)) : undefined
      : await byType(req.query.type);
    if (!found) throw new NotFoundError('identity provider');
    return found;
  };

  const create = async (req: Request, res: Response) => {
    const pathId = req.params.id === undefined ? undefined : String(req.params.id);
    if (pathId !== undefined && !isUuid(pathId)) throw invalidId();
    const input = { ...(requireBody(req.body, FIELD)[FIELD] as Record<string, unknown>) };
    // Facebook has one fixed id; a SAML provider takes the given id or a random one.
    const id = (input.type === 'Facebook' ? pathId ?? FACEBOOK_IDP_ID : pathId ?? (isUuid(input.id) ? input.id : randomUUID())).toLowerCase();
    if (await entities.get('IdentityProvider', id)) {
      throw new HttpError(400, { fieldErrors: { 'identityProvider.id': [{ code: '[duplicate]identityProvider.id', message: `An identity provider with Id [${id}] already exists.` }] } });
    }
    const document = await prepareIdentityProvider(ctx, input, id, undefined);
    const created = await entities.create('IdentityProvider', document, requestMetadata(req));
    res.json({ [FIELD]: presentIdentityProvider(created) });
  };
  const replace = async (req: Request, res: Response, existing: IdentityProviderDocument, input: Record<string, unknown>) => {
    const document = await prepareIdentityProvider(ctx, { ...input }, existing.id, existing);
    const replaced = await entities.replace('IdentityProvider', { ...document, insertInstant: existing.insertInstant }, requestMetadata(req));
    res.json({ [FIELD]: presentIdentityProvider(replaced) });
  };
  const put = async (req: Request, res: Response) => {
    const existing = await load(req);
    await replace(req, res, existing, requireBody(req.body, FIELD)[FIELD] as Record<string, unknown>);
  };
  const patch = async (req: Request, res: Response) => {
    const existing = await load(req);
    const format = patchFormatOf(req.get('content-type'));
    if (format !== 'json-patch') requireBody(req.body, FIELD);
    const patched = applyPatch({ [FIELD]: presentIdentityProvider(existing) }, req.body, format)[FIELD];
    if (!isObject(patched)) throw HttpError.general(400, '[invalidPatch]', `The patch removed the [${FIELD}] object.`);
    await replace(req, res, existing, { ...patched, id: existing.id });
  };
  const remove = async (req: Request, res: Response) => {
    const existing = await load(req);
    await entities.delete('IdentityProvider', existing.id, requestMetadata(req));
    res.status(200).end();
  };

  // Login and start come before `/:id` so their names are not read as ids.
  router.post(`${PATH}/login`, async (req, res) => {
    const parsed = await parseLogin(ctx, req);
    const outcome = await identityProviderLogin(ctx, parsed);
    sendOutcome(req, res, outcome);
  });
  router.post(`${PATH}/start`, guard, async (req, res) => {
    if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const identityProviderId = read.uuid('identityProviderId');
    const applicationId = read.uuid('applicationId');
    const data = new Reader(read.object('data') ?? {}, 'data', errors);
    const acsUrl = data.string('redirect_uri');
    if (!identityProviderId && req.body.identityProviderId === undefined) errors.add('identityProviderId', 'blank', 'You must specify the [identityProviderId] property.');
    if (acsUrl !== undefined && !URL.canParse(acsUrl)) errors.add('data.redirect_uri', 'invalid', 'The [data.redirect_uri] must be a URL.');
    errors.throwIfAny();
    const idp = await entities.get<IdentityProviderDocument>('IdentityProvider', identityProviderId!);
    if (!idp) throw fieldError('identityProviderId', 'invalid', `No identity provider with Id [${identityProviderId}] exists.`);
    if (idp.type !== 'SAMLv2') throw fieldError('identityProviderId', 'invalid', 'Only SAML v2 identity providers have a start step here.');
    if (applicationId) {
      const application = (await ctx.readModels.config.Application.get(applicationId))?.body;
      if (!application || (req.auth.tenantId && application.tenantId !== req.auth.tenantId)) throw fieldError('applicationId', 'invalid', `No Application with Id [${applicationId}] exists.`);
    }
    const started = await startSamlLogin(ctx, idp, {
      ...(applicationId && { applicationId }),
      ...(req.auth.tenantId && { tenantId: req.auth.tenantId }),
      acsUrl: acsUrl ?? defaultAcsUrl(ctx),
    });
    // FusionAuth answers the request id as `code`; the browser step depends on the binding.
    const { requestId, ...browser } = started;
    res.json({ code: requestId, ...browser });
  });

  router.get(`${PATH}/lookup`, guard, async (req, res) => {
    const domain = typeof req.query.domain === 'string' ? req.query.domain.trim().toLowerCase().replace(/^.*@/, '') : '';
    if (!domain) throw fieldError('domain', 'blank', 'You must specify the [domain] parameter.');
    const found = (await all()).find((p) => p.enabled && Array.isArray(p.domains) && p.domains.includes(domain));
    if (!found) throw new NotFoundError(domain);
    // A tenant-scoped request sees only the applications of its tenant.
    let applicationIds = Object.entries(found.applicationConfiguration ?? {}).filter(([, c]) => c.enabled).map(([id]) => id);
    if (req.auth.tenantId) {
      const own = new Set((await ctx.readModels.config.Application.list({ tenantId: req.auth.tenantId, limit: 100_000 })).map((a) => a.id));
      applicationIds = applicationIds.filter((id) => own.has(id));
    }
    res.json({ [FIELD]: { id: found.id, name: found.name, type: found.type, idpEndpoint: found.idpEndpoint, applicationIds } });
  });

  // The Link API.
  router.get(`${PATH}/link`, guard, async (req, res) => {
    const errors = new FieldErrors();
    const userId = queryUuid(req, 'userId', errors);
    const identityProviderId = queryUuid(req, 'identityProviderId', errors);
    const identityProviderUserId = typeof req.query.identityProviderUserId === 'string' ? req.query.identityProviderUserId : undefined;
    if (!userId) errors.add('userId', 'blank', 'You must specify the [userId] parameter.');
    errors.throwIfAny();
    const user = await findUser(ctx, { id: userId! }, req.auth.tenantId);
    if (!user) throw new NotFoundError(userId!);
    const links = (await linksOfUser(ctx, user.id)).filter(
      (l) => (!identityProviderId || l.identityProviderId === identityProviderId) && (identityProviderUserId === undefined || l.identityProviderUserId === identityProviderUserId),
    );
    if (identityProviderUserId !== undefined) {
      if (!links[0]) throw new NotFoundError('link');
      res.json({ identityProviderLink: presentLink(ctx, links[0]) });
      return;
    }
    res.json({ identityProviderLinks: links.map((l) => presentLink(ctx, l)) });
  });
  router.post(`${PATH}/link`, guard, async (req, res) => {
    if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
    const errors = new FieldErrors();
    const read = new Reader(req.body, '', errors);
    const pendingIdPLinkId = read.string('pendingIdPLinkId');
    const input = new Reader(read.object('identityProviderLink') ?? {}, 'identityProviderLink', errors);
    const userId = input.uuid('userId');
    let identityProviderId = input.uuid('identityProviderId');
    let identityProviderUserId = input.string('identityProviderUserId');
    const displayName = input.string('displayName');
    const token = input.string('token');
    if (!userId) errors.add('identityProviderLink.userId', 'blank', 'You must specify the [identityProviderLink.userId] property.');
    if (!pendingIdPLinkId) {
      if (!identityProviderId) errors.add('identityProviderLink.identityProviderId', 'blank', 'You must specify the [identityProviderLink.identityProviderId] property.');
      if (!identityProviderUserId) errors.add('identityProviderLink.identityProviderUserId', 'blank', 'You must specify the [identityProviderLink.identityProviderUserId] property.');
    }
    errors.throwIfAny();
    const user = await findUser(ctx, { id: userId! }, req.auth.tenantId);
    if (!user) throw fieldError('identityProviderLink.userId', 'invalid', `No User with Id [${userId}] exists.`);
    let sealedToken = token ? ctx.secrets.seal(LINK_TOKEN_PURPOSE, token) : undefined;
    let pendingName: string | undefined;
    if (pendingIdPLinkId) {
      const pending = await consumePendingLink(ctx, pendingIdPLinkId, user.id);
      if (!pending || pending.tenantId !== user.tenantId) throw fieldError('pendingIdPLinkId', 'invalid', 'The [pendingIdPLinkId] is unknown, expired or already used.');
      identityProviderId = pending.identityProviderId;
      identityProviderUserId = pending.identityProviderUserId;
      sealedToken ??= pending.sealedToken;
      pendingName = pending.displayName;
    }
    const idp = await entities.get<IdentityProviderDocument>('IdentityProvider', identityProviderId!);
    if (!idp) throw fieldError('identityProviderLink.identityProviderId', 'invalid', `No identity provider with Id [${identityProviderId}] exists.`);
    const limit = idp.tenantConfiguration?.[user.tenantId]?.limitUserLinkCount;
    const record = {
      identityProviderId: idp.id,
      identityProviderUserId: identityProviderUserId!,
      identityProviderName: idp.name,
      identityProviderType: idp.type,
      userId: user.id,
      tenantId: user.tenantId,
      ...((displayName ?? pendingName) && { displayName: displayName ?? pendingName }),
      insertInstant: ctx.now(),
      ...(sealedToken && { sealedToken }),
    };
    try {
      await link(ctx, record, limit?.enabled ? limit.maximumLinks ?? 42 : undefined, requestMetadata(req, user.tenantId));
    } catch (error) {
      if ((error as Error).name === 'ConflictError') {
        throw fieldError('identityProviderLink.identityProviderUserId', 'duplicate', 'This identity provider account is already linked to another user.');
      }
      throw error;
    }
    const stored = (await linksOfUser(ctx, user.id)).find((l) => l.identityProviderId === idp.id && l.identityProviderUserId === identityProviderUserId);
    res.json({ identityProviderLink: presentLink(ctx, stored ?? record) });
  });
  router.delete(`${PATH}/link`, guard, async (req, res) => {
    const errors = new FieldErrors();
    const userId = queryUuid(req, 'userId', errors);
    const identityProviderId = queryUuid(req, 'identityProviderId', errors);
    const identityProviderUserId = typeof req.query.identityProviderUserId === 'string' ? req.query.identityProviderUserId : undefined;
    if (!userId) errors.add('userId', 'blank', 'You must specify the [userId] parameter.');
    if (!identityProviderId) errors.add('identityProviderId', 'blank', 'You must specify the [identityProviderId] parameter.');
    if (!identityProviderUserId) errors.add('identityProviderUserId', 'blank', 'You must specify the [identityProviderUserId] parameter.');
    errors.throwIfAny();
    const user = await findUser(ctx, { id: userId! }, req.auth.tenantId);
    if (!user) throw new NotFoundError(userId!);
    const existing = (await linksOfUser(ctx, user.id)).find((l) => l.identityProviderId === identityProviderId && l.identityProviderUserId === identityProviderUserId);
    if (!existing) throw new NotFoundError('link');
    await unlink(ctx, user.id, user.tenantId, identityProviderId!, identityProviderUserId!, requestMetadata(req, user.tenantId));
    res.json({ identityProviderLink: presentLink(ctx, existing) });
  });

  // Configuration.
  router.post(PATH, ...admin, create);
  router.post(`${PATH}/:id`, ...admin, create);
  router.get(PATH, ...admin, async (req, res) => {
    if (req.query.type !== undefined) {
      const found = await byType(req.query.type);
      if (!found) throw new NotFoundError(String(req.query.type));
      res.json({ [FIELD]: presentIdentityProvider(found) });
      return;
    }
    res.json({ identityProviders: (await all()).map(presentIdentityProvider) });
  });
  router.get(`${PATH}/:id`, ...admin, async (req, res) => {
    res.json({ [FIELD]: presentIdentityProvider(await load(req)) });
  });
  router.put(PATH, ...admin, put);
  router.put(`${PATH}/:id`, ...admin, put);
  router.patch(PATH, ...admin, patch);
  router.patch(`${PATH}/:id`, ...admin, patch);
  router.delete(PATH, ...admin, remove);
  router.delete(`${PATH}/:id`, ...admin, remove);
  return router;
}

async function parseLogin(ctx: AppContext, req: Request) {
  if (!isObject(req.body)) throw HttpError.general(400, '[invalidJSON]', 'The request body must be a JSON object.');
  const errors = new FieldErrors();
  const read = new Reader(req.body, '', errors);
  const applicationId = read.uuid('applicationId');
  const identityProviderId = read.uuid('identityProviderId');
  const ipAddress = read.string('ipAddress');
  const noJWT = read.boolean('noJWT') ?? false;
  const noLink = read.boolean('noLink') ?? false;
  const dataObject = read.object('data');
  const data = new Reader(dataObject ?? {}, 'data', errors);
  const samlResponse = data.string('samlResponse');
  const token = data.string('token');
  const code = data.string('code');
  const redirectUri = data.string('redirect_uri');
  const device = new Reader(read.object('metaData') ?? {}, 'metaData', errors).object('device');
  if (!applicationId && req.body.applicationId === undefined) errors.add('applicationId', 'blank', 'You must specify the [applicationId] property.');
  if (!identityProviderId && req.body.identityProviderId === undefined) errors.add('identityProviderId', 'blank', 'You must specify the [identityProviderId] property.');
  errors.throwIfAny();

  const idp = (await ctx.readModels.config.IdentityProvider.get(identityProviderId!))?.body as IdentityProviderDocument | undefined;
  const application = (await ctx.readModels.config.Application.get(applicationId!))?.body;
  if (!idp) errors.add('identityProviderId', 'invalid', `No identity provider with Id [${identityProviderId}] exists.`);
  // A tenant-scoped request (header or tenant-locked key) cannot log in to another tenant's application.
  if (!application || (req.auth.tenantId && application.tenantId !== req.auth.tenantId)) errors.add('applicationId', 'invalid', `No Application with Id [${applicationId}] exists.`);
  if (idp?.type === 'SAMLv2' && !samlResponse) errors.add('data.samlResponse', 'blank', 'You must specify the [data.samlResponse] property.');
  if (idp?.type === 'Facebook') {
    if (!token && !code) errors.add('data.token', 'blank', 'You must specify the [data.token] or the [data.code] property.');
    if (!token && code && !redirectUri) errors.add('data.redirect_uri', 'blank', 'You must specify the [data.redirect_uri] property with [data.code].');
  }
  errors.throwIfAny();
  if (!idp!.enabled || idp!.applicationConfiguration?.[application!.id]?.enabled !== true) {
    throw HttpError.general(400, '[IdentityProviderDisabled]', `The identity provider [${idp!.name}] is not enabled for this application.`);
  }
  const tenant = await resolveTenant(ctx, application!.tenantId as string);
  const info = { ...requestInfo(req, ipAddress), ...(device && typeof device.name === 'string' && { deviceName: device.name }), ...(device && typeof device.type === 'string' && { deviceType: device.type }) };
  return {
    idp: idp!,
    application: application as ConfigDocument,
    data: { ...(samlResponse && { samlResponse }), ...(token && { token }), ...(code && { code }), ...(redirectUri && { redirect_uri: redirectUri }) },
    noLink,
    login: { tenant, application: application as ConfigDocument, noJWT, info, metadata: requestMetadata(req, tenant.id), withEncryptionScheme: Boolean(req.auth.apiKey) },
    metadata: requestMetadata(req, tenant.id),
  };
}

/** Answers a login outcome in the Login API's shape (body fields besides `status`; the JWT cookie). */
function sendOutcome(req: Request, res: Response, outcome: IdentityProviderLoginOutcome): void {
  if (outcome.status === 401 && 'code' in outcome) {
    res.status(401).json({ generalErrors: [{ code: outcome.code, message: outcome.message }] });
    return;
  }
  const { status, token, ...rest } = outcome as { status: number; token?: unknown } & Record<string, unknown>;
  const tokenFields = typeof token === 'string' ? { token } : isObject(token) ? token : {};
  if (typeof tokenFields.token === 'string') {
    res.cookie('access_token', tokenFields.token, { httpOnly: true, secure: req.secure, sameSite: 'lax', path: '/' });
  }
  const body = { ...rest, ...tokenFields };
  if (Object.keys(body).length === 0) res.status(status).end();
  else res.status(status).json(body);
}

function queryUuid(req: Request, name: string, errors: FieldErrors): string | undefined {
  const value = req.query[name];
  // FusionAuth's typescript client sends an absent optional parameter as the text "undefined"/"null".
  if (value === undefined || value === '' || value === 'undefined' || value === 'null') return undefined;
  if (!isUuid(value)) {
    errors.add(name, 'couldNotConvert', `[${name}] must be a UUID.`);
    return undefined;
  }
  return value.toLowerCase();
}

function fieldError(field: string, rule: string, message: string): HttpError {
  return new HttpError(400, { fieldErrors: { [field]: [{ code: `[${rule}]${field}`, message }] } });
}

function invalidId(): HttpError {
  return fieldError('identityProviderId', 'invalid', 'The [identityProviderId] must be a UUID.');
}
