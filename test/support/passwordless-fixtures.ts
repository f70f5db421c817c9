/**
 * Fixtures for the passwordless suites: a service wired to an SMTP capture server with a known
 * public URL, applications with passwordless enabled, and users in states the public API cannot yet
 * produce (registered, deactivated), seeded as `UserCreated` events in the event store.
 */
import { createServer, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { startTestService, type TestService } from './harness.js';
import type { SmtpCapture } from './smtp-capture.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startPasswordlessService(smtp: SmtpCapture): Promise<TestService> {
  const port = await freePort();
  return startTestService({
    env: { PORT: String(port), IDSTREAM_PUBLIC_URL: `http://127.0.0.1:${port}`, SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port), SMTP_FROM: 'login@idstream.test' },
  });
}

export async function createPasswordlessApp(svc: TestService, options: { tenantId?: string; enabled?: boolean; redirectURLs?: string[]; verifyRegistration?: boolean } = {}): Promise<string> {
  const id = randomUUID();
  await svc.client.createApplication(id, {
    application: {
      name: `Passwordless ${id.slice(0, 8)}`,
      ...(options.tenantId && { tenantId: options.tenantId }),
      passwordlessConfiguration: { enabled: options.enabled ?? true },
      oauthConfiguration: { authorizedRedirectURLs: options.redirectURLs ?? [] },
      ...(options.verifyRegistration && { verifyRegistration: true }),
    },
  });
  return id;
}

export async function defaultTenantId(svc: TestService): Promise<string> {
  return (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
}

/** A user as the event store would hold it after a create and a registration. */
export async function seedUser(
  svc: TestService,
  input: { tenantId: string; email: string; active?: boolean; registeredTo?: string[]; registrationVerified?: boolean; extra?: Record<string, unknown> },
): Promise<string> {
  const id = randomUUID();
  const now = Date.now();
  const user = {
    id,
    tenantId: input.tenantId,
    email: input.email,
    active: input.active ?? true,
    verified: true,
    insertInstant: now,
    lastUpdateInstant: now,
    passwordChangeRequired: false,
    registrations: (input.registeredTo ?? []).map((applicationId) => ({ id: randomUUID(), applicationId, roles: ['member'], verified: input.registrationVerified ?? true, insertInstant: now })),
    ...input.extra,
  };
  const result = await svc.service.adapters.eventStore.append(`user-${id}`, [{ id: randomUUID(), type: 'UserCreated', data: { user } }], 'no_stream');
  await svc.service.context.waiters.users.waitFor(result.position);
  return id;
}
