/** A real HTTP receiver on loopback that records what it is sent. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: any;
  receivedAt: number;
}

export interface Reply {
  status?: number;
  delayMs?: number;
  hang?: boolean;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedRequest[];
  /**
   * Status to answer with (a function lets a test fail the first N deliveries). A {@link Reply}
   * can also delay the answer, or never answer (`hang`) to exercise timeouts.
   */
  respondWith(status: number | Reply | ((request: ReceivedRequest) => number | Reply)): void;
  waitFor(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** Listens on a free loopback port, or on `port` (a receiver that comes back after being down). */
export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  let responder: (request: ReceivedRequest) => number | Reply = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const request = { headers: req.headers, rawBody, body, receivedAt: Date.now() };
      received.push(request);
      const answer = responder(request);
      const reply: Reply = typeof answer === 'number' ? { status: answer } : answer;
      if (reply.hang) return;
      const send = () => {
        res.statusCode = reply.status ?? 200;
        res.end();
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/hook`,
    received,
    respondWith(status) {
      responder = typeof status === 'function' ? status : () => status;
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met in ${timeoutMs} ms (got ${received.length} requests)`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return received;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
