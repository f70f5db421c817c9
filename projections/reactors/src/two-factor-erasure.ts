/**
 * Hard delete reaches two-factor logins: pending logins (`twofactor-<digest>`, holding the request's
 * IP address, device and `state`) and trusted computers (`twofactortrust-<digest>`).
 */
import { parseStreamName } from '@idstream/domain';
import type { EventStore } from '@idstream/eventstore';
import type { ViewDatabase } from '@idstream/views';
import { StreamErasureReactor, type UserStreamsBody } from './stream-erasure.js';

export const TWO_FACTOR_STREAMS_COLLECTION = 'two_factor_streams_by_user';
export type TwoFactorStreamsBody = UserStreamsBody;

function isTwoFactorStream(streamName: string): boolean {
  const parsed = parseStreamName(streamName);
  return parsed?.kind === 'entity' && (parsed.category === 'twofactor' || parsed.category === 'twofactortrust');
}

export class TwoFactorErasureReactor extends StreamErasureReactor {
  constructor(db: ViewDatabase, eventStore: Pick<EventStore, 'deleteStream'>) {
    super('two-factor-erasure', TWO_FACTOR_STREAMS_COLLECTION, isTwoFactorStream, db, eventStore);
  }
}
