/**
 * Facebook login against the Graph API (base URL from configuration): the code exchange, the
 * long-lived token, `/me` with the configured fields and `/me/picture` when `picture` was not among
 * them. Graph's own errors (`{"error":{"type":"OAuthException",…}}`) refuse the login with 401; an
 * unreachable or failing Graph API answers 503.
 */
import type { AppContext } from '../context.js';
import { HttpError } from '../../http/errors.js';

const TIMEOUT_MS = 10_000;

export interface FacebookCredentials {
  appId: string;
  clientSecret: string;
  fields: string;
}

export interface FacebookProfile {
  id: string;
  email?: string;
  imageUrl?: string;
  /** Everything `/me` returned (for the link's display name and debugging). */
  claims: Record<string, unknown>;
  /** The long-lived access token, stored (sealed) on the link. */
  longLivedToken: string;
}

/** `trace` hears each Graph call's path and status, and the names of the fields `/me` returned (debug). */
export async function facebookProfile(
  ctx: AppContext,
  credentials: FacebookCredentials,
  grant: { token: string } | { code: string; redirectUri: string },
  trace: (message: string) => Promise<void> = async () => undefined,
): Promise<FacebookProfile> {
  const graph = new GraphClient(ctx.config.facebookGraphUrl, trace);
  // 1. The code flow first turns the code into an access token.
  const shortLived = 'token' in grant
    ? grant.token
    : (await graph.get('/oauth/access_token', { client_id: credentials.appId, client_secret: credentials.clientSecret, redirect_uri: grant.redirectUri, code: grant.code })).access_token;
  if (typeof shortLived !== 'string' || !shortLived) throw HttpError.general(401, '[FacebookTokenInvalid]', 'Facebook did not return an access token.');
  // 2. The long-lived token (kept on the link).
  const exchanged = await graph.get('/oauth/access_token', { grant_type: 'fb_exchange_token', client_id: credentials.appId, client_secret: credentials.clientSecret, fb_exchange_token: shortLived });
  const longLivedToken = typeof exchanged.access_token === 'string' ? exchanged.access_token : shortLived;
  // 3. The profile, with the configured fields.
  const me = await graph.get('/me', { fields: credentials.fields, access_token: longLivedToken });
  await trace(`Graph /me returned the fields [${Object.keys(me).join(', ')}] for the requested fields [${credentials.fields}].`);
  if (typeof me.id !== 'string' || !me.id) throw HttpError.general(401, '[FacebookTokenInvalid]', 'Facebook returned no user id.');
  const requested = credentials.fields.split(',').map((f) => f.trim());
  let imageUrl: string | undefined;
  if (requested.includes('picture')) {
    imageUrl = pictureUrl(me.picture);
  } else {
    const picture = await graph.get('/me/picture', { redirect: 'false', type: 'large', access_token: longLivedToken });
    imageUrl = pictureUrl(picture);
  }
  return { id: me.id, ...(typeof me.email === 'string' && me.email && { email: me.email }), ...(imageUrl && { imageUrl }), claims: me, longLivedToken };
}

function pictureUrl(value: unknown): string | undefined {
  const url = (value as { data?: { url?: unknown } } | undefined)?.data?.url;
  return typeof url === 'string' ? url : undefined;
}

class GraphClient {
  constructor(private readonly baseUrl: string, private readonly trace: (message: string) => Promise<void>) {}

  async get(path: string, query: Record<string, string>): Promise<Record<string, unknown>> {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), headers: { Accept: 'application/json' } });
    } catch {
      await this.trace(`Graph ${path} could not be reached.`);
      throw HttpError.general(503, '[FacebookUnavailable]', 'The Facebook Graph API could not be reached.');
    }
    // The path and status only: the query holds the tokens and the client secret.
    await this.trace(`Graph ${path} answered HTTP ${response.status}.`);
    let body: Record<string, unknown> = {};
    try {
      body = (await response.json()) as Record<string, unknown>;
    } catch {
      // A body that is not JSON is judged by the status alone.
    }
    const error = body.error as { message?: string; type?: string; code?: number } | undefined;
    if (response.status >= 500) throw HttpError.general(503, '[FacebookUnavailable]', `The Facebook Graph API failed (HTTP ${response.status}).`);
    if (!response.ok || error) {
      throw HttpError.general(401, '[FacebookTokenInvalid]', `Facebook refused the request: ${error?.message ?? `HTTP ${response.status}`}${error?.type ? ` (${error.type}${error.code ? ` ${error.code}` : ''})` : ''}.`);
    }
    return body;
  }
}
