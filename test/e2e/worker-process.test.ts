/**
 * The production worker process (`services/worker/src/main.ts`, the `worker` service of
 * docker-compose) beside an API process that runs no worker: the emails the API asks for are sent
 * by that process, over a real SMTP server, through jobs on a real Redis (a unique key prefix keeps
 * this run apart).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describeWithServer } from '@idstream/testkit';
import { startTestService, type TestService } from '../support/harness.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp-capture.js';

const workerMain = join(import.meta.dirname, '..', '..', 'services', 'worker', 'src', 'main.ts');

describeWithServer('the worker process', 'REDIS_URL', (redisUrl) => {
  let smtp: SmtpCapture;
  let svc: TestService;
  let worker: ChildProcess;
  let output = '';

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    const env = { REDIS_URL: redisUrl, REDIS_PREFIX: `idstream-e2e-${randomUUID().slice(0, 8)}`, SMTP_HOST: smtp.host, SMTP_PORT: String(smtp.port) };
    svc = await startTestService({ env: { ...env, IDSTREAM_ROLES: 'api,projector' } });
    worker = spawn(process.execPath, ['--import', 'tsx', workerMain], {
      env: { ...process.env, ...env, IDSTREAM_DATA_DIR: svc.dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    worker.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (!output.includes('worker running')) {
      if (worker.exitCode !== null || Date.now() > deadline) throw new Error(`the worker did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 90_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    await svc?.destroy();
    await smtp?.close();
  });

  it('sends the verification and forgot-password emails the API asks for', async () => {
    const email = `worker-${randomUUID()}@example.com`;
    const tenantId = (await svc.client.retrieveTenants()).response.tenants![0]!.id!;
    await svc.client.patchTenant(tenantId, { tenant: { emailConfiguration: { verifyEmail: true } } } as never);
    await svc.client.createUser(null as unknown as string, { user: { email, password: 'password-123' } });
    const verification = await smtp.waitFor((mail) => mail.to.includes(email) && mail.subject.includes('Verify'), 20_000);
    expect(verification.text).toMatch(/[A-Za-z0-9_-]{43}/);

    await svc.client.forgotPassword({ loginId: email, sendForgotPasswordEmail: true });
    const reset = await smtp.waitFor((mail) => mail.to.includes(email) && mail.subject.includes('Reset your password'), 20_000);
    expect(reset.text).toMatch(/[A-Za-z0-9_-]{43}/);
  });
});
