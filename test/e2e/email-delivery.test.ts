/**
 * Email delivery over SMTP, across the worker's email queues (forgot password, passwordless): the
 * messages of a burst travel over a few kept-open connections shared by every queue, not one
 * connection each, and a relay that drops its open sessions costs no message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SMTP_CONNECTIONS } from '@idstream/worker';
import type { TestService } from '../support/harness.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';
import { waitUntil } from '../support/crash-invariants.js';
import { createPasswordlessApp, defaultTenantId, seedUser, startPasswordlessService } from '../support/passwordless-fixtures.js';

let svc: TestService;
let smtp: SmtpCapture;
let tenantId: string;
let appId: string;

beforeAll(async () => {
  smtp = await startSmtpCapture();
  svc = await startPasswordlessService(smtp);
  tenantId = await defaultTenantId(svc);
  appId = await createPasswordlessApp(svc);
});

afterAll(async () => {
  await svc?.destroy();
  await smtp?.close();
});

/** Each address received exactly one message. */
function expectOneEachTo(addresses: string[]): void {
  const received = smtp.messages.flatMap((m) => m.to);
  expect(addresses.filter((a) => received.filter((to) => to === a).length !== 1)).toEqual([]);
}

async function burst(count: number): Promise<string[]> {
  const users = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const email = `mail-${i}-${randomUUID()}@example.com`;
    await seedUser(svc, { tenantId, email, registeredTo: [appId] });
    return email;
  }));
  // Half reset their password, half ask for a passwordless link: two queues at once.
  await Promise.all(users.map(async (email, i) => {
    if (i % 2 === 0) {
      expect((await svc.client.forgotPassword({ loginId: email, sendForgotPasswordEmail: true })).statusCode).toBe(200);
    } else {
      const code = (await svc.client.startPasswordlessLogin({ applicationId: appId, loginId: email })).response.code!;
      expect((await svc.client.sendPasswordlessCode({ code })).statusCode).toBe(200);
    }
  }));
  await waitUntil(() => {
    const received = new Set(smtp.messages.flatMap((m) => m.to));
    return users.every((email) => received.has(email));
  }, 60_000, `an email to each of ${count} users`);
  return users;
}

describe('SMTP delivery', () => {
  it('sends a burst from two queues over the shared pool of connections, one message per request', async () => {
    const before = smtp.connections;
    const users = await burst(60);
    expectOneEachTo(users);
    const used = smtp.connections - before;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(SMTP_CONNECTIONS);
  });

  it('loses no message when the relay drops every open session between bursts', async () => {
    await burst(6);
    smtp.dropConnections();
    const users = await burst(20);
    expectOneEachTo(users);
  });
});
