// Minimal types for the part of autocannon the bench uses (the package ships none).
declare module 'autocannon' {
  interface Stats { average: number; mean: number; p50: number; p90: number; p99: number; max: number; total: number }
  interface Result {
    duration: number;
    latency: Stats;
    requests: Stats;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    requests?: { method?: string; path?: string; headers?: Record<string, string>; body?: string; setupRequest?: (req: any, context: any) => any }[];
    timeout?: number;
  }
  /** The run: awaitable for its result, and an emitter of each response while it goes. */
  interface Instance extends PromiseLike<Result> {
    on(event: 'response', listener: (client: unknown, statusCode: number, bytes: number, responseTimeMs: number) => void): this;
  }
  function autocannon(options: Options): Instance;
  export default autocannon;
}
