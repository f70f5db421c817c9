/**
 * A real SMTP server on loopback that keeps every message it receives, parsed (smtp-server +
 * mailparser). Tests point the service's SMTP_HOST/SMTP_PORT at it.
 */
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface CapturedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: ParsedMail;
}

export interface SmtpCapture {
  host: string;
  port: number;
  messages: CapturedMail[];
  /** SMTP sessions opened so far (TCP connections accepted). */
  readonly connections: number;
  /** Closes every open connection from the server side, as a relay ending idle sessions does. */
  dropConnections(): void;
  /** Resolves with the first message (received before or after the call) that matches. */
  waitFor(match: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const waiters: { match: (mail: CapturedMail) => boolean; resolve: (mail: CapturedMail) => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
          const mail: CapturedMail = { to, subject: parsed.subject ?? '', text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '', raw: parsed };
          messages.push(mail);
          for (const waiter of [...waiters]) {
            if (waiter.match(mail)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.resolve(mail);
            }
          }
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // smtp-server re-emits a connection's socket errors on the server: a service killed in the middle
  // of a mail (the crash suites) resets its connection; that is the peer's doing, not a test failure.
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;
  let connections = 0;
  const open = new Set<Socket>();
  server.server.on('connection', (socket: Socket) => {
    connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  return {
    host: '127.0.0.1',
    port,
    messages,
    get connections() {
      return connections;
    },
    dropConnections() {
      for (const socket of open) socket.destroy();
    },
    waitFor(match, timeoutMs = 10_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (mail: CapturedMail) => { clearTimeout(timer); resolve(mail); } };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching email within ${timeoutMs} ms (received ${messages.length})`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The magic link and the code in a passwordless email. */
export function passwordlessLinkOf(mail: CapturedMail): { link: string; code: string } {
  const link = /https?:\/\/\S+\/passwordless\/link\?code=\S+/.exec(mail.text)?.[0];
  if (!link) throw new Error(`no magic link in: ${mail.text}`);
  return { link, code: new URL(link).searchParams.get('code')! };
}
