/**
 * Scenario 5: projection lag at a steady 200 writes/s. Each write is a user create (salted-sha256,
 * factor 1, so hashing does not limit the rate). The API answers a create only after the user view
 * has applied its position, so send → response bounds append → user view from above; a GET by id
 * right after the response checks read-your-writes (any 404 is a miss).
 *
 * Two phases at the same rate, because polling is load: the first has no search polling (append →
 * user view); the second polls one write in SEARCH_SAMPLE_EVERY every 2 ms from its response on and
 * times it from the send (append → searchable). Polling every write made the bench measure itself:
 * at 200 writes/s and ~100 ms to searchable that is thousands of searches per second on the API.
 */
import { randomUUID } from 'node:crypto';
import { api, cpuOf, cpuPerOp, type RunningService } from '../service.js';
import type { Searchability } from '../searchability.js';
import { percentile, progress, type Row } from '../stats.js';
import { sleep } from './import.js';

const SEARCH_SAMPLE_EVERY = 10;

export async function projectionLag(service: RunningService, searchable: Searchability, durationS: number, ratePerS: number, emit: (row: Row) => void): Promise<void> {
  const views = await writeAtRate(service, searchable, durationS, ratePerS, false);
  emit({ scenario: '5 lag', case: `append→user view @${ratePerS}/s`, value: percentile(views.viewLag, 0.99), unit: 'ms p99', p50Ms: percentile(views.viewLag, 0.5), p99Ms: percentile(views.viewLag, 0.99), target: 'p99≤100ms, 0 misses', met: percentile(views.viewLag, 0.99) <= 100 && views.misses === 0 && views.failures === 0, misses: views.misses, failures: views.failures, writes: views.viewLag.length, achievedRate: views.achieved, ...views.cpu, notes: `create→response (upper bound); ${views.misses} read-your-writes misses; achieved ${views.achieved.toFixed(0)} writes/s; CPU/write: API thread ${views.cpu.mainCpuMsPerOp.toFixed(2)} ms, process ${views.cpu.cpuMsPerOp.toFixed(2)} ms` });
  const search = await writeAtRate(service, searchable, durationS, ratePerS, true);
  emit({ scenario: '5 lag', case: `append→searchable @${ratePerS}/s (${searchable.via})`, value: percentile(search.searchLag, 0.99), unit: 'ms p99', p50Ms: percentile(search.searchLag, 0.5), p99Ms: percentile(search.searchLag, 0.99), target: 'p99≤100ms', met: percentile(search.searchLag, 0.99) <= 100 && search.failures === 0, failures: search.failures, writes: search.searchLag.length, achievedRate: search.achieved, notes: `1 write in ${SEARCH_SAMPLE_EVERY} polled every 2 ms; achieved ${search.achieved.toFixed(0)} writes/s; user view p99 in this phase ${percentile(search.viewLag, 0.99).toFixed(0)} ms` });
}

async function writeAtRate(service: RunningService, searchable: Searchability, durationS: number, ratePerS: number, pollSearch: boolean) {
  progress(`projection lag at ${ratePerS} writes/s for ${durationS}s${pollSearch ? ', polling search' : ''}`);
  const run = randomUUID().slice(0, 8);
  const viewLag: number[] = [];
  const searchLag: number[] = [];
  let misses = 0;
  let failures = 0;
  const pending: Promise<void>[] = [];
  const write = async (i: number) => {
    const email = `lag-${run}-${i}@bench.example.com`;
    const sent = performance.now();
    const created = await api(service.url, 'POST', '/api/user', { user: { email, password: 'bench-password-1', encryptionScheme: 'salted-sha256', factor: 1, firstName: 'Lag' } });
    if (created.status !== 200) {
      failures++;
      return;
    }
    viewLag.push(performance.now() - sent);
    if ((await api(service.url, 'GET', `/api/user/${created.body.user.id}`)).status !== 200) misses++;
    if (!pollSearch || i % SEARCH_SAMPLE_EVERY !== 0) return;
    const deadline = sent + 10_000;
    while (!(await searchable.hasEmail(email))) {
      if (performance.now() > deadline) return void failures++;
      await sleep(2);
    }
    searchLag.push(performance.now() - sent);
  };
  const total = Math.round(durationS * ratePerS);
  const cpuBefore = cpuOf(service.pid);
  const started = performance.now();
  let inFlight = 0;
  for (let i = 0; i < total; i++) {
    // Open-loop schedule: the i-th write starts at i/rate seconds whatever the earlier ones do —
    // unless 64 are already in flight: then the service is not keeping up, which the achieved rate shows.
    const due = started + (i * 1000) / ratePerS;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= 64) await sleep(1);
    inFlight++;
    pending.push(
      write(i)
        .catch(() => void failures++)
        .finally(() => inFlight--),
    );
  }
  await Promise.all(pending);
  const cpu = cpuPerOp(cpuBefore, cpuOf(service.pid), viewLag.length);
  const achieved = viewLag.length / ((performance.now() - started) / 1000);
  return { viewLag, searchLag, misses, failures, cpu, achieved };
}
