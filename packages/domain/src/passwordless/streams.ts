import { createHash } from 'node:crypto';

/**
 * A code's stream is named by the SHA-256 of the code, so finding a code is one stream read and the
 * stream name reveals nothing usable (for the default 32-byte codes).
 */
export function passwordlessCodeDigest(code: string): string {
  return createHash('sha256').update(code, 'utf8').digest('hex');
}

export const passwordlessStream = (code: string): string => `passwordless-${passwordlessCodeDigest(code)}`;

export function isPasswordlessStream(streamName: string): boolean {
  return /^passwordless-[0-9a-f]{64}$/.test(streamName);
}
