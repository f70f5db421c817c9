import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '@idstream/eventstore';
import type { JobQueue, JobSpec } from '@idstream/jobs';
import { openSqliteViewDatabase } from '@idstream/views';
import { TWO_FACTOR_EMAIL_QUEUE, TwoFactorEmailReactor, type TwoFactorEmailJob } from '../src/two-factor-email.js';

const userId = '11111111-1111-4111-8111-111111111111';
const tenantId = '33333333-3333-4333-8333-333333333333';

function sent(position: number, extra: Record<string, unknown>): RecordedEvent {
  return {
    id: `e${position}`,
    type: 'TwoFactorCodeSent',
    data: { userId, tenantId, methodId: 'M1', codeHash: 'digest', sealedCode: 'sealed-code', expiresAt: 1, instant: 0, ...extra },
    metadata: {},
    streamName: 'twofactor-abc',
    revision: position,
    position,
    recordedAt: 0,
  };
}

describe('two-factor email reactor', () => {
  it('enqueues one job per email code, named by the event (never the code), and skips SMS codes', async () => {
    const db = openSqliteViewDatabase({ path: ':memory:' });
    const enqueued: JobSpec<TwoFactorEmailJob>[] = [];
    const jobs = { enqueue: async (specs: JobSpec<TwoFactorEmailJob>[]) => void enqueued.push(...specs) } as unknown as JobQueue;
    const reactor = new TwoFactorEmailReactor(db, jobs);
    await reactor.applyBatch([sent(1, { email: 'ada@example.com' }), sent(2, { mobilePhone: '+15555550100' }), { ...sent(3, {}), type: 'TwoFactorLoginStarted' }]);
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({ id: 'two-factor-email.e1', queue: TWO_FACTOR_EMAIL_QUEUE, payload: { streamName: 'twofactor-abc', revision: 1, userId, tenantId } });
    expect(JSON.stringify(enqueued)).not.toMatch(/sealed-code|digest|ada@example.com/);
    expect(await reactor.getCheckpoint()).toBe(3);
  });
});
