// A password-derivation worker thread (see derive-pool.ts). Plain JavaScript so that it starts without
// a TypeScript loader in any host (the service through tsx, vitest, a plain `node`). It runs the
// schemes that have no native asynchronous implementation: their rounds are JavaScript, and on the API
// thread they took the event loop's CPU for the whole derivation (bcrypt cost 10: ~80 ms).
import { hash as digest } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';

const kernels = {
  /** `value = digest(value)`, `rounds` times (FusionAuth's salted-md5 / salted-sha256). */
  iterate({ algorithm, value, rounds }) {
    let current = Buffer.from(value);
    for (let round = 0; round < rounds; round++) current = digest(algorithm, current, 'buffer');
    return current;
  },
  /** `value = digest(value ‖ suffix)`, `rounds` times (phpass, whose suffix is the password). */
  iterateWithSuffix({ algorithm, value, suffix, rounds }) {
    const tail = Buffer.from(suffix);
    let current = Buffer.from(value);
    for (let round = 0; round < rounds; round++) current = digest(algorithm, Buffer.concat([current, tail]), 'buffer');
    return current;
  },
  /** The full bcrypt string for `password` under `setting` (`$2a$<cost>$<22-char salt>`). */
  bcrypt({ password, setting }) {
    return bcrypt.hashSync(password, setting);
  },
};

parentPort.on('message', ({ id, kind, args }) => {
  try {
    parentPort.postMessage({ id, result: kernels[kind](args) });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
