/**
 * Concurrent writes to one user, through the FusionAuth client over HTTP against the whole service:
 * whatever the interleaving, the user ends as exactly one request's complete write (never a mix of
 * two), every loser gets a clean FusionAuth error (or is serialised after the winner, as FusionAuth's
 * row locks would do), a change one request acknowledged is never undone by a stale concurrent write,
 * nothing answers 5xx, and the read models equal a rebuild from the event log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { FusionAuthClient } from '@fusionauth/typescript-client';
import { startTestService, type TestService } from '../support/harness.js';
import { compareWithRebuild } from '../support/crash-invariants.js';

/** Concurrent requests per race: enough to exhaust the command handler's five retries now and then. */
const WRITERS = 12;
/** Each race repeats on fresh users: one interleaving proves little. */
const ROUNDS = 4;

let svc: TestService;
let client: FusionAuthClient;
let applicationId: string;
/** Every status the races produced, by race: the figures, and the proof that none was a 5xx. */
const statuses: Record<string, Record<number, number>> = {};

interface Outcome<T> {
  status: number;
  response?: T;
  exception?: { fieldErrors?: Record<string, { code: string }[]>; generalErrors?: { code: string }[] };
}

/** Runs a client call and records its status under `race`, whether it succeeded or not. */
async function settle<T>(race: string, call: Promise<{ statusCode: number; response: T }>): Promise<Outcome<T>> {
  let outcome: Outcome<T>;
  try {
    const result = await call;
    outcome = { status: result.statusCode, response: result.response };
  } catch (error) {
    const failed = error as { statusCode?: number; exception?: Outcome<T>['exception'] };
    if (typeof failed.statusCode !== 'number') throw error;
    outcome = { status: failed.statusCode, ...(failed.exception && { exception: failed.exception }) };
  }
  const counts = (statuses[race] ??= {});
  counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
  return outcome;
}

/** A loser's answer: the concurrency conflict the service names, after its retries ran out. */
function isConflict(outcome: Outcome<unknown>): boolean {
  return outcome.status === 409 && outcome.exception?.generalErrors?.[0]?.code === '[ConcurrentModification]';
}

function fieldError(outcome: Outcome<unknown>, field: string): string | undefined {
  return outcome.exception?.fieldErrors?.[field]?.[0]?.code;
}

async function newUser(extra: Record<string, unknown> = {}): Promise<{ id: string; email: string }> {
  const email = `race-${randomUUID()}@example.com`;
  const created = await client.createUser(null as unknown as string, { user: { email, password: 'initial-password', encryptionScheme: 'salted-sha256', factor: 1, ...extra } as never });
  return { id: created.response.user!.id!, email };
}

beforeAll(async () => {
  svc = await startTestService();
  client = svc.client;
  applicationId = (await client.createApplication(null as unknown as string, { application: { name: `races-${randomUUID()}` } })).response.application!.id!;
});

afterAll(async () => {
  await svc?.destroy();
});

