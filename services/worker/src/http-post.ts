/**
 * One HTTP POST with FusionAuth's two webhook timeouts: `connectTimeout` bounds the TCP (and TLS)
 * connection, `readTimeout` bounds each wait for the response once connected. `fetch` offers only
 * one overall deadline, so this uses node:http directly.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

export interface PostResult {
  status: number;
  latencyMs: number;
}

export class PostError extends Error {
  override readonly name = 'PostError';
  constructor(message: string, readonly latencyMs: number) {
    super(message);
  }
}

/** Resolves with the status once the response is fully read; rejects on network errors and timeouts. */
export function postJson(options: PostOptions): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(options.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostResult>((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      req.destroy();
      reject(new PostError(message, elapsed()));
    };
    const req = send(url, {
      method: 'POST',
      headers: { ...options.headers, 'Content-Length': Buffer.byteLength(options.body).toString() },
      // Every delivery opens its own connection: a stuck keep-alive socket of one endpoint must not leak into the next try.
      agent: false,
    });
    const connectTimer = setTimeout(() => fail(`connect timeout after ${options.connectTimeoutMs} ms`), options.connectTimeoutMs);
    req.on('socket', (socket) => {
      const connected = () => {
        clearTimeout(connectTimer);
        req.setTimeout(options.readTimeoutMs, () => fail(`read timeout after ${options.readTimeoutMs} ms`));
      };
      if (!socket.connecting) connected();
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });
    req.on('error', (error) => fail(error.message));
    req.on('response', (response: IncomingMessage) => {
      response.on('data', () => undefined);
      response.on('error', (error) => fail(error.message));
      response.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        resolve({ status: response.statusCode ?? 0, latencyMs: elapsed() });
      });
    });
    req.end(options.body);
  });
}
