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
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}
