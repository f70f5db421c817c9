/**
 * The service as a separate process (`node bin/idstream.mjs start`), so a test can `kill -9` it and
 * start it again on the same data directory. Readiness is the `idstream ready` JSON log line, which
 * carries the URL (PORT=0 picks a free port on every start).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';

export const cliPath = join(import.meta.dirname, '..', '..', 'bin', 'idstream.mjs');
const run = promisify(execFile);

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** Exit code, or the signal name when killed. */
  exited: Promise<number | string>;
  /** SIGKILL: no shutdown hook, no flush, nothing closed. */
  kill9(): Promise<number | string>;
  /** SIGTERM: the orderly stop. */
  stop(): Promise<number | string>;
  /** The last lines the process wrote (diagnostics for a failed assertion). */
  tail(): string;
}

export interface SpawnOptions {
  dataDir: string;
  apiKey: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export async function spawnService(options: SpawnOptions): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [cliPath, 'start'], {
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: '0',
      IDSTREAM_DATA_DIR: options.dataDir,
      IDSTREAM_API_KEY: options.apiKey,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Keep only the tail: a load test makes the process log a lot.
  const lines: string[] = [];
  let partial = '';
  let url: string | undefined;
  const onData = (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      if (!url && line.includes('"idstream ready"')) url = JSON.parse(line).url as string;
      lines.push(line);
      if (lines.length > 200) lines.shift();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const tail = () => [...lines, partial].join('\n');

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (!url) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`service exited before ready (${child.exitCode ?? child.signalCode}):\n${tail()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service not ready in time:\n${tail()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    child,
    url,
    exited,
    kill9() {
      child.kill('SIGKILL');
      return exited;
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
    tail,
  };
}

/** Runs `idstream <args>` on a data directory and returns its output; rejects on a non-zero exit. */
export async function runCli(dataDir: string, args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cliPath, ...args], { env: { ...process.env, IDSTREAM_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }, maxBuffer: 64 * 1024 * 1024 });
}

/** Starts `idstream <args>` without waiting, so a test can kill it part-way. */
export function spawnCli(dataDir: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; output: () => string; exited: Promise<number | string> } {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, IDSTREAM_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, output: () => output, exited };
}
