/**
 * The SMTP server down: creates that send an email and logins answer as usual; the email jobs
 * retry, and every email is delivered once an SMTP server listens on the configured port again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { startTestService, type TestService } from '../support/harness.js';
import { waitUntil } from '../support/crash-invariants.js';

const OUTAGE_MS = 6_000;
const USERS = 8;

let svc: TestService;
let smtpPort: number;
let smtp: SMTPServer | undefined;
const delivered: string[] = [];

beforeAll(async () => {
  // Reserve a port and leave it closed: the SMTP server is "down" (connection refused).
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  smtpPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  svc = await startTestService({ env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort) } });
});

afterAll(async () => {
  await svc?.destroy();
  if (smtp) await new Promise<void>((resolve) => smtp!.close(() => resolve()));
});

describe('SMTP down', () => {
  it('emails are retried and delivered after the SMTP server comes back; logins and creates unaffected', async () => {
    const password = 'password-123';
    const loginUser = (await svc.client.createUser(null as unknown as string, { user: { email: `smtp-login-${randomUUID()}@example.com`, password } })).response.user!;
    const down = Date.now();
    const emails: string[] = [];
    const latencies: number[] = [];
    for (let i = 0; i < USERS; i++) {
      const email = `smtp-${i}-${randomUUID()}@example.com`;
      let t = Date.now();
      const created = await svc.client.createUser(null as unknown as string, { user: { email }, sendSetPasswordEmail: true } as never);
      latencies.push(Date.now() - t);
      expect(created.statusCode).toBe(200);
      emails.push(email);
      t = Date.now();
      expect((await svc.client.login({ loginId: loginUser.email!, password })).statusCode).toBe(200);
      latencies.push(Date.now() - t);
    }
    // Every request answered promptly although no email could be sent.
    expect(Math.max(...latencies)).toBeLessThan(2_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - down))));

    // The SMTP server comes back on the configured port.
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
            delivered.push(...to.flatMap((a) => a.value.map((v) => v.address ?? '')));
            callback();
          })
          .catch((error: Error) => callback(error));
      },
    });
    await new Promise<void>((resolve) => smtp!.listen(smtpPort, '127.0.0.1', () => resolve()));
    const back = Date.now();
    await waitUntil(() => emails.every((e) => delivered.includes(e)), 45_000, 'every setup-password email delivered');
    const recoveryMs = Date.now() - back;
    console.log(JSON.stringify({
      scenario: 'SMTP down',
      outageMs: back - down,
      emailsQueuedDuringOutage: emails.length,
      requestMaxMs: Math.max(...latencies),
      emailsDeliveredAfterSmtpReturnedMs: recoveryMs,
      messagesReceived: delivered.length,
    }));
  }, 90_000);
});
