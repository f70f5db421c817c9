/**
 * A code's stream is named by a keyed digest of the code (HMAC-SHA256 with a key derived from the
 * master key, computed by the application: the domain holds no keys), so finding a code is one
 * stream read and the stream name reveals nothing usable, even for a 6-digit code whose unkeyed
 * hash anyone could reverse by trying all of them.
 */
const digestPattern = /^[0-9a-f]{64}$/;

export function passwordlessStreamForDigest(codeDigest: string): string {
  if (!digestPattern.test(codeDigest)) throw new RangeError('a passwordless stream is named by a 64-hex-digit keyed digest of the code, never the code');
  return `passwordless-${codeDigest}`;
}

export function isPasswordlessStream(streamName: string): boolean {
  return /^passwordless-[0-9a-f]{64}$/.test(streamName);
}

/** SecretBox digest purpose of the code's stream name. */
export const PASSWORDLESS_CODE_DIGEST_PURPOSE = 'passwordless-code-stream';
