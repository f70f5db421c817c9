/**
 * The floor under a password login in Node on this machine: an HTTP server that does only what a
 * login cannot skip — parse the JSON body, verify the password with argon2id (Idstream's parameters,
 * on the libuv pool), append one event to a SQLite event store (WAL) and sign an ES256 JWT — and
 * nothing else (no routing, no API key, no user lookup, no projections). Started by
 * `bench/login-floor.ts`; prints `PORT <n>` once it listens.
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, hash, signJwt, verify } from '@idstream/crypto';
import { openSqliteEventStore } from '@idstream/eventstore';

const dir = mkdtempSync(join(tmpdir(), 'idstream-login-floor-'));
const stored = await hash('bench-password-1', { scheme: 'argon2id' });
const store = openSqliteEventStore({ path: join(dir, 'events.db') });
const key = await generateSigningKey('ES256', 'floor');

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { loginId: string; password: string };
      if (!(await verify(body.password, stored))) {
        res.writeHead(404).end();
        return;
      }
      const userId = randomUUID();
      await store.append(`login-${userId}`, [{ id: randomUUID(), type: 'LoginSucceeded', data: { userId, instant: Date.now() } }], 'any');
      const token = await signJwt(key, { sub: userId, email: body.loginId }, { expiresInSeconds: 3600 });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token, user: { id: userId, email: body.loginId } }));
    })().catch(() => res.writeHead(500).end());
  });
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as { port: number }).port}`));
process.on('SIGTERM', () => {
  server.close();
  void store.close().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
