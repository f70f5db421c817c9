/**
 * Scenario 6: search latency at the current population — a term, an exact email (as `queryString`
 * and as a `term` query), sorted pages. Sequential requests, one at a time, so each sample is one
 * query's latency.
 */
import { benchUser, LAST } from '../dataset.js';
import type { Searchability } from '../searchability.js';
import { percentile, progress, type Row } from '../stats.js';

export async function searchLatency(searchable: Searchability, run: string, population: number, imported: number, samples: number, emit: (row: Row) => void): Promise<void> {
  const pick = (i: number) => benchUser(run, (i * 7919) % imported);
  const cases: [string, (i: number) => Parameters<Searchability['search']>[0]][] = [
    ['term "hendricks" (1/12 of users)', () => ({ queryString: 'hendricks' })],
    ['term, rare (username part)', (i) => ({ queryString: pick(i).username })],
    ['exact email as queryString', (i) => ({ queryString: pick(i).email })],
    ['exact email as term query', (i) => ({ query: JSON.stringify({ term: { email: pick(i).email } }) })],
    ['"*" sorted by email, page 1', () => ({ queryString: '*', sortFields: [{ name: 'email' }], numberOfResults: 25 })],
    ['"*" sorted by insertInstant desc', () => ({ queryString: '*', sortFields: [{ name: 'insertInstant', order: 'desc' }], numberOfResults: 25 })],
    ['term sorted by lastName, page 3', (i) => ({ queryString: LAST[i % LAST.length]!.toLowerCase(), sortFields: [{ name: 'lastName' }, { name: 'email' }], startRow: 50, numberOfResults: 25 })],
  ];
  for (const [label, request] of cases) {
    progress(`search at ${population.toLocaleString('en-US')} users: ${label}`);
    const latencies: number[] = [];
    let empty = 0;
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      const result = await searchable.search(request(i));
      latencies.push(performance.now() - t0);
      if (result.total === 0) empty++;
    }
    const p95 = percentile(latencies, 0.95);
    emit({
      scenario: '6 search',
      case: `${label} @${population >= 1000 ? `${Math.round(population / 1000)}k` : population} (${searchable.via})`,
      value: p95,
      unit: 'ms p95',
      p50Ms: percentile(latencies, 0.5),
      p95Ms: p95,
      p99Ms: percentile(latencies, 0.99),
      target: 'p95≤25ms',
      met: p95 <= 25,
      population,
      ...(empty > 0 && { notes: `${empty} empty results` }),
    });
  }
}
