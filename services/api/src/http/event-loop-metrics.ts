import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

/**
 * How often the event loop is sampled. prom-client samples every 10 ms: a timer that wakes the API
 * thread 100 times a second whether or not anything happens, the largest part of the idle service's
 * API-thread CPU (strace: 100 empty wake-ups a second; idle API thread 10–14 ms/s against 5–7 ms/s
 * at this interval, `bench/idle-cpu.ts`), paid again by every request at low rates. A block of the
 * loop shows when it delays a sample; blocks shorter than this may fall between samples.
 */
export const EVENT_LOOP_SAMPLE_MS = 250;

const STATS: Record<string, [help: string, read: (h: RecordableHistogram) => number]> = {
  min: ['The minimum recorded event loop delay.', (h) => h.min],
  max: ['The maximum recorded event loop delay.', (h) => h.max],
  mean: ['The mean of the recorded event loop delays.', (h) => h.mean],
  stddev: ['The standard deviation of the recorded event loop delays.', (h) => h.stddev],
  p50: ['The 50th percentile of the recorded event loop delays.', (h) => h.percentile(50)],
  p90: ['The 90th percentile of the recorded event loop delays.', (h) => h.percentile(90)],
  p99: ['The 99th percentile of the recorded event loop delays.', (h) => h.percentile(99)],
};

/**
 * prom-client's `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`, under the same
 * names, from a sample every `EVENT_LOOP_SAMPLE_MS`: how late each sample ran. They describe the
 * samples since the previous scrape. Unlike prom-client's:
 * - a scrape that finds no new sample (two scrapers, or two scrapes within one interval) repeats the
 *   last figures, instead of `Nan` and a minimum of 9.2e9 s (an empty histogram's values);
 * - the figures are the delay alone. Node's `monitorEventLoopDelay` records the time between two
 *   samples (an idle loop's "lag" there is the sampling interval), and its reset, once per scrape,
 *   also forgets when the last sample ran, so a block in the interval after each scrape went unseen.
 *
 * Call after `collectDefaultMetrics`, whose own gauges of these names it replaces. Returns the
 * function that stops the sampling.
 */
export function registerEventLoopDelay(registry: Registry, prefix: string): () => void {
  const histogram = createHistogram();
  let previous = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    // Nanoseconds late; the histogram takes integers of at least 1.
    histogram.record(Math.max(1, Math.round((now - previous - EVENT_LOOP_SAMPLE_MS) * 1e6)));
    previous = now;
  }, EVENT_LOOP_SAMPLE_MS);
  timer.unref();
  let last: Record<string, number> | undefined;
  const refresh = () => {
    if (histogram.count === 0) return;
    last = Object.fromEntries(Object.entries(STATS).map(([stat, [, read]]) => [stat, read(histogram) / 1e9]));
    histogram.reset();
  };
  for (const [stat, [help]] of Object.entries(STATS)) {
    const name = `${prefix}nodejs_eventloop_lag_${stat}_seconds`;
    registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        refresh();
        if (last) this.set(last[stat]!);
      },
    });
  }
  return () => clearInterval(timer);
}
