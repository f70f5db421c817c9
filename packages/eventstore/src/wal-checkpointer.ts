import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL of the embedded SQLite files from a thread of its own.
 *
 * Left to SQLite, the connection whose commit pushes a WAL past its autocheckpoint size copies the
 * WAL into the database and syncs it, inside that commit, on the event loop: every few hundred
 * writes one request (or one projection batch, which the requests behind it wait for) stalls for
 * the copy and the fsync. Here a PASSIVE checkpoint runs every `intervalMs` on another connection
 * in another thread, so the WAL stays small and the autocheckpoint that still guards it finds
 * nothing left to copy. PASSIVE never waits for readers or writers; what it cannot copy yet, the
 * next round does.
 */
export interface WalCheckpointer {
  stop(): Promise<void>;
}

const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const open = (path) => {
  try {
    const db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 0');
    return db;
  } catch {
    return undefined;
  }
};
const dbs = new Map();
const round = () => {
  for (const path of workerData.paths) {
    let db = dbs.get(path);
    if (!db) {
      db = open(path);
      if (!db) continue;
      dbs.set(path, db);
    }
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy (another checkpoint, an erasure's TRUNCATE): the next round tries again.
    }
  }
};
const timer = setInterval(round, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  for (const db of dbs.values()) db.close();
  parentPort.close();
});
`;

export function startWalCheckpointer(paths: string[], options: { intervalMs?: number; onError?: (error: unknown) => void } = {}): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, { eval: true, workerData: { paths, intervalMs: options.intervalMs ?? 100, driver }, name: 'idstream-wal-checkpointer' });
  // Without the thread, SQLite's own autocheckpoint still keeps every WAL bounded: report, go on.
  worker.on('error', (error) => options.onError?.(error));
  // The thread must not keep a process alive that has nothing else to do.
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      // Referenced again while it stops: a caller awaiting this at top level (the CLI) must not see
      // its event loop run empty and the process end with the await unsettled (exit code 13).
      worker.ref();
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
