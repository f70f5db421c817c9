import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, fold, passwordlessDecider, passwordlessStreamForDigest, type PasswordlessCommand, type PasswordlessEvent } from '../src/index.js';

const ids = { userId: 'u1', tenantId: 't1', applicationId: 'a1' };
const issue = (now: number, extra: Partial<Extract<PasswordlessCommand, { type: 'IssueCode' }>> = {}): PasswordlessCommand => ({
  type: 'IssueCode', ...ids, now, expiresAt: now + 180_000, sealedCode: 'sealed', ...extra,
});

function given(events: PasswordlessEvent[]) {
  const state = fold(passwordlessDecider, events);
  return { when: (command: PasswordlessCommand) => passwordlessDecider.decide(command, state) };
}

function run(commands: PasswordlessCommand[]): PasswordlessEvent[] {
  const events: PasswordlessEvent[] = [];
  for (const command of commands) events.push(...given(events).when(command));
  return events;
}

describe('passwordless code decider', () => {
  it('issues a code with the caller state, never the plaintext', () => {
    const [event] = given([]).when(issue(1000, { state: { a: 1 } }));
    expect(event).toEqual({ type: 'PasswordlessCodeIssued', data: { ...ids, instant: 1000, expiresAt: 181_000, sealedCode: 'sealed', state: { a: 1 } } });
  });

  it('legacy start+send issues and sends in one decision, pointing at the issuing revision', () => {
    const events = given([]).when(issue(1000, { send: { ipAddress: '10.0.0.1' } }));
    expect(events.map((e) => e.type)).toEqual(['PasswordlessCodeIssued', 'PasswordlessCodeSent']);
    expect(events[1]!.data).toMatchObject({ issuedRevision: 0, ipAddress: '10.0.0.1' });
  });

  it('consumes a usable code once; a second use, an expired code or an unknown code is not found', () => {
    const history = run([issue(1000), { type: 'ConsumeCode', now: 2000 }]);
    expect(history[1]).toMatchObject({ type: 'PasswordlessCodeConsumed', data: { ...ids, instant: 2000 } });
    expect(() => given(history).when({ type: 'ConsumeCode', now: 3000 })).toThrow(NotFoundError);
    expect(() => given(run([issue(1000)])).when({ type: 'ConsumeCode', now: 181_000 })).toThrow(NotFoundError);
    expect(() => given([]).when({ type: 'ConsumeCode', now: 1 })).toThrow(NotFoundError);
  });

  it('sends only a usable code, referencing the latest issue', () => {
    const history = run([issue(1000), { type: 'ConsumeCode', now: 2000 }, issue(3000)]);
    expect(given(history).when({ type: 'SendCode', now: 4000 })[0]).toMatchObject({ type: 'PasswordlessCodeSent', data: { issuedRevision: 2 } });
    expect(() => given(run([issue(1000)])).when({ type: 'SendCode', now: 999_999 })).toThrow(NotFoundError);
  });

  it('refuses to issue over a live code with the same value (a collision), but reuses a dead stream', () => {
    expect(() => given(run([issue(1000)])).when(issue(2000))).toThrow(ConflictError);
    expect(given(run([issue(1000)])).when(issue(200_000))[0]!.type).toBe('PasswordlessCodeIssued');
  });

  it('names the stream by a 64-hex-digit digest and refuses anything else (a code must never name a stream)', () => {
    const digest = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(passwordlessStreamForDigest(digest)).toBe(`passwordless-${digest}`);
    expect(() => passwordlessStreamForDigest('123456')).toThrow(RangeError);
  });
});
