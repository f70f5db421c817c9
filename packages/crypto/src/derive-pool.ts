/**
 * Worker threads for the password schemes computed in JavaScript: FusionAuth's salted-md5 and
 * salted-sha256 (20,000 rounds by default), phpass and bcrypt (bcryptjs). argon2id and PBKDF2 run on
 * the libuv pool natively; these did not, so each login of an imported user spent its whole
 * derivation on the API thread: ~27 ms for salted-sha256 at 20,000 rounds, ~80 ms for bcrypt cost 10
 * on a 2-core machine, during which every other request shared the event loop with it.
 *
 * One worker per core (at most 4), started on first use. A worker is unref'd while it has no job, so
 * an idle pool never keeps a process alive, and ref'd while it has one, so a CLI awaiting a hash does
 * not exit under it. A worker that dies fails its job and is replaced at the next job.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { IterateArgs } from './derive-kernels.mjs';

interface Kernels {
  /** A Buffer in the worker; structured cloning hands it back as a Uint8Array. */
  iterate: { args: IterateArgs; result: Uint8Array };
  bcrypt: { args: { password: string; setting: string }; result: string };
}
type Kind = keyof Kernels;

interface Job {
  id: number;
  kind: Kind;
  args: unknown;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

const SIZE = Math.min(4, Math.max(1, availableParallelism()));
const SOURCE = new URL('./derive-worker.mjs', import.meta.url);

const queue: Job[] = [];
const idle: Worker[] = [];
const busy = new Map<Worker, Job>();
let started = 0;
let nextId = 1;

/** Runs one derivation kernel on a pool thread. */
export function deriveOffThread<K extends Kind>(kind: K, args: Kernels[K]['args']): Promise<Kernels[K]['result']> {
  return new Promise((resolve, reject) => {
    queue.push({ id: nextId++, kind, args, resolve: resolve as (result: unknown) => void, reject });
    dispatch();
  });
}

function dispatch(): void {
  while (queue.length > 0) {
    const worker = idle.pop() ?? (started < SIZE ? spawn() : undefined);
    if (!worker) return;
    const job = queue.shift()!;
    busy.set(worker, job);
    worker.ref();
    worker.postMessage({ id: job.id, kind: job.kind, args: job.args });
  }
}

function spawn(): Worker {
  const worker = new Worker(SOURCE, { name: 'idstream-password-derive' });
  started += 1;
  let failure: Error | undefined;
  worker.on('message', (message: { result?: unknown; error?: string }) => {
    const job = busy.get(worker);
    busy.delete(worker);
    worker.unref();
    idle.push(worker);
    // One job at a time per worker: the reply is the busy job's.
    if (message.error !== undefined) job?.reject(new Error(message.error));
    else job?.resolve(message.result);
    dispatch();
  });
  worker.on('error', (error) => (failure = error));
  worker.on('exit', (code) => {
    started -= 1;
    const waiting = idle.indexOf(worker);
    if (waiting >= 0) idle.splice(waiting, 1);
    const job = busy.get(worker);
    busy.delete(worker);
    job?.reject(failure ?? new Error(`password derivation thread exited with code ${code}`));
    dispatch();
  });
  return worker;
}
