/**
 * The service under test, in its own process: `node bin/idstream.mjs start` on a data directory,
 * PORT=0, the URL read from the JSON "idstream ready" log line (as test/e2e/process.test.ts does).
 * Production adapters are used when their URLs are in the environment (the child inherits it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const cli = join(import.meta.dirname, '..', 'bin', 'idstream.mjs');

export const BENCH_API_KEY = 'bench-superuser-key-0123456789abcdef0123456789';
export const DEFAULT_TENANT_ID = '6f1b4e3c-0d1a-4c55-9a54-1d3f1d0e7a01';

export interface RunningService {
  url: string;
  pid: number;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  child: ChildProcess;
  stop(): Promise<number | null>;
}

export async function startService(dataDir: string, nodeArgs: string[] = []): Promise<RunningService> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, cli, 'start'], {
    env: { ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', IDSTREAM_DATA_DIR: dataDir, IDSTREAM_API_KEY: BENCH_API_KEY },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Only the tail is kept: the service logs for as long as the bench runs.
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString()).slice(-200_000)));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const line = stdout.split('\n').find((l) => l.includes('"idstream ready"'));
      if (line) {
        clearInterval(timer);
        resolve(JSON.parse(line).url as string);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`service exited early (${child.exitCode}): ${stderr}\n${stdout.slice(-4000)}`));
      }
    }, 5);
  });
  const readyMs = performance.now() - started;
  return {
    url,
    pid: child.pid!,
    readyMs,
    child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Resident and peak resident memory of a process, in MiB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/** JSON call to the service with the bench API key. */
export async function api<T = any>(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: BENCH_API_KEY, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** utime + stime of a `/proc/.../stat` line, in ms (10 ms ticks: USER_HZ is 100 on Linux). */
function cpuMsOf(stat: string, only: 'all' | 'system' = 'all'): number {
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((only === 'all' ? Number(fields[11]) : 0) + Number(fields[12])) * 10;
}

/**
 * CPU time the service spent so far, in ms: its main (API) thread and the whole process (projector
 * thread, libuv pool, GC). Per request it is a figure the shared machine's load does not distort
 * the way throughput is: the API thread's CPU per login bounds the login rate one core allows.
 */
export function cpuOf(pid: number): { mainMs: number; totalMs: number } {
  return { mainMs: cpuMsOf(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8')), totalMs: cpuMsOf(readFileSync(`/proc/${pid}/stat`, 'utf8')) };
}

/** CPU milliseconds per thread id of `pid` (utime + stime, 10 ms ticks). */
export function cpuByThread(pid: number, only: 'all' | 'system' = 'all'): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      cpu.set(Number(tid), cpuMsOf(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'), only));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return cpu;
}

/** CPU ms per operation of the API thread and of the whole service between two `cpuOf` readings. */
export function cpuPerOp(before: { mainMs: number; totalMs: number }, after: { mainMs: number; totalMs: number }, ops: number): { mainCpuMsPerOp: number; cpuMsPerOp: number } {
  return { mainCpuMsPerOp: (after.mainMs - before.mainMs) / Math.max(1, ops), cpuMsPerOp: (after.totalMs - before.totalMs) / Math.max(1, ops) };
}
