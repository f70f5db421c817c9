/**
 * What must hold after a crash and a restart, checked from outside: every acknowledged user is
 * there by id and by email, the read models equal a fresh rebuild from the event log, and every
 * webhook for an acknowledged event arrived (more than once only with the same event id).
 */
import { join } from 'node:path';
import { normaliseUnique } from '@idstream/domain';
import { openSqliteViewDatabase, type ViewDocument } from '@idstream/views';
import { openSqliteSearchIndex, type SearchIndex } from '@idstream/search';
import type { ReceivedRequest } from './webhook-receiver.js';
import { runCli } from './service-process.js';

export interface AcknowledgedUser {
  id: string;
  email: string;
}

/** Runs `task` over `items` with at most `concurrency` at a time. */
export async function pool<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  }));
}

/** Retrieves every user by id and by email over HTTP; returns the ones that did not come back right. */
export async function missingUsers(url: string, apiKey: string, users: AcknowledgedUser[]): Promise<{ byId: string[]; byEmail: string[] }> {
  const byId: string[] = [];
  const byEmail: string[] = [];
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`, { headers: { Authorization: apiKey } });
    return response.status === 200 ? ((await response.json()) as { user?: { id?: string; email?: string } }).user : (await response.arrayBuffer(), undefined);
  };
  // A few connections keep a 2-core machine busiest; more only queue inside the service.
  await pool(users, 6, async (user) => {
    const found = await get(`/api/user/${user.id}`);
    if (found?.email?.toLowerCase() !== user.email.toLowerCase()) byId.push(user.id);
    const byMail = await get(`/api/user?email=${encodeURIComponent(user.email)}`);
    if (byMail?.id !== user.id) byEmail.push(user.email);
  });
  return { byId, byEmail };
}

export interface RebuildComparison {
  liveCollection: string;
  rebuiltCollection: string;
  documents: number;
  /** Ids whose live document differs from the rebuilt one (or exists in only one). */
  viewMismatches: string[];
  searchVersions: [number, number];
  searchDocuments: number;
  searchMismatch: boolean;
  rebuildMs: number;
}

/**
 * With the service stopped: rebuilds the user views and the search index from the event log with
 * `idstream rebuild` into new versions, and compares them with the versions the live service built.
 */
export async function compareWithRebuild(dataDir: string): Promise<RebuildComparison> {
  const viewsPath = join(dataDir, 'views.db');
  const searchPath = join(dataDir, 'search.db');
  let db = await openSqliteViewDatabase({ path: viewsPath });
  const liveCollection = (await db.getAlias('users')) ?? 'users_v1';
  await db.close();
  let index = openSqliteSearchIndex({ path: searchPath });
  const liveVersion = (await index.currentVersion()) ?? 1;
  await index.close();

  const started = Date.now();
  await runCli(dataDir, ['rebuild', 'user-views']);
  await runCli(dataDir, ['rebuild', 'user-search']);
  const rebuildMs = Date.now() - started;

  db = await openSqliteViewDatabase({ path: viewsPath });
  const rebuiltCollection = (await db.getAlias('users'))!;
  const viewMismatches = await differingDocuments(await db.collection(liveCollection).list(), await db.collection(rebuiltCollection).list());
  const documents = await db.collection(rebuiltCollection).count();
  await db.close();

  index = openSqliteSearchIndex({ path: searchPath });
  const rebuiltVersion = (await index.currentVersion())!;
  const [live, rebuilt] = [await allSearchIds(await index.version(liveVersion)), await allSearchIds(await index.version(rebuiltVersion))];
  await index.close();
  return {
    liveCollection,
    rebuiltCollection,
    documents,
    viewMismatches,
    searchVersions: [liveVersion, rebuiltVersion],
    searchDocuments: rebuilt.length,
    searchMismatch: JSON.stringify(live) !== JSON.stringify(rebuilt),
    rebuildMs,
  };
}

/** Ids present in only one list, or whose documents differ (lists are ordered by id). */
export async function differingDocuments(a: ViewDocument<unknown>[], b: ViewDocument<unknown>[]): Promise<string[]> {
  const byId = new Map(b.map((doc) => [doc.id, JSON.stringify(doc)]));
  const differing: string[] = [];
  for (const doc of a) {
    if (byId.get(doc.id) !== JSON.stringify(doc)) differing.push(doc.id);
    byId.delete(doc.id);
  }
  return [...differing, ...byId.keys()];
}

/** Every id in a search index version, in a stable order (email, then id), with the totals. */
async function allSearchIds(index: SearchIndex): Promise<string[]> {
  const ids: string[] = [];
  let page = await index.search({ queryString: '*', sortFields: [{ name: 'email' }, { name: 'id' }], numberOfResults: 5_000, accurateTotal: true });
  ids.push(...page.ids);
  while (page.nextResults) {
    page = await index.search({ nextResults: page.nextResults, numberOfResults: 5_000 });
    ids.push(...page.ids);
  }
  return ids;
}

/**
 * Webhook deliveries of one event type, by subject user: which event ids each user's deliveries
 * carried. A user with more than one event id got two different events for one write.
 */
export function eventIdsByUser(received: ReceivedRequest[], type: string): Map<string, Set<string>> {
  const byUser = new Map<string, Set<string>>();
  for (const request of received) {
    const event = request.body?.event;
    if (event?.type !== type) continue;
    const users: { id: string }[] = event.users ?? (event.user ? [event.user] : []);
    for (const user of users) {
      if (!byUser.has(user.id)) byUser.set(user.id, new Set());
      byUser.get(user.id)!.add(event.id);
    }
  }
  return byUser;
}

/** Polls until `predicate` holds; returns how long it took. */
export async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

/**
 * With the service stopped: every user in the read models the service serves (the collection the
 * `users` alias names), by id and by email key, with the right email. A direct read for sizes where
 * two HTTP requests per user would dominate the test (100,000 users); an HTTP sample covers the API.
 */
export async function missingInViews(dataDir: string, users: AcknowledgedUser[]): Promise<{ byId: string[]; byEmail: string[] }> {
  const db = await openSqliteViewDatabase({ path: join(dataDir, 'views.db') });
  try {
    const collection = db.collection<{ user: { id: string; email?: string } }>((await db.getAlias('users')) ?? 'users_v1');
    const byId: string[] = [];
    const byEmail: string[] = [];
    for (let i = 0; i < users.length; i += 1_000) {
      const chunk = users.slice(i, i + 1_000);
      const found = new Map((await collection.getMany(chunk.map((u) => u.id))).map((doc) => [doc.id, doc]));
      for (const user of chunk) {
        const doc = found.get(user.id);
        if (doc?.body.user.email?.toLowerCase() !== user.email.toLowerCase()) {
          byId.push(user.id);
          continue;
        }
        // The key the by-email lookup uses (`email:<tenant>:<normalised email>`) leads back to this user.
        const key = `email:${doc.tenantId}:${normaliseUnique(user.email)}`;
        if ((await collection.findByKey(key))?.id !== user.id) byEmail.push(user.email);
      }
    }
    return { byId, byEmail };
  } finally {
    await db.close();
  }
}

/** With the service stopped: how many of `ids` the served read models hold (all-or-nothing checks). */
export async function presentInViews(dataDir: string, ids: string[]): Promise<number> {
  const db = await openSqliteViewDatabase({ path: join(dataDir, 'views.db') });
  try {
    const collection = db.collection((await db.getAlias('users')) ?? 'users_v1');
    let present = 0;
    for (let i = 0; i < ids.length; i += 1_000) present += (await collection.getMany(ids.slice(i, i + 1_000))).length;
    return present;
  } finally {
    await db.close();
  }
}