describe('concurrent replaces of one user', () => {
  it(`${WRITERS} PUTs and ${WRITERS} PATCHes with different values: the user is one request's whole write`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { id, email } = await newUser();
      const values = (i: number) => ({ firstName: `First-${i}`, lastName: `Last-${i}`, mobilePhone: `+1555000${String(i).padStart(4, '0')}`, data: { writer: i, nested: { a: i, b: `b-${i}` } } });
      const outcomes = await Promise.all(Array.from({ length: 2 * WRITERS }, (_, i) => i < WRITERS
        ? settle('PUT/PATCH one user', client.updateUser(id, { user: { email, ...values(i) } }))
        : settle('PUT/PATCH one user', client.patchUser(id, { user: values(i) }))));
      for (const outcome of outcomes) expect(outcome.status === 200 || isConflict(outcome), JSON.stringify(outcome)).toBe(true);
      const winners = outcomes.flatMap((o, i) => (o.status === 200 ? [i] : []));
      expect(winners.length).toBeGreaterThan(0);
      // Each acknowledged write answers with the user as it wrote it, whole.
      for (const i of winners) expect(outcomes[i]!.response).toMatchObject({ user: { id, email, ...values(i) } });

      const user = (await client.retrieveUser(id)).response.user!;
      const writer = (user.data as { writer: number }).writer;
      expect(winners).toContain(writer);
      expect(user).toMatchObject({ email, ...values(writer) });
      expect(user.data).toEqual(values(writer).data);
      // The password no request touched still works.
      expect((await client.login({ loginId: email, password: 'initial-password' })).statusCode).toBe(200);
    }
  });

  it('a PUT racing a registration add and a deactivation never undoes either', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const { id, email } = await newUser();
      const replaceFirst = () => settle('PUT racing registration add', client.updateUser(id, { user: { email, firstName: `Renamed-${round}` } }));
      const register = () => settle('PUT racing registration add', client.register(id, { registration: { applicationId, roles: [] } } as never));
      const [put, registered] = round % 2 === 0 ? await Promise.all([replaceFirst(), register()]) : (await Promise.all([register(), replaceFirst()])).reverse() as [Outcome<unknown>, Outcome<unknown>];
      expect(put.status === 200 || isConflict(put), JSON.stringify(put)).toBe(true);
      expect(registered.status, JSON.stringify(registered)).toBe(200);
      const user = (await client.retrieveUser(id)).response.user!;
      // The acknowledged registration survives the replace that read the user before it existed.
      expect(user.registrations?.map((r) => r.applicationId)).toEqual([applicationId]);
      expect((await client.retrieveRegistration(id, applicationId)).statusCode).toBe(200);
      if (put.status === 200) expect(user.firstName).toBe(`Renamed-${round}`);

      const deactivate = () => settle('PUT racing deactivate', client.deactivateUser(id));
      const replace = () => settle('PUT racing deactivate', client.updateUser(id, { user: { email, firstName: `Again-${round}` } }));
      const [deactivated, replaced] = round % 2 === 0 ? await Promise.all([deactivate(), replace()]) : (await Promise.all([replace(), deactivate()])).reverse() as [Outcome<unknown>, Outcome<unknown>];
      expect(deactivated.status).toBe(200);
      expect(replaced.status === 200 || isConflict(replaced), JSON.stringify(replaced)).toBe(true);
      // An acknowledged delete (soft) holds: a PUT that read the user while active does not revive it.
      expect((await client.retrieveUser(id)).response.user!.active).toBe(false);
    }
  });
});

describe('one-time ids and unique values under a race', () => {
  it(`${WRITERS} concurrent change-password calls with one changePasswordId: exactly one wins, its password and only its`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { email } = await newUser();
      const changePasswordId = (await client.forgotPassword({ loginId: email, sendForgotPasswordEmail: false })).response.changePasswordId!;
      const outcomes = await Promise.all(Array.from({ length: WRITERS }, (_, i) =>
        settle('change-password, one changePasswordId', client.changePassword(changePasswordId, { password: `new-password-${round}-${i}` }))));
      const winners = outcomes.flatMap((o, i) => (o.status === 200 ? [i] : []));
      expect(winners).toHaveLength(1);
      // FusionAuth answers a used (or replaced) changePasswordId with 404.
      expect(outcomes.filter((o) => o.status !== 200).every((o) => o.status === 404 || isConflict(o)), JSON.stringify(outcomes.map((o) => o.status))).toBe(true);
      const winner = winners[0]!;
      // The winner's password logs in; two losers' and the old one do not (three failures stay
      // under the tenant's failed-login lock).
      expect((await settle('login after the race', client.login({ loginId: email, password: `new-password-${round}-${winner}` }))).status).toBe(200);
      for (const loser of [(winner + 1) % WRITERS, (winner + WRITERS - 1) % WRITERS]) {
        expect((await settle('login after the race', client.login({ loginId: email, password: `new-password-${round}-${loser}` }))).status, `loser ${loser}`).toBe(404);
      }
      expect((await settle('login after the race', client.login({ loginId: email, password: 'initial-password' }))).status).toBe(404);
      // The id is spent for good.
      expect((await settle('change-password, one changePasswordId', client.changePassword(changePasswordId, { password: 'too-late-password' }))).status).toBe(404);
    }
  });

  it(`${WRITERS} concurrent registration adds for one application: one 200, the others [duplicate]registration.applicationId`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { id } = await newUser();
      const outcomes = await Promise.all(Array.from({ length: WRITERS }, (_, i) =>
        settle('registration add, one application', client.register(id, { registration: { applicationId, roles: [], username: `reg-${round}-${i}-${randomUUID().slice(0, 8)}`, data: { writer: i } } } as never))));
      const winners = outcomes.flatMap((o, i) => (o.status === 200 ? [i] : []));
      const losers = outcomes.filter((o) => o.status !== 200);
      expect(winners).toHaveLength(1);
      expect(losers.every((o) => (o.status === 400 && fieldError(o, 'registration.applicationId') === '[duplicate]registration.applicationId') || isConflict(o)), JSON.stringify(losers)).toBe(true);
      const registration = (await client.retrieveRegistration(id, applicationId)).response.registration!;
      expect(registration.data).toEqual({ writer: winners[0] });
      expect((await client.retrieveUser(id)).response.user!.registrations).toHaveLength(1);
    }
  });

  it('two users racing to one new username, many requests each: one owner, the others [duplicate]user.username', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const [a, b] = [await newUser({ username: `a-${randomUUID()}` }), await newUser({ username: `b-${randomUUID()}` })];
      const before = new Map([[a.id, (await client.retrieveUser(a.id)).response.user!.username], [b.id, (await client.retrieveUser(b.id)).response.user!.username]]);
      const wanted = `wanted-${randomUUID()}`;
      const attempts = Array.from({ length: WRITERS }, (_, i) => (i % 2 === 0 ? a : b));
      const outcomes = await Promise.all(attempts.map((user, i) =>
        settle('username change, two users one name', i % 4 < 2 ? client.patchUser(user.id, { user: { username: i % 3 === 0 ? wanted.toUpperCase() : wanted } }) : client.updateUser(user.id, { user: { email: user.email, username: wanted } }))));
      const winners = new Set(attempts.filter((_, i) => outcomes[i]!.status === 200).map((u) => u.id));
      expect(winners.size).toBe(1);
      const [owner] = [...winners];
      for (const [i, outcome] of outcomes.entries()) {
        if (attempts[i]!.id === owner) expect(outcome.status === 200 || isConflict(outcome), JSON.stringify(outcome)).toBe(true);
        else expect((outcome.status === 400 && fieldError(outcome, 'user.username') === '[duplicate]user.username') || isConflict(outcome), JSON.stringify(outcome)).toBe(true);
      }
      expect((await client.retrieveUserByUsername(wanted)).response.user!.id).toBe(owner);
      const other = owner === a.id ? b : a;
      expect((await client.retrieveUser(other.id)).response.user!.username).toBe(before.get(other.id));
      // The loser's old name is still its own; the winner's old name is free for anyone.
      expect((await client.retrieveUserByUsername(before.get(other.id)!)).response.user!.id).toBe(other.id);
      const taken = await newUser({ username: before.get(owner!)! });
      expect((await client.retrieveUserByUsername(before.get(owner!)!)).response.user!.id).toBe(taken.id);
    }
  });
});

