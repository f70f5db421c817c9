/**
 * `IDSTREAM_PROJECTOR_THREAD=true`: projections, reactors and the job worker in a worker thread of
 * the API process (off by default). What a user relies on must hold the same way as on the API's
 * event loop: read-your-writes, search, login, webhooks, a graceful stop and a restart on the same data.
 */
import { afterAll, beforeAll, expect, it, describe } from 'vitest';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startTestService, type TestService } from '../support/harness.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';

let svc: TestService;
let receiver: WebhookReceiver;
const env = { IDSTREAM_PROJECTOR_THREAD: 'true' };

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  svc = await startTestService({ env });
}, 60_000);

afterAll(async () => {
  await svc?.destroy();
  await receiver?.close();
});

describe('projector in a worker thread', () => {
  it('runs the projections off the API thread and serves reads, search, login and webhooks', async () => {
    // In the thread the API holds message-driven handles, not the ProjectionRunners themselves.
    expect(svc.service.projector!.userViews.constructor.name).not.toBe('ProjectionRunner');
    const webhook = await svc.client.createWebhook(null as unknown as string, {
      webhook: { url: receiver.url, eventsEnabled: { 'user.create': true }, global: true } as never,
    });
    expect(webhook.statusCode).toBe(200);

    const tag = randomUUID().slice(0, 8);
    const emails = Array.from({ length: 20 }, (_, i) => `thread-${tag}-${i}@example.com`);
    // Read-your-writes through the thread's position messages: each get right after its create.
    for (const email of emails) {
      const created = await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123', lastName: `Thread${tag}` } });
      expect(created.statusCode).toBe(200);
      expect((await svc.client.retrieveUser(created.response.user!.id!)).response.user!.email).toBe(email);
      expect((await svc.client.retrieveUserByEmail(email)).response.user!.id).toBe(created.response.user!.id);
    }
    const login = await svc.client.login({ loginId: emails[3]!, password: 'password-123' });
    expect(login.statusCode).toBe(200);
    expect(typeof login.response.token).toBe('string');

    // Search applies in the thread; the search waiter resolves on its messages.
    const deadline = Date.now() + 15_000;
    let total = 0;
    while (Date.now() < deadline && total < emails.length) {
      total = (await svc.client.searchUsersByQuery({ search: { queryString: `thread${tag}` } })).response.total ?? 0;
      if (total < emails.length) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(total).toBe(emails.length);

    // The job worker runs in the thread too: every user.create is delivered.
    await receiver.waitFor((all) => emails.every((email) => all.some((r) => r.body?.event?.type === 'user.create' && r.body?.event?.user?.email === email)));
  }, 60_000);

  it('stops gracefully and restarts on the same data with every user readable', async () => {
    const email = `restart-${randomUUID()}@example.com`;
    const created = await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123' } });
    expect(created.statusCode).toBe(200);
    const dataDir = svc.dataDir;
    await svc.stop();
    const again = await startTestService({ env: { ...env, IDSTREAM_API_KEY: svc.apiKey }, dataDir });
    try {
      expect((await again.client.retrieveUserByEmail(email)).response.user!.id).toBe(created.response.user!.id);
      expect((await again.client.login({ loginId: email, password: 'password-123' })).statusCode).toBe(200);
    } finally {
      await again.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
