// A password-derivation worker thread (see derive-pool.ts). Plain JavaScript so that it starts without
// a TypeScript loader in any host (the service through tsx, vitest, a plain `node`). It runs the
// schemes that have no native asynchronous implementation: their rounds are JavaScript, and on the API
// thread they took the event loop's CPU for the whole derivation (bcrypt cost 10: ~80 ms).
import { parentPort } from 'node:worker_threads';
import { bcryptHash, iterate } from './derive-kernels.mjs';

const kernels = { iterate, bcrypt: bcryptHash };

parentPort.on('message', ({ id, kind, args }) => {
  try {
    parentPort.postMessage({ id, result: kernels[kind](args) });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
