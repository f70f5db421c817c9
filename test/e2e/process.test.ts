/**
 * The start contract as a user meets it: the service as a process, configured by environment,
 * refusing bad configuration with the variable's name, ready on /api/status, stopping cleanly on
 * SIGTERM, and keeping its data across restarts.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const cli = join(import.meta.dirname, '..', '..', 'bin', 'idstream.mjs');

function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, [cli, 'start'], { env: { ...process.env, LOG_LEVEL: 'info', HOST: '127.0.0.1', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const ready = (async () => {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const line = stdout.split('\n').find((l) => l.includes('"idstream ready"'));
      if (line) return JSON.parse(line).url as string;
      if (child.exitCode !== null) throw new Error(`exited early (${child.exitCode}): ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`not ready in time: ${stderr}`);
  })();
  // A test that expects an early exit never awaits readiness; keep that rejection handled.
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => ({ stdout, stderr }) };
}

describe('the service process', () => {
  it('refuses a bad configuration value, naming the variable, without starting', async () => {
    const run = startProcess({ PORT: 'nine-thousand' });
    expect(await run.exited).toBe(78);
    expect(run.output().stderr).toContain('PORT');
  });

  it('starts, serves, stops on SIGTERM with exit 0, and keeps its data for the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'idstream-process-'));
    try {
      const first = startProcess({ IDSTREAM_DATA_DIR: dataDir });
      const url = await first.ready;
      expect((await fetch(`${url}/api/status`)).status).toBe(200);
      // No key was configured: one was generated into the data directory, and not logged.
      const key = readFileSync(join(dataDir, 'bootstrap-api-key'), 'utf8').trim();
      expect(first.output().stdout).not.toContain(key);
      const email = `process-${randomUUID()}@example.com`;
      const created = await fetch(`${url}/api/user`, {
        method: 'POST',
        headers: { Authorization: key, 'Content-Type': 'application/json' },
        body: JSON.stringify({ user: { email, password: 'process-password' } }),
      });
      expect(created.status).toBe(200);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      const second = startProcess({ IDSTREAM_DATA_DIR: dataDir });
      const again = await second.ready;
      const found = await fetch(`${again}/api/user?email=${encodeURIComponent(email)}`, { headers: { Authorization: key } });
      expect(found.status).toBe(200);
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
