/**
 * HTTP load from this (separate) process with autocannon, bounded in time or count. Non-2xx answers
 * and socket errors are counted and reported, never hidden in the throughput.
 */
import autocannon from 'autocannon';
import { BENCH_API_KEY } from './service.js';

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  failed: number;
}

export interface LoadOptions {
  url: string;
  path: string;
  method?: string;
  connections: number;
  durationS?: number;
  amount?: number;
  /** A fixed body, or one per request (called in order). */
  body?: unknown;
  bodies?: () => unknown;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const headers = { Authorization: BENCH_API_KEY, 'Content-Type': 'application/json' };
  const started = performance.now();
  const run = autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationS ?? 5 }),
    timeout: 30,
    requests: [
      {
        method: options.method ?? 'POST',
        path: options.path,
        headers,
        ...(options.bodies
          ? { setupRequest: (req: any) => ({ ...req, body: JSON.stringify(options.bodies!()) }) }
          : options.body !== undefined && { body: JSON.stringify(options.body) }),
      },
    ],
  });
  // autocannon notices that `amount` requests are done on its once-a-second tick, so the duration it
  // reports for such a run is rounded up to about a whole second (600 requests whose last answer
  // came after 0.55 s: 1.01 s). The last response marks the real end.
  let lastResponse = started;
  if (options.amount) run.on('response', () => (lastResponse = performance.now()));
  const result = await run;
  const seconds = options.amount ? (lastResponse - started) / 1000 : result.duration;
  const ok = result['2xx'];
  return { rps: ok / seconds, p50Ms: result.latency.p50, p99Ms: result.latency.p99, ok, failed: result.non2xx + result.errors + result.timeouts };
}
