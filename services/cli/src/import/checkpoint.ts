/**
 * The import checkpoint: a small JSON file next to the import file recording which batches the
 * service acknowledged. It is replaced atomically (write, fsync, rename), so a kill at any instant
 * leaves either the previous or the next state, never a torn one.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';

export const CHECKPOINT_FORMAT = 'idstream-import-checkpoint/1';

export interface ImportCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  /** Identity of the import file: a changed file cannot be resumed. */
  size: number;
  mtimeMs: number;
  /** Seeds the ids given to users without one, so a resent batch carries the same ids. */
  importId: string;
  batchSize: number;
  tenantId?: string;
  /** Batches 0..acknowledgedBatches-1 were answered 200 by the service. */
  acknowledgedBatches: number;
  importedUsers: number;
  /** A batch sent but not yet answered: on resume, the service is asked whether it was applied. */
  inFlightBatch?: number;
  completed?: boolean;
}

export const checkpointPath = (importFile: string): string => `${importFile}.idstream-checkpoint.json`;

export class CheckpointMismatchError extends Error {
  override readonly name = 'CheckpointMismatchError';
}

/** Loads the checkpoint of `importFile`, or starts a new one; refuses to resume into a changed file. */
export function openCheckpoint(importFile: string, settings: { batchSize: number; tenantId?: string }): { checkpoint: ImportCheckpoint; resumed: boolean } {
  const stat = statSync(importFile);
  const path = checkpointPath(importFile);
  if (!existsSync(path)) {
    return {
      resumed: false,
      checkpoint: {
        format: CHECKPOINT_FORMAT,
        size: stat.size,
        mtimeMs: Math.trunc(stat.mtimeMs),
        importId: randomUUID(),
        batchSize: settings.batchSize,
        ...(settings.tenantId && { tenantId: settings.tenantId }),
        acknowledgedBatches: 0,
        importedUsers: 0,
      },
    };
  }
  const checkpoint = JSON.parse(readFileSync(path, 'utf8')) as ImportCheckpoint;
  const restart = `delete ${path} to import the file from the start`;
  if (checkpoint.format !== CHECKPOINT_FORMAT) throw new CheckpointMismatchError(`${path} is not an import checkpoint; ${restart}`);
  if (checkpoint.size !== stat.size || checkpoint.mtimeMs !== Math.trunc(stat.mtimeMs)) {
    throw new CheckpointMismatchError(`${importFile} changed since the interrupted import; ${restart}`);
  }
  if (checkpoint.batchSize !== settings.batchSize) {
    throw new CheckpointMismatchError(`the interrupted import used --batch-size ${checkpoint.batchSize}; resume with it or ${restart}`);
  }
  if ((checkpoint.tenantId ?? undefined) !== (settings.tenantId ?? undefined)) {
    throw new CheckpointMismatchError(`the interrupted import used another tenant (${checkpoint.tenantId ?? 'none'}); ${restart}`);
  }
  return { checkpoint, resumed: true };
}

export function saveCheckpoint(importFile: string, checkpoint: ImportCheckpoint): void {
  const path = checkpointPath(importFile);
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(checkpoint, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
