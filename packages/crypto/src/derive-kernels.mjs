// The derivation loops of the password schemes computed in JavaScript. Plain JavaScript so that the
// worker thread (derive-worker.mjs) loads them without a TypeScript loader; the schemes call the same
// functions in place for derivations too short to be worth a hand-over (password-schemes.ts).
import { hash as digest } from 'node:crypto';
import bcrypt from 'bcryptjs';

/**
 * `value = digest(value ‖ suffix)`, `rounds` times. FusionAuth's salted-md5 / salted-sha256 have no
 * suffix; phpass appends the password every round. One-shot `crypto.hash` is about twice as fast per
 * round as `createHash()`, and the rounds are the whole cost.
 */
export function iterate({ algorithm, value, suffix, rounds }) {
  const tail = suffix && suffix.length > 0 ? Buffer.from(suffix) : undefined;
  let current = Buffer.from(value);
  for (let round = 0; round < rounds; round++) current = digest(algorithm, tail ? Buffer.concat([current, tail]) : current, 'buffer');
  return current;
}

/** The full bcrypt string for `password` under `setting` (`$2a$<cost>$<22-char salt>`). */
export function bcryptHash({ password, setting }) {
  return bcrypt.hashSync(password, setting);
}
