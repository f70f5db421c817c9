/**
 * The passwordless part of a user's history: the events of the user's code streams (issued, sent,
 * email delivered or failed, consumed). Code streams are named by a digest of the code, so they are
 * found through the index the passwordless erasure reactor keeps (eventually consistent).
 */
import type { RecordedEvent } from '@idstream/eventstore';
import { readChunkedIds } from '@idstream/views';
import type { AppContext } from './context.js';

export async function passwordlessHistoryEvents(ctx: AppContext, userId: string): Promise<RecordedEvent[]> {
  const index = await ctx.readModels.passwordlessCodes.get(userId);
  if (!index || index.body.erased) return [];
  // The user's document holds only the latest code streams; sealed chunks hold the older ones.
  const names = await readChunkedIds(ctx.readModels.passwordlessCodes, 'streams', index);
  const streams = await Promise.all(names.map((stream) => ctx.eventStore.readStream(stream)));
  // A reused stream (a short code drawn again) may hold another user's earlier generation.
  return streams.flat().filter((event) => (event.data as { userId?: string } | undefined)?.userId === userId);
}
