/**
 * `idstream rebuild`: replaying the log into a new versioned target gives exactly the read model the
 * live projection built, and the service reads from the new target after the switch.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { openSqliteViewDatabase } from '@idstream/views';
import { openSqliteSearchIndex } from '@idstream/search';
import { startTestService } from '../support/harness.js';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '..', '..', 'bin', 'idstream.mjs');

describe('idstream rebuild', () => {
  it('rebuilds the user views and the search index into new versions equal to the live ones, then serves from them', async () => {
    const first = await startTestService();
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) {
      const created = await first.client.createUser(null as unknown as string, {
        user: { email: `rebuild-${i}-${randomUUID()}@example.com`, username: `rebuild-${i}`, password: `password-${i}`, encryptionScheme: 'salted-sha256', factor: 1, data: { n: i } } as never,
      });
      ids.push(created.response.user!.id!);
    }
    const loginEmail = (await first.client.retrieveUser(ids[7]!)).response.user!.email!;
    await first.client.login({ loginId: loginEmail, password: 'password-7' });
    await first.stop();

    const env = { ...process.env, IDSTREAM_DATA_DIR: first.dataDir, LOG_LEVEL: 'silent' };
    const views = await run(process.execPath, [cli, 'rebuild', 'user-views'], { env });
    expect(views.stdout).toContain('user-views rebuilt into users_v2');
    const search = await run(process.execPath, [cli, 'rebuild', 'user-search'], { env });
    expect(search.stdout).toContain('user-search rebuilt into v2');

    const db = await openSqliteViewDatabase({ path: join(first.dataDir, 'views.db') });
    expect(await db.getAlias('users')).toBe('users_v2');
    const [v1, v2] = [db.collection('users_v1'), db.collection('users_v2')];
    expect(await v2.count()).toBe(await v1.count());
    for (const id of ids) expect(await v2.getIncludingDeleted(id)).toEqual(await v1.getIncludingDeleted(id));
    await db.close();

    const index = await openSqliteSearchIndex({ path: join(first.dataDir, 'search.db') });
    expect(await index.currentVersion()).toBe(2);
    const [s1, s2] = [await index.version(1), await index.version(2)];
    const query = { queryString: 'rebuild-1*', numberOfResults: 200, sortFields: [{ name: 'username' }] };
    const [r1, r2] = [await s1.search(query), await s2.search(query)];
    expect(r2.total).toBeGreaterThan(0);
    expect(r2).toEqual(r1);
    await index.close();

    const second = await startTestService({ dataDir: first.dataDir, env: { IDSTREAM_API_KEY: first.apiKey } });
    try {
      expect((await second.client.retrieveUser(ids[7]!)).response.user?.lastLoginInstant).toBeTypeOf('number');
      expect((await second.client.login({ loginId: loginEmail, password: 'password-7' })).statusCode).toBe(200);
      const fresh = await second.client.createUser(null as unknown as string, { user: { email: `after-${randomUUID()}@example.com`, password: 'password-after' } });
      expect((await second.client.retrieveUser(fresh.response.user!.id!)).response.user?.id).toBe(fresh.response.user!.id);
    } finally {
      await second.destroy();
    }
  }, 120_000);
});
