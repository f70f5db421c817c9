/**
 * Checkpoints that only move forward past events a projection ignored are written behind, at most
 * once per interval, instead of one view-database transaction per batch and runner. A login (one
 * event) used to cost thirteen checkpoint transactions, eleven of which recorded "nothing to do
 * here" (measured: the largest self-time item of the projector thread, `sqliteTransaction`).
 *
 * Why it is safe: handlers are idempotent (ProjectionHandler), so a checkpoint that lags after a
 * crash only replays events that change nothing. Reads of a checkpoint in this process see the
 * pending value. Backward moves (a rebuild's reset to 0) and writes that carry documents go straight
 * through. Other processes that poll a checkpoint (API nodes without a projector) see an ignored
 * event's position up to one interval late; their writes' own events are applied, not ignored.
 */
import type { Checkpoint, ViewDatabase } from '@idstream/views';

export interface DeferredCheckpoints extends ViewDatabase {
  /** Writes every pending checkpoint now (on stop, so a restart resumes exactly at the head). */
  flush(): Promise<void>;
}

export function deferCheckpoints(db: ViewDatabase, intervalMs = 250): DeferredCheckpoints {
  const pending = new Map<string, number>();
  /** The last position read or written per checkpoint in this process. */
  const known = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = [...pending];
    pending.clear();
    // A failed flush loses nothing but time (a replay); the next one must still run.
    flushing = flushing.catch(() => undefined).then(async () => {
      for (const [name, position] of due) {
        // A document write may have stored a later position meanwhile: never move it back.
        const stored = await db.getCheckpoint(name);
        if (stored === undefined || stored < position) await db.setCheckpoint({ name, position });
      }
    });
    return flushing;
  };

  return new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'flush') return flush;
      if (property === 'getCheckpoint')
        return async (name: string) => {
          const waiting = pending.get(name);
          if (waiting !== undefined) return waiting;
          const stored = await target.getCheckpoint(name);
          if (stored !== undefined) known.set(name, stored);
          return stored;
        };
      if (property === 'setCheckpoint')
        return async (checkpoint: Checkpoint) => {
          const last = pending.get(checkpoint.name) ?? known.get(checkpoint.name);
          known.set(checkpoint.name, checkpoint.position);
          if (last === undefined || checkpoint.position < last) {
            pending.delete(checkpoint.name);
            return target.setCheckpoint(checkpoint);
          }
          pending.set(checkpoint.name, checkpoint.position);
          timer ??= setTimeout(() => void flush().catch(() => undefined), intervalMs);
          timer.unref?.();
        };
      if (property === 'close')
        return async () => {
          await flush();
          return target.close();
        };
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as DeferredCheckpoints;
}
