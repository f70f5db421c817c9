/**
 * Constant-time comparison of secret-derived strings (digests of ids, codes and tokens) for the pure
 * domain, which cannot use node:crypto's timingSafeEqual. The loop always runs over the longer
 * input and never exits early, so the time does not tell how many leading characters matched.
 */
export function digestsEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return difference === 0;
}

/** Whether `digest` is one of `digests`, comparing every entry in constant time (no early exit). */
export function includesDigest(digests: readonly string[], digest: string): boolean {
  let found = false;
  for (const candidate of digests) found = digestsEqual(candidate, digest) || found;
  return found;
}
