import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DeferJobError, PermanentJobError } from '../src/port.js';
import type { AttemptOutcome, JobContext, JobQueue, JobSpec } from '../src/port.js';

export interface JobQueueContractOptions {
  /** Configuration for `fixtures/crash-worker.ts`, which opens the same store in another process. */
  childConfig(queue: string): Record<string, unknown>;
  /** How soon after a worker process is killed its job runs elsewhere, though its lease had 60 s left. */
  redeliveryAfterDeathMs: number;
}

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CRASH_WORKER = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 4_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A worker in a process of its own (fixtures/crash-worker.ts) that takes one job and hangs on it;
 * `output` is what it printed so far, `kill()` ends it with SIGKILL and waits until it is reaped.
 */
export function spawnCrashWorker(config: Record<string, unknown>): { output(): string; kill(): Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WORKER, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The behaviour every JobQueue adapter must show; each test uses its own queue name. */
export function jobQueueContract(name: string, open: () => JobQueue, opts: JobQueueContractOptions): void {
  describe(name, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    const setup = () => {
      const jq = open();
      cleanups.push(() => jq.close());
      return { jq, queue: `q-${randomUUID().slice(0, 8)}` };
    };
    const untilCounts = (jq: JobQueue, queue: string, expected: Partial<Record<string, number>>, timeoutMs?: number) =>
      waitFor(
        async () => {
          const counts = (await jq.counts(queue)) as unknown as Record<string, number>;
          return Object.entries(expected).every(([k, v]) => counts[k] === v);
        },
        timeoutMs,
        `counts ${JSON.stringify(expected)}`,
      );

    it('runs a job once with its payload and context', async () => {
      const { jq, queue } = setup();
      const calls: [unknown, JobContext][] = [];
      const before = Date.now();
      await jq.enqueue([{ id: 'job-1', queue, payload: { to: 'a@example.com', n: 1 } }]);
      const after = Date.now();
      jq.work(queue, async (payload, context) => {
        calls.push([payload, context]);
      });
      await untilCounts(jq, queue, { completed: 1 });
      await sleep(100);
      expect(calls).toHaveLength(1);
      const [payload, context] = calls[0]!;
      expect(payload).toEqual({ to: 'a@example.com', n: 1 });
      expect(context).toMatchObject({ id: 'job-1', queue, attempt: 1 });
      expect(context.lane).toBeUndefined();
      expect(context.enqueuedAt).toBeGreaterThanOrEqual(before);
      expect(context.enqueuedAt).toBeLessThanOrEqual(after);
      expect(await jq.counts(queue)).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, dead: 0 });
    });

    it('retries a failing job with growing delays and reports each attempt', async () => {
      const { jq, queue } = setup();
      const startedAt: number[] = [];
      const outcomes: AttemptOutcome[] = [];
      await jq.enqueue([{ id: 'flaky', queue, payload: null, backoff: { initialDelayMs: 60, maxDelayMs: 5_000, jitter: 0 } }]);
      jq.work(
        queue,
        async (_p, context) => {
          startedAt.push(Date.now());
          if (context.attempt < 3) throw new Error(`transient ${context.attempt}`);
        },
        { onAttempt: (o) => void outcomes.push(o) },
      );
      await waitFor(() => outcomes.length === 3, 4_000, 'three attempts');
      expect(startedAt).toHaveLength(3);
      const gap1 = startedAt[1]! - startedAt[0]!;
      const gap2 = startedAt[2]! - startedAt[1]!;
      expect(gap1).toBeGreaterThanOrEqual(55);
      expect(gap2).toBeGreaterThanOrEqual(115);
      expect(gap2).toBeGreaterThan(gap1);
      expect(outcomes.map((o) => [o.status, o.context.attempt])).toEqual([
        ['retrying', 1],
        ['retrying', 2],
        ['completed', 3],
      ]);
      expect(outcomes[0]!.error).toBe('transient 1');
      expect(outcomes[0]!.nextAttemptAt! - startedAt[0]!).toBeGreaterThanOrEqual(60);
      expect(outcomes[1]!.nextAttemptAt!).toBeLessThanOrEqual(startedAt[2]! + 5);
      expect(outcomes.every((o) => o.durationMs >= 0)).toBe(true);
      await untilCounts(jq, queue, { completed: 1, dead: 0, delayed: 0 });
    });

    it('marks a job dead after maxAttempts and runs it again on retry()', async () => {
      const { jq, queue } = setup();
      let healthy = false;
      const attempts: number[] = [];
      const payloads: unknown[] = [];
      const outcomes: AttemptOutcome[] = [];
      await jq.enqueue([{ id: 'doomed', queue, payload: 7, maxAttempts: 2, backoff: { initialDelayMs: 10, maxDelayMs: 10 } }]);
      jq.work(
        queue,
        async (payload, context) => {
          attempts.push(context.attempt);
          payloads.push(payload);
          if (!healthy) throw new Error('endpoint down');
        },
        { onAttempt: (o) => void outcomes.push(o) },
      );
      await untilCounts(jq, queue, { dead: 1 });
      expect(attempts).toEqual([1, 2]);
      await waitFor(() => outcomes.length === 2);
      expect(outcomes[1]).toMatchObject({ status: 'dead', error: 'endpoint down' });
      expect(await jq.counts(queue)).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: 0, dead: 1 });

      healthy = true;
      expect(await jq.retry(queue, 'doomed')).toBe(true);
      await untilCounts(jq, queue, { completed: 1, dead: 0 });
      expect(attempts).toEqual([1, 2, 1]);
      expect(payloads).toEqual([7, 7, 7]);
      expect(await jq.retry(queue, 'never-enqueued')).toBe(false);
    });

    it('marks a job dead at once on PermanentJobError', async () => {
      const { jq, queue } = setup();
      const outcomes: AttemptOutcome[] = [];
      await jq.enqueue([{ id: 'bad-request', queue, payload: null, backoff: { initialDelayMs: 10, maxDelayMs: 10 } }]);
      jq.work(
        queue,
        async () => {
          throw new PermanentJobError('HTTP 400');
        },
        { onAttempt: (o) => void outcomes.push(o) },
      );
      await untilCounts(jq, queue, { dead: 1 });
      await sleep(100);
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ status: 'dead', error: 'HTTP 400', context: { attempt: 1 } });
    });

    it('puts a deferred job back without counting an attempt, ahead of its lane', async () => {
      const { jq, queue } = setup();
      const seen: [string, number, number][] = [];
      const outcomes: AttemptOutcome[] = [];
      let deferralsLeft = 3;
      await jq.enqueue([
        { id: 'head', queue, lane: 'L', payload: null, maxAttempts: 1 },
        { id: 'next', queue, lane: 'L', payload: null, maxAttempts: 1 },
      ]);
      const started = Date.now();
      jq.work(
        queue,
        async (_payload, context) => {
          seen.push([context.id, context.attempt, Date.now() - started]);
          if (context.id === 'head' && deferralsLeft-- > 0) throw new DeferJobError(100);
        },
        { onAttempt: (o) => void outcomes.push(o) },
      );
      await untilCounts(jq, queue, { completed: 2 });
      // maxAttempts 1 and three deferrals: still completed, each try seen as attempt 1, the lane held.
      expect(seen.map(([id, attempt]) => [id, attempt])).toEqual([['head', 1], ['head', 1], ['head', 1], ['head', 1], ['next', 1]]);
      expect(seen[3]![2]).toBeGreaterThanOrEqual(250);
      expect(outcomes.map((o) => [o.context.id, o.status])).toEqual([['head', 'completed'], ['next', 'completed']]);
    });

    it('gives up once maxAgeMs has passed, whatever the attempts left', async () => {
      const { jq, queue } = setup();
      const outcomes: AttemptOutcome[] = [];
      const maxAgeMs = 200;
      await jq.enqueue([
        { id: 'stale', queue, payload: null, maxAttempts: 1_000, maxAgeMs, backoff: { initialDelayMs: 20, maxDelayMs: 20 } },
      ]);
      jq.work(
        queue,
        async () => {
          throw new Error('still down');
        },
        { onAttempt: (o) => void outcomes.push(o) },
      );
      await untilCounts(jq, queue, { dead: 1 });
      await waitFor(() => outcomes.at(-1)?.status === 'dead');
      const last = outcomes.at(-1)!;
      expect(last.error).toMatch(/max age/);
      expect(outcomes.length).toBeGreaterThan(2);
      expect(outcomes.length).toBeLessThan(20);
      expect(Date.now() - last.context.enqueuedAt).toBeLessThan(maxAgeMs + 1_000);
    });

    it('collapses duplicate ids within a batch, across batches and after completion', async () => {
      const { jq, queue } = setup();
      const runs: string[] = [];
      await jq.enqueue([
        { id: 'a', queue, payload: 1 },
        { id: 'a', queue, payload: 2 },
        { id: 'b', queue, payload: 3 },
      ]);
      await jq.enqueue([{ id: 'a', queue, payload: 4 }]);
      jq.work(queue, async (payload, context) => {
        runs.push(`${context.id}:${String(payload)}`);
      });
      await untilCounts(jq, queue, { completed: 2 });
      await jq.enqueue([
        { id: 'a', queue, payload: 5 },
        { id: 'b', queue, payload: 6 },
      ]);
      await sleep(300);
      expect(runs.sort()).toEqual(['a:1', 'b:3']);
      expect(await jq.counts(queue)).toMatchObject({ waiting: 0, delayed: 0, completed: 2 });
    });

    it('does not run a delayed job before its delay', async () => {
      const { jq, queue } = setup();
      const enqueuedAt = Date.now();
      let ranAt = 0;
      await jq.enqueue([{ id: 'later', queue, payload: null, delayMs: 250 }]);
      jq.work(queue, async () => {
        ranAt = Date.now();
      });
      await waitFor(() => ranAt > 0);
      expect(ranAt - enqueuedAt).toBeGreaterThanOrEqual(245);
    });

    it('runs each lane in enqueue order, one at a time, lanes in parallel, across workers', async () => {
      const { jq, queue } = setup();
      const lanes = ['user-1', 'user-2', 'user-3'];
      const jobs: JobSpec[] = [];
      for (let i = 0; i < 30; i++) {
        const lane = lanes[i % 3]!;
        jobs.push({ id: `e-${i}`, queue, lane, payload: { lane, i } });
      }
      // Three enqueue calls: order must hold across batches as well as inside one.
      await jq.enqueue(jobs.slice(0, 7));
      await jq.enqueue(jobs.slice(7, 20));
      await jq.enqueue(jobs.slice(20));
      const order = new Map<string, number[]>(lanes.map((l) => [l, []]));
      const busy = new Set<string>();
      const violations: string[] = [];
      let inFlight = 0;
      let maxInFlight = 0;
      // Two handles (separate connections) with two slots each: the lane guard must hold across workers.
      const other = open();
      cleanups.push(() => other.close());
      const handler = async ({ lane, i }: { lane: string; i: number }, context: JobContext) => {
        if (context.lane !== lane) violations.push(`${i} ran with lane ${context.lane}`);
        if (busy.has(lane)) violations.push(`${lane} overlapped at ${i}`);
        busy.add(lane);
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        await sleep(5 + Math.random() * 20);
        order.get(lane)!.push(i);
        inFlight--;
        busy.delete(lane);
      };
      jq.work(queue, handler, { concurrency: 2 });
      other.work(queue, handler, { concurrency: 2 });
      await untilCounts(jq, queue, { completed: 30 }, 4_500);
      expect(violations).toEqual([]);
      for (const [index, lane] of lanes.entries()) {
        expect(order.get(lane)).toEqual(Array.from({ length: 10 }, (_, k) => index + 3 * k));
      }
      expect(maxInFlight).toBeGreaterThanOrEqual(2);
      expect(maxInFlight).toBeLessThanOrEqual(3);
    });

    it('keeps a retrying lane head ahead of its lane while other lanes proceed', async () => {
      const { jq, queue } = setup();
      const events: string[] = [];
      const backoff = { initialDelayMs: 120, maxDelayMs: 1_000, jitter: 0 };
      await jq.enqueue([
        { id: 'h', queue, lane: 'slow', payload: 'h', backoff },
        { id: 'x', queue, lane: 'fast', payload: 'x' },
        { id: 'f1', queue, lane: 'slow', payload: 'f1' },
        { id: 'y', queue, lane: 'fast', payload: 'y' },
        { id: 'f2', queue, lane: 'slow', payload: 'f2' },
      ]);
      jq.work<string>(
        queue,
        async (payload, context) => {
          if (payload === 'h' && context.attempt < 3) {
            events.push(`h fails ${context.attempt}`);
            throw new Error('flaky');
          }
          events.push(`${payload} done`);
        },
        { concurrency: 3 },
      );
      await untilCounts(jq, queue, { completed: 5 });
      const slow = events.filter((e) => /^(h|f)/.test(e));
      expect(slow).toEqual(['h fails 1', 'h fails 2', 'h done', 'f1 done', 'f2 done']);
      expect(events.indexOf('x done')).toBeLessThan(events.indexOf('h done'));
      expect(events.indexOf('y done')).toBeLessThan(events.indexOf('h done'));
    });

    it('lets a dead lane head unblock its lane', async () => {
      const { jq, queue } = setup();
      const ran: string[] = [];
      await jq.enqueue([
        { id: 'head', queue, lane: 'l', payload: 'head', maxAttempts: 2, backoff: { initialDelayMs: 10, maxDelayMs: 10 } },
        { id: 'next', queue, lane: 'l', payload: 'next' },
      ]);
      jq.work<string>(queue, async (payload) => {
        ran.push(payload);
        if (payload === 'head') throw new Error('always');
      });
      await untilCounts(jq, queue, { dead: 1, completed: 1 });
      expect(ran).toEqual(['head', 'head', 'next']);
    });

    it('puts a retried laned job behind the pending jobs of its lane', async () => {
      const { jq, queue } = setup();
      const events: string[] = [];
      let failFirst = true;
      await jq.enqueue([
        { id: 'a', queue, lane: 'l', payload: 'a' },
        { id: 'b', queue, lane: 'l', payload: 'b' },
      ]);
      jq.work<string>(
        queue,
        async (payload) => {
          if (payload === 'a' && failFirst) {
            failFirst = false;
            throw new PermanentJobError('rejected');
          }
          events.push(`${payload} start`);
          if (payload === 'b') await sleep(200);
          events.push(`${payload} end`);
        },
        { concurrency: 2 },
      );
      await waitFor(() => events.includes('b start'));
      expect(await jq.retry(queue, 'a')).toBe(true);
      await untilCounts(jq, queue, { completed: 2, dead: 0 });
      expect(events).toEqual(['b start', 'b end', 'a start', 'a end']);
    });

    it('delivers again the job of a worker process killed mid-job', { timeout: 20_000 }, async () => {
      const { jq, queue } = setup();
      await jq.enqueue([{ id: 'orphan', queue, payload: { survive: true } }]);
      const child = spawnCrashWorker({ ...opts.childConfig(queue), queue, leaseMs: 500 });
      cleanups.push(() => child.kill());
      await waitFor(() => child.output().includes('started orphan'), 15_000, 'the child to take the job');
      expect(await jq.counts(queue)).toMatchObject({ active: 1, completed: 0 });
      await child.kill();

      const deliveries: [unknown, JobContext][] = [];
      jq.work(queue, async (payload, context) => void deliveries.push([payload, context]), { leaseMs: 500 });
      await untilCounts(jq, queue, { completed: 1, active: 0 }, 5_000);
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]![0]).toEqual({ survive: true });
      expect(deliveries[0]![1].id).toBe('orphan');
    });

    it('delivers the job of a killed worker (and its lane) long before the lease ends; a live holder keeps it', { timeout: 40_000 }, async () => {
      const { jq, queue } = setup();
      await jq.enqueue([
        { id: 'orphan', queue, lane: 'hook-1', payload: { n: 1 } },
        { id: 'next', queue, lane: 'hook-1', payload: { n: 2 } },
      ]);
      const child = spawnCrashWorker({ ...opts.childConfig(queue), queue, leaseMs: 60_000 });
      cleanups.push(() => child.kill());
      await waitFor(() => child.output().includes('started orphan 1'), 15_000, 'the child to take the job');

      const delivered: string[] = [];
      jq.work(queue, async (_payload, context) => void delivered.push(context.id), { leaseMs: 60_000 });
      // The holder is alive: its job and the lane behind it stay with it, through several checks.
      await sleep(Math.min(5_000, opts.redeliveryAfterDeathMs));
      expect(delivered).toEqual([]);
      expect((await jq.counts(queue)).completed).toBe(0);

      const killedAt = Date.now();
      await child.kill();
      await untilCounts(jq, queue, { completed: 2 }, opts.redeliveryAfterDeathMs);
      expect(Date.now() - killedAt).toBeLessThan(opts.redeliveryAfterDeathMs);
      expect(delivered).toEqual(['orphan', 'next']);
    });

    it('close() waits for in-flight handlers and their outcome', async () => {
      const { jq, queue } = setup();
      let started = false;
      let finished = false;
      const outcomes: AttemptOutcome[] = [];
      await jq.enqueue([{ id: 'slow', queue, payload: null }]);
      const worker = jq.work(
        queue,
        async () => {
          started = true;
          await sleep(300);
          finished = true;
        },
        { onAttempt: (o) => void outcomes.push(o) },
      );
      await waitFor(() => started);
      await worker.close();
      expect(finished).toBe(true);
      expect(outcomes.map((o) => o.status)).toEqual(['completed']);
      expect(await jq.counts(queue)).toMatchObject({ active: 0, completed: 1 });
    });
  });
}
