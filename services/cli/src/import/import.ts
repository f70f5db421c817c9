/**
 * `idstream import <file>`: sends a FusionAuth import file of any size to a running service's
 * `POST /api/user/import` in batches, with a progress bar, resumable after an interruption.
 *
 * No duplicate, no gap: batch boundaries are fixed by `--batch-size`, users without an id get one
 * derived from the checkpoint's import id and their position in the file, and the checkpoint records
 * the batch in flight before it is sent. On resume the in-flight batch is looked up by its users'
 * ids: applied (the service answered but we died first) → acknowledged; absent → sent again. The
 * service writes a batch of ≤ 500 users in one atomic append, so "first and last user present"
 * means "whole batch present".
 */
import { createHash } from 'node:crypto';
import { progressReporter } from '../progress.js';
import { callService, type ServiceTarget } from '../service-client.js';
import { checkpointPath, openCheckpoint, saveCheckpoint, type ImportCheckpoint } from './checkpoint.js';
import { readImportFile, scanImportFile, type ImportOptions } from './import-file.js';

/** The service applies at most this many users in one atomic append (application/user-import.ts). */
export const MAX_BATCH_SIZE = 500;

export interface ImportSettings {
  batchSize: number;
  /** Flags override the file's root-level options. */
  options: ImportOptions;
  progress?: NodeJS.WriteStream;
}

export interface ImportReport {
  users: number;
  importedNow: number;
  batches: number;
  resumedFromBatch: number;
  checkpoint: string;
  /** The checkpoint said the file was imported completely; nothing was sent. */
  alreadyComplete?: boolean;
}

export class ImportRejectedError extends Error {
  override readonly name = 'ImportRejectedError';
}

export async function importFile(target: ServiceTarget, file: string, settings: ImportSettings): Promise<ImportReport> {
  const { checkpoint, resumed } = openCheckpoint(file, { batchSize: settings.batchSize, ...(target.tenantId && { tenantId: target.tenantId }) });
  const report: ImportReport = { users: checkpoint.importedUsers, importedNow: 0, batches: checkpoint.acknowledgedBatches, resumedFromBatch: resumed ? checkpoint.acknowledgedBatches : 0, checkpoint: checkpointPath(file) };
  if (checkpoint.completed) return { ...report, alreadyComplete: true };

  // 1. Count the users (for the bar and ETA) and read root options, which may follow the array.
  const scan = await scanImportFile(file);
  const options: ImportOptions = { ...scan.options, ...settings.options };
  saveCheckpoint(file, checkpoint);

  const progress = progressReporter(resumed ? 'import (resumed)' : 'import', settings.progress, { unit: 'users', initial: checkpoint.importedUsers });
  const skipUsers = checkpoint.acknowledgedBatches * checkpoint.batchSize;
  let index = 0;
  let batch: Record<string, unknown>[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const number = checkpoint.acknowledgedBatches;
    const sent = await sendBatch(target, file, checkpoint, number, batch, options);
    checkpoint.acknowledgedBatches = number + 1;
    checkpoint.importedUsers += batch.length;
    delete checkpoint.inFlightBatch;
    saveCheckpoint(file, checkpoint);
    if (sent) report.importedNow += batch.length;
    batch = [];
    progress(checkpoint.importedUsers, scan.users);
  };

  // 2. Stream the users; acknowledged batches are skipped without a request.
  await readImportFile(file, async (user) => {
    const position = index++;
    if (position < skipUsers) return;
    batch.push(withStableId(user, checkpoint.importId, position));
    if (batch.length === checkpoint.batchSize) await flush();
  });
  await flush();
  progress(checkpoint.importedUsers, scan.users);

  checkpoint.completed = true;
  saveCheckpoint(file, checkpoint);
  return { ...report, users: checkpoint.importedUsers, batches: checkpoint.acknowledgedBatches };
}

/** Sends one batch; false when it turned out the interrupted run's request had applied it already. */
async function sendBatch(target: ServiceTarget, file: string, checkpoint: ImportCheckpoint, number: number, users: Record<string, unknown>[], options: ImportOptions): Promise<boolean> {
  const withIds = users.filter((u) => u && typeof u === 'object' && typeof u.id === 'string');
  const ids = withIds.length === 0 ? [] : [...new Set([withIds[0]!.id as string, withIds[withIds.length - 1]!.id as string])];
  // A batch that was in flight when the previous run died may have been applied.
  const interrupted = checkpoint.inFlightBatch === number;
  if (interrupted && ids.length > 0 && (await batchPresence(target, ids, 0)) === 'all') return false;
  checkpoint.inFlightBatch = number;
  saveCheckpoint(file, checkpoint);

  const response = await callService(target, 'POST', '/api/user/import', { users, ...options });
  if (response.status === 200) return true;
  // The interrupted run's request may still have been running on the service when we resent it.
  if (interrupted && response.status === 400 && ids.length > 0 && (await batchPresence(target, ids, 5_000)) === 'all') return true;
  const offset = number * checkpoint.batchSize;
  throw new ImportRejectedError(`batch ${number + 1} (users ${offset}..${offset + users.length - 1} of the file) was rejected with ${response.status}:\n${describeErrors(response.body, offset) ?? response.text.slice(0, 2_000)}`);
}

/** Whether the users with these ids exist (polling up to `waitMs` for views to catch up). */
async function batchPresence(target: ServiceTarget, ids: string[], waitMs: number): Promise<'all' | 'none' | 'some'> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const found = await Promise.all(ids.map(async (id) => (await callService(target, 'GET', `/api/user/${encodeURIComponent(id.toLowerCase())}`)).status === 200));
    const state = found.every(Boolean) ? 'all' : found.some(Boolean) ? 'some' : 'none';
    if (state === 'all' || Date.now() >= deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Users keep their own id; others get one derived from the import id and their place in the file. */
function withStableId(user: unknown, importId: string, position: number): Record<string, unknown> {
  // Not an object: sent as it is, for the service to reject with its usual error.
  if (!user || typeof user !== 'object' || Array.isArray(user)) return user as Record<string, unknown>;
  const record = user as Record<string, unknown>;
  if (typeof record.id === 'string' && record.id !== '') return record;
  return { ...record, id: stableUuid(importId, position) };
}

export function stableUuid(importId: string, position: number): string {
  const bytes = createHash('sha256').update(`${importId}:${position}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // RFC 4122 name-based (version 5 layout)
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** FusionAuth's Errors JSON with `users[i]` renumbered to the user's index in the file. */
function describeErrors(body: unknown, offset: number): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const errors = body as { fieldErrors?: Record<string, { code: string; message: string }[]>; generalErrors?: { code: string; message: string }[] };
  const renumber = (text: string) => text.replace(/users\[(\d+)\]/g, (_m, i: string) => `users[${offset + Number(i)}]`);
  const lines: string[] = [];
  for (const [field, list] of Object.entries(errors.fieldErrors ?? {})) for (const e of list) lines.push(`  ${renumber(field)}: ${renumber(e.code)} ${renumber(e.message)}`);
  for (const e of errors.generalErrors ?? []) lines.push(`  ${e.code} ${e.message}`);
  return lines.length > 0 ? lines.join('\n') : undefined;
}
