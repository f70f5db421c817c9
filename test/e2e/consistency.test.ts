/**
 * The consistency contract of the README, measured: every create is immediately readable by id and
 * by email (zero misses in 10,000 pairs), and a race of 50 creates of one email leaves one user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from '../support/harness.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});

afterAll(async () => {
  await svc?.destroy();
});

describe('read-your-writes', () => {
  it('10,000 users created over HTTP are each retrievable by id and by email immediately: zero misses', async () => {
    const total = 10_000;
    const concurrency = 8;
    const misses: string[] = [];
    let next = 0;
    const started = performance.now();
    const lane = async () => {
      while (next < total) {
        const n = next++;
        const email = `ryw-${n}-${randomUUID()}@example.com`;
        // A cheap salted digest keeps 10,000 creates quick; the read path is what this test measures.
        const created = await svc.client.createUser(null as unknown as string, {
          user: { email, password: `password-${n}`, encryptionScheme: 'salted-sha256', factor: 1 } as never,
        });
        const id = created.response.user!.id!;
        const [byId, byEmail] = await Promise.all([
          svc.client.retrieveUser(id).catch(() => undefined),
          svc.client.retrieveUserByEmail(email).catch(() => undefined),
        ]);
        if (byId?.response.user?.id !== id) misses.push(`id ${id}`);
        if (byEmail?.response.user?.id !== id) misses.push(`email ${email}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const seconds = (performance.now() - started) / 1000;
    console.log(`read-your-writes: ${total} create→get pairs in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} pairs/s), misses: ${misses.length}`);
    expect(misses).toEqual([]);
  }, 600_000);
});

describe('uniqueness under a race', () => {
  it('50 concurrent creates of one email in different case end with one user and 49 [duplicate]user.email', async () => {
    const local = `Race.${randomUUID()}`;
    const variants = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? `${local}@example.com` : `${local.toUpperCase()}@EXAMPLE.COM`));
    const results = await Promise.allSettled(
      variants.map((email) => svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123', encryptionScheme: 'salted-sha256', factor: 1 } as never })),
    );
    const succeeded = results.filter((r) => r.status === 'fulfilled');
    const duplicates = results.filter(
      (r) => r.status === 'rejected' && (r.reason as { statusCode: number }).statusCode === 400 &&
        (r.reason as { exception: { fieldErrors: Record<string, { code: string }[]> } }).exception.fieldErrors['user.email']?.[0]?.code === '[duplicate]user.email',
    );
    expect(succeeded).toHaveLength(1);
    expect(duplicates).toHaveLength(49);
    const found = await svc.client.retrieveUserByEmail(`${local}@example.com`);
    expect(found.response.user?.id).toBe((succeeded[0] as PromiseFulfilledResult<{ response: { user: { id: string } } }>).value.response.user.id);
  });

  it('refuses a username that differs only in case from an existing one', async () => {
    const name = `Bob-${randomUUID()}`;
    await svc.client.createUser(null as unknown as string, { user: { username: name, password: 'password-123' } });
    const clash = await svc.client.createUser(null as unknown as string, { user: { username: name.toLowerCase(), password: 'password-123' } }).catch((e) => e);
    expect(clash.statusCode).toBe(400);
    expect(clash.exception.fieldErrors['user.username'][0].code).toBe('[duplicate]user.username');
  });
});
