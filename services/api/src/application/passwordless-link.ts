/**
 * The magic link a passwordless email carries. Mail scanners and link previews open links (GET), so
 * the page only shows a button; the login happens on the POST it submits. That POST must carry a
 * token bound to the page the person saw: an HMAC of the code keyed by a random nonce held
 * in a SameSite=Strict, HttpOnly cookie — another site can neither read the nonce nor have the
 * browser send the cookie with its own POST (login CSRF with an attacker's code).
 */
import { createHmac } from 'node:crypto';
import { constantTimeEqual, randomToken } from '@idstream/crypto';
import type { ConfigDocument } from '@idstream/domain';

export const LINK_NONCE_COOKIE = 'idstream_passwordless';

export function newLinkNonce(): string {
  return randomToken(24);
}

export function pageToken(nonce: string, code: string): string {
  return createHmac('sha256', nonce).update(code, 'utf8').digest('base64url');
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

/** What the redirect reports: the Login API answer's fields a browser can carry (no refresh token). */
export interface LinkLoginResult {
  status: number;
  userId?: string;
  token?: string;
  tokenExpirationInstant?: number;
  twoFactorId?: string;
  changePasswordId?: string;
  changePasswordReason?: string;
  emailVerificationId?: string;
  registrationVerificationId?: string;
  state?: Record<string, unknown>;
}

/**
 * The login result travels in the URL fragment, like OAuth's implicit response: browsers do not
 * send fragments to servers, so the token stays out of access logs and Referer headers. A 242 or
 * 203 hands the application what it needs for the next step (`twoFactorId`, `changePasswordId`).
 */
export function redirectWithResult(target: string, result: LinkLoginResult): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(result)) {
    if (value === undefined) continue;
    params.set(key, key === 'state' ? JSON.stringify(value) : String(value));
  }
  return `${target.split('#')[0]}#${params.toString()}`;
}
