import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the WAL of the embedded SQLite files from a thread of its own.
 *
 * Left to SQLite, the connection whose commit pushes a WAL past its autocheckpoint size copies the
 * WAL into the database and syncs it, inside that commit, on the event loop: every few hundred
 * writes one request (or one projection batch, which the requests behind it wait for) stalls for
 * the copy and the fsync. Here a PASSIVE checkpoint runs every `intervalMs` on another connection
 * in another thread, so the autocheckpoint that still guards each WAL (20,000 pages in the event
 * store, views and search) finds nothing left to copy. PASSIVE never waits for readers or writers;
 * what it cannot copy yet, the next round does.
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

/**
 * Once a second. A page written by many commits in a round (a table's last leaf, an index's hot
 * leaf, a checkpoint row) is copied and synced once per round, so a shorter round costs more: at
 * 100 ms the thread spent 0.29–0.42 ms per password login and 36–46 µs per imported user, against
 * 0.15–0.20 ms and 10–18 µs at 1 s (docs/benchmarks.md, session 11). An import grows a WAL by up to
 * ~49 MB in a second (measured), under the 80 MB autocheckpoint.
 */
const DEFAULT_INTERVAL_MS = 1_000;

export function startWalCheckpointer(paths: string[], options: { intervalMs?: number; onError?: (error: unknown) => void } = {}): WalCheckpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(SOURCE, { eval: true, workerData: { paths, intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS, driver }, name: 'idstream-wal-checkpointer' });
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
