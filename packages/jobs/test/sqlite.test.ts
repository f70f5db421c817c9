import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteJobQueue } from '../src/sqlite.js';
import { jobQueueContract } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'idstream-jobs-'));
const path = join(dir, 'jobs.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

jobQueueContract('SQLite job queue contract', () => openSqliteJobQueue({ path, pollIntervalMs: 50 }), {
  childConfig: () => ({ adapter: 'sqlite', path }),
});
