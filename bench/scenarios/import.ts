/**
 * Scenario 4: import of pre-hashed users. Through `POST /api/user/import` when the service has that
 * route; otherwise through the platform path the import use case takes (one atomic multi-stream append
 * per 500 users: `UserImported` + email/username reservations), appended from this process into the
 * service's event store, with the service's own projector applying it. Either way the clock stops
 * when the last user is readable by id (user view) and, separately, searchable.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { hash, type StoredPassword } from '@idstream/crypto';
import { reservationStream, userStream } from '@idstream/domain';
import { openKurrentDbEventStore, openSqliteEventStore, type AppendRequest, type EventStore } from '@idstream/eventstore';
import { benchUser } from '../dataset.js';
import { api, DEFAULT_TENANT_ID, memoryOf, type RunningService } from '../service.js';
import { progress } from '../stats.js';
import type { Searchability } from '../searchability.js';

const BATCH = 500;

export interface ImportResult {
  path: 'http' | 'platform';
  users: number;
  /** Appended / accepted by the API. */
  writeSeconds: number;
  /** Until the last user is readable by id. */
  viewSeconds: number;
  /** Until the last user is searchable. */
  searchSeconds: number;
  peakRssMiB: number;
}

export async function hasImportRoute(url: string): Promise<boolean> {
  const probe = await api(url, 'POST', '/api/user/import', { users: [] });
  return probe.status === 400;
}

let storedPassword: StoredPassword | undefined;

function importedUser(run: string, i: number, now: number) {
  const u = benchUser(run, i);
  return { ...u, tenantId: DEFAULT_TENANT_ID, active: true, verified: true, verifiedInstant: now, insertInstant: now - i, lastUpdateInstant: now, passwordChangeRequired: false, passwordLastUpdateInstant: now, registrations: [] };
}

export async function openBenchEventStore(dataDir: string): Promise<EventStore> {
  return process.env.KURRENTDB_URL
    ? openKurrentDbEventStore({ connectionString: process.env.KURRENTDB_URL })
    : openSqliteEventStore({ path: join(dataDir, 'events.db') });
}

/** Imports users [from, to) of `run`, returning when they are readable and searchable. */
export async function importUsers(service: RunningService, dataDir: string, run: string, from: number, to: number, searchable: Searchability, useHttp: boolean): Promise<ImportResult> {
  storedPassword ??= await hash('bench-password-1', { scheme: 'salted-sha256', factor: 1 });
  const password = storedPassword;
  const now = Date.now();
  const started = performance.now();
  let lastLog = started;
  const report = (done: number) => {
    if (performance.now() - lastLog < 5000) return;
    lastLog = performance.now();
    progress(`import ${run}: ${done - from}/${to - from} written, ${((done - from) / ((lastLog - started) / 1000)).toFixed(0)} users/s, service RSS ${memoryOf(service.pid).rssMiB.toFixed(0)} MiB`);
  };
  if (useHttp) {
    for (let start = from; start < to; start += BATCH) {
      const users = Array.from({ length: Math.min(BATCH, to - start) }, (_, k) => {
        const u = importedUser(run, start + k, now);
        return { id: u.id, email: u.email, username: u.username, firstName: u.firstName, lastName: u.lastName, fullName: u.fullName, data: u.data, insertInstant: u.insertInstant, verified: true, password: password.hash, salt: password.salt, encryptionScheme: password.encryptionScheme, factor: password.factor };
      });
      const res = await api(service.url, 'POST', '/api/user/import', { users });
      if (res.status !== 200) throw new Error(`import failed: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
      report(start + users.length);
    }
  } else {
    const store = await openBenchEventStore(dataDir);
    const importId = randomUUID();
    try {
      for (let start = from; start < to; start += BATCH) {
        const requests: AppendRequest[] = [];
        for (let i = start; i < Math.min(to, start + BATCH); i++) {
          const user = importedUser(run, i, now);
          requests.push({ streamName: userStream(user.id), expectedRevision: 'no_stream', events: [{ id: randomUUID(), type: 'UserImported', data: { user, importId, password } }] });
          for (const field of ['email', 'username'] as const) {
            requests.push({ streamName: reservationStream(DEFAULT_TENANT_ID, field, user[field]), expectedRevision: 'no_stream', events: [{ id: randomUUID(), type: 'UniqueValueReserved', data: { ownerId: user.id, field } }] });
          }
        }
        await store.appendMultiple(requests);
        report(Math.min(to, start + BATCH));
      }
    } finally {
      await store.close();
    }
  }
  const writeSeconds = (performance.now() - started) / 1000;
  const last = benchUser(run, to - 1);
  while ((await api(service.url, 'GET', `/api/user/${last.id}`)).status !== 200) await sleep(20);
  const viewSeconds = (performance.now() - started) / 1000;
  while (!(await searchable.hasEmail(last.email))) await sleep(20);
  const searchSeconds = (performance.now() - started) / 1000;
  return { path: useHttp ? 'http' : 'platform', users: to - from, writeSeconds, viewSeconds, searchSeconds, peakRssMiB: memoryOf(service.pid).peakMiB };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
