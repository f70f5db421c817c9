/**
 * The magic link a passwordless email carries. Mail scanners and link previews open links (GET), so
 * the page only shows a button; the login happens on the POST it submits. That POST must carry a
 * token bound to the page the person saw: an HMAC of the code's digest keyed by a random nonce held
 * in a SameSite=Strict, HttpOnly cookie — another site can neither read the nonce nor have the
 * browser send the cookie with its own POST (login CSRF with an attacker's code).
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual, randomToken } from '@idstream/crypto';
import { passwordlessCodeDigest, type ConfigDocument } from '@idstream/domain';

export const LINK_NONCE_COOKIE = 'idstream_passwordless';

export function newLinkNonce(): string {
  return randomToken(24);
}

export function pageToken(nonce: string, code: string): string {
  return createHmac('sha256', nonce).update(passwordlessCodeDigest(code)).digest('base64url');
}

export function pageTokenMatches(nonce: string | undefined, code: string, token: string | undefined): boolean {
  if (!nonce || !token) return false;
  return constantTimeEqual(pageToken(nonce, code), token);
}

/**
 * Where the browser goes after a successful login: the `redirect_uri` of the start request's `state`
 * when the application authorizes it exactly, else the application's first authorized redirect URL;
 * undefined when the application has none (the page then says the login is complete).
 */
export function redirectTarget(application: ConfigDocument, state: Record<string, unknown> | undefined): string | undefined {
  const allowed = ((application.oauthConfiguration as { authorizedRedirectURLs?: unknown } | undefined)?.authorizedRedirectURLs ?? []) as unknown[];
  const urls = allowed.filter((u): u is string => typeof u === 'string' && /^https?:\/\//i.test(u));
  const requested = state?.redirect_uri;
  if (typeof requested === 'string' && urls.includes(requested)) return requested;
  return urls[0];
}

/**
 * The login result travels in the URL fragment, like OAuth's implicit response: browsers do not
 * send fragments to servers, so the token stays out of access logs and Referer headers.
 */
export function redirectWithResult(target: string, result: { status: number; token?: string; tokenExpirationInstant?: number; userId: string; state?: Record<string, unknown> }): string {
  const params = new URLSearchParams();
  params.set('status', String(result.status));
  params.set('userId', result.userId);
  if (result.token) {
    params.set('token', result.token);
    params.set('tokenExpirationInstant', String(result.tokenExpirationInstant));
  }
  if (result.state) params.set('state', JSON.stringify(result.state));
  return `${target.split('#')[0]}#${params.toString()}`;
}
