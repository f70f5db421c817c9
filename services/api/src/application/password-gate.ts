/**
 * At most (libuv pool size − 1) password verifications of logins at once. argon2id and PBKDF2 run on
 * the libuv thread pool, and so do file writes (logs, the dev mailbox) and DNS: one pool thread stays
 * free for those instead of queueing behind every verification, and one fewer CPU-bound thread
 * competes with the event loop (the JWT signature is synchronous, on the event loop). Measured on
 * the loaded 2-core CI machine, 32 concurrent logins, three interleaved pairs: /api/status p99
 * 205/79/61 ms with the gate against 312/321/183 ms without, at the same login throughput.
 * `IDSTREAM_NO_PASSWORD_GATE=1` turns it off (for such comparisons).
 */
const POOL_SIZE = Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4;
const LIMIT = Math.max(1, POOL_SIZE - 1);

let running = 0;
const waiting: (() => void)[] = [];

export async function gatedPasswordWork<T>(work: () => Promise<T>): Promise<T> {
  if (process.env.IDSTREAM_NO_PASSWORD_GATE === '1') return work();
  if (running >= LIMIT) await new Promise<void>((resolve) => waiting.push(resolve));
  else running += 1;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter (running stays the same), else free it.
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  }
}
