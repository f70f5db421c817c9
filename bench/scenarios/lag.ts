/**
 * Scenario 5: projection lag at a steady 200 writes/s. Each write is a user create (salted-sha256,
 * factor 1, so hashing does not limit the rate). The API answers a create only after the user view
 * has applied its position, so send → response bounds append → user view from above; a GET by id
 * right after the response checks read-your-writes (any 404 is a miss). Searchable is polled every
 * 2 ms from the response on and timed from the send.
 */
import { randomUUID } from 'node:crypto';
import { api, cpuOf, cpuPerOp, type RunningService } from '../service.js';
import type { Searchability } from '../searchability.js';
import { percentile, progress, type Row } from '../stats.js';
import { sleep } from './import.js';

export async function projectionLag(service: RunningService, searchable: Searchability, durationS: number, ratePerS: number, emit: (row: Row) => void): Promise<void> {
  progress(`projection lag at ${ratePerS} writes/s for ${durationS}s`);
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
  emit({ scenario: '5 lag', case: `append→user view @${ratePerS}/s`, value: percentile(viewLag, 0.99), unit: 'ms p99', p50Ms: percentile(viewLag, 0.5), p99Ms: percentile(viewLag, 0.99), target: 'p99≤100ms, 0 misses', met: percentile(viewLag, 0.99) <= 100 && misses === 0 && failures === 0, misses, failures, writes: viewLag.length, achievedRate: achieved, ...cpu, notes: `create→response (upper bound); ${misses} read-your-writes misses; achieved ${achieved.toFixed(0)} writes/s; CPU/write: API thread ${cpu.mainCpuMsPerOp.toFixed(2)} ms, process ${cpu.cpuMsPerOp.toFixed(2)} ms (with the search polling)` });
  emit({ scenario: '5 lag', case: `append→searchable @${ratePerS}/s (${searchable.via})`, value: percentile(searchLag, 0.99), unit: 'ms p99', p50Ms: percentile(searchLag, 0.5), p99Ms: percentile(searchLag, 0.99), target: 'p99≤100ms', met: percentile(searchLag, 0.99) <= 100, writes: searchLag.length });
}
