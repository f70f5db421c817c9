/**
 * Paths that carry a bearer secret in a segment (FusionAuth puts emailed ids in the URL): the id
 * alone changes a password or verifies an email, so the request log must not keep it. Query strings
 * are never logged (the magic link's code travels there).
 */
const SECRET_SEGMENTS = [/^(\/api\/user\/change-password\/)[^/]+/, /^(\/api\/user\/verify-email\/)[^/]+/, /^(\/api\/user\/verify-registration\/)[^/]+/, /^(\/api\/two-factor\/send\/)[^/]+/];

export function loggablePath(path: string): string {
  for (const pattern of SECRET_SEGMENTS) if (pattern.test(path)) return path.replace(pattern, '$1[redacted]');
  return path;
}