describe('update racing delete', () => {
  it('a PATCH racing a hard delete: the user is gone for good, the PATCH 200 before it or 404 after it', async () => {
    for (let round = 0; round < ROUNDS * 2; round++) {
      const { id, email } = await newUser();
      // Either request sent first, alternately: both orders of arrival happen.
      const patch = () => settle('PATCH racing hard delete', client.patchUser(id, { user: { firstName: `Late-${round}` } }));
      const erase = () => settle('PATCH racing hard delete', client.deleteUserWithRequest(id, { hardDelete: true } as never));
      const [patched, deleted] = round % 2 === 0 ? await Promise.all([patch(), erase()]) : (await Promise.all([erase(), patch()])).reverse() as [Outcome<unknown>, Outcome<unknown>];
      expect(deleted.status).toBe(200);
      expect([200, 404].includes(patched.status) || isConflict(patched), JSON.stringify(patched)).toBe(true);
      expect((await settle('reads after delete', client.retrieveUser(id))).status).toBe(404);
      expect((await settle('reads after delete', client.retrieveUserByEmail(email))).status).toBe(404);
      // The email is free again: nothing of the user was left holding it.
      expect((await client.createUser(null as unknown as string, { user: { email, password: 'another-password' } })).statusCode).toBe(200);
    }
  });
});

describe('after the races', () => {
  it('the read models equal a rebuild from the event log; no request answered 5xx', async () => {
    const all = Object.values(statuses).flatMap((byStatus) => Object.entries(byStatus));
    expect(all.filter(([status]) => Number(status) >= 500)).toEqual([]);
    await svc.stop();
    const comparison = await compareWithRebuild(svc.dataDir);
    expect(comparison.viewMismatches, `first differing ids: ${comparison.viewMismatches.slice(0, 5).join(', ')}`).toEqual([]);
    expect(comparison.searchMismatch).toBe(false);
    console.log(JSON.stringify({ scenario: 'races on one user', statuses, requests: all.reduce((sum, [, n]) => sum + n, 0), viewDocumentsCompared: comparison.documents, searchDocumentsCompared: comparison.searchDocuments }));
  }, 120_000);
});
