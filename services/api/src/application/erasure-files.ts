/**
 * Files outside the stores that can hold a user's personal data: the dev mailbox (`<dataDir>/mailbox`,
 * written when no SMTP server is configured). On a hard delete every message naming the user — by id
 * or by any address the user ever had — is removed.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdstreamConfig } from '@idstream/config';
import { truncateSqliteWal } from '@idstream/eventstore';

/** Removes the dev mailbox messages that contain any of `needles` (case-insensitive); returns how many. */
export async function eraseMailboxMessages(dataDir: string, needles: string[]): Promise<number> {
  const wanted = [...new Set(needles.filter((n) => n.length >= 3).map((n) => n.toLowerCase()))];
  if (wanted.length === 0) return 0;
  const dir = join(dataDir, 'mailbox');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const file = join(dir, name);
    const text = (await readFile(file, 'utf8').catch(() => '')).toLowerCase();
    if (wanted.some((n) => text.includes(n) || name.toLowerCase().includes(n))) {
      await unlink(file).catch(() => undefined);
      removed++;
    }
  }
  return removed;
}

/** Every email address found in a user's event data (the current one and every earlier one). */
export function emailsIn(values: unknown[]): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, key?: string): void => {
    if (typeof value === 'string') {
      if ((key === 'email' || key === 'loginId') && value.includes('@')) found.add(value.toLowerCase());
    } else if (Array.isArray(value)) value.forEach((v) => walk(v));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  values.forEach((v) => walk(v));
  return [...found];
}

/**
 * After an erasure: the embedded SQLite stores' write-ahead logs still hold page images from before
 * it. Checkpoint them into the databases (whose deleted rows `secure_delete` zeroed) and truncate.
 * Returns the files whose WAL could not be truncated in time (a long-running reader held it).
 */
export async function truncateEmbeddedWals(config: IdstreamConfig): Promise<string[]> {
  const embedded = [
    !config.kurrentDbUrl && 'events.db',
    !config.mongoDbUrl && 'views.db',
    !config.elasticsearchUrl && 'search.db',
    !config.redisUrl && 'jobs.db',
  ].filter((name): name is string => typeof name === 'string');
  const left: string[] = [];
  for (const name of embedded) {
    const path = join(config.dataDir, name);
    if (existsSync(path) && !(await truncateSqliteWal(path))) left.push(path);
  }
  return left;
}
