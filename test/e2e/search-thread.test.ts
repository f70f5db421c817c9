/**
 * The default embedded layout: the user search projection runs in a worker thread of its own
 * (`IDSTREAM_SEARCH_THREAD`, on by default), the other projections on the API thread beside the
 * views they serve. What a user relies on must hold as it did with search on the API thread:
 * search after a refresh, a deleted user gone from search when the delete answers, renames, a
 * search thread that dies (started again), and a start whose search index is behind views that
 * receive nothing new (it is told where they are).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestService, type TestService } from '../support/harness.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
}, 60_000);

afterAll(async () => {
  await svc?.destroy();
});

async function searchTotal(service: TestService, queryString: string): Promise<number> {
  const found = await service.client.searchUsersByQuery({ search: { queryString } });
  expect(found.statusCode).toBe(200);
  return found.response.total ?? 0;
}

describe('user search in a thread of its own (default)', () => {
  it('applies search off the API thread, and search follows creates, renames and deletes', async () => {
    // The views are applied here; the search handle is the thread's, moved by its messages.
    const runners = svc.service.projector!.runners();
    expect(runners.userViews!.constructor.name).toBe('ProjectionRunner');
    expect(runners.userSearch!.constructor.name).not.toBe('ProjectionRunner');

    const tag = `st${randomUUID().slice(0, 8)}`;
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const created = await svc.client.createUser(null as unknown as string, { user: { email: `${tag}-${i}@example.com`, password: 'password-123', lastName: `Surname${tag}` } });
      expect(created.statusCode).toBe(200);
      ids.push(created.response.user!.id!);
    }
    // A refresh waits on the thread's position: everything created before it is searchable.
    expect((await svc.client.refreshUserSearchIndex()).statusCode).toBe(200);
    expect(await searchTotal(svc, `surname${tag}`)).toBe(25);
    expect(svc.service.projector!.userSearch.position).toBeGreaterThan(0);

    // A rename shows in search once refreshed; the old name no longer finds the user.
    const renamed = await svc.client.patchUser(ids[0]!, { user: { lastName: `Renamed${tag}` } });
    expect(renamed.statusCode).toBe(200);
    expect((await svc.client.refreshUserSearchIndex()).statusCode).toBe(200);
    expect(await searchTotal(svc, `renamed${tag}`)).toBe(1);
    expect(await searchTotal(svc, `surname${tag}`)).toBe(24);

    // A hard delete answers only once search has dropped the user: no refresh needed.
    expect((await svc.client.deleteUser(ids[1]!)).statusCode).toBe(200);
    expect(await searchTotal(svc, `surname${tag}`)).toBe(23);
  }, 60_000);

  it('starts a search thread that died again, and it indexes what was written while it was down', async () => {
    const tag = `sk${randomUUID().slice(0, 8)}`;
    const create = async (i: number) =>
      expect((await svc.client.createUser(null as unknown as string, { user: { email: `${tag}-${i}@example.com`, password: 'password-123', middleName: `Middle${tag}` } })).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) await create(i);
    expect((await svc.client.refreshUserSearchIndex()).statusCode).toBe(200);
    expect(await searchTotal(svc, `middle${tag}`)).toBe(5);

    await svc.service.thread!.kill();
    // Written while no search thread runs: the views' positions sent meanwhile reach nobody, so the
    // new thread learns where the views are from what the API thread sends it at its start.
    for (let i = 5; i < 10; i++) await create(i);
    expect((await svc.client.refreshUserSearchIndex()).statusCode).toBe(200);
    expect(await searchTotal(svc, `middle${tag}`)).toBe(10);
  }, 60_000);

  it('indexes at start what the views hold but the search index does not', async () => {
    const tag = `sr${randomUUID().slice(0, 8)}`;
    const first = await startTestService();
    const dataDir = first.dataDir;
    for (let i = 0; i < 10; i++) {
      expect((await first.client.createUser(null as unknown as string, { user: { email: `${tag}-${i}@example.com`, password: 'password-123', firstName: `Given${tag}` } })).statusCode).toBe(200);
    }
    await first.stop();
    // The search index is lost; the views and the log are not. Nothing new is written after the
    // start, so search learns the views' position only from what the API thread tells it at start.
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `search.db${suffix}`), { force: true });
    const again = await startTestService({ env: { IDSTREAM_API_KEY: first.apiKey }, dataDir });
    try {
      expect((await again.client.refreshUserSearchIndex()).statusCode).toBe(200);
      expect(await searchTotal(again, `given${tag}`)).toBe(10);
    } finally {
      await again.destroy();
    }
  }, 60_000);

  it('can be turned off: IDSTREAM_SEARCH_THREAD=false applies search on the API thread', async () => {
    const local = await startTestService({ env: { IDSTREAM_SEARCH_THREAD: 'false' } });
    try {
      expect(local.service.projector!.userSearch.constructor.name).toBe('ProjectionRunner');
      const tag = `sl${randomUUID().slice(0, 8)}`;
      expect((await local.client.createUser(null as unknown as string, { user: { email: `${tag}@example.com`, password: 'password-123' } })).statusCode).toBe(200);
      expect((await local.client.refreshUserSearchIndex()).statusCode).toBe(200);
      expect(await searchTotal(local, tag)).toBe(1);
    } finally {
      await local.destroy();
    }
  }, 60_000);
});
