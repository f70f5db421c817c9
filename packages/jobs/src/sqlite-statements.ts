import type { Database as Db, Statement } from 'better-sqlite3';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS job_queue (
  seq          INTEGER PRIMARY KEY,
  queue        TEXT    NOT NULL,
  id           TEXT    NOT NULL,
  lane         TEXT,
  payload      TEXT    NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('waiting','active','delayed','completed','dead')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at       INTEGER NOT NULL,
  lease_until  INTEGER,
  lease_owner  TEXT,
  enqueued_at  INTEGER NOT NULL,
  age_from     INTEGER NOT NULL,
  max_age_ms   INTEGER,
  backoff      TEXT,
  last_error   TEXT,
  finished_at  INTEGER,
  UNIQUE (queue, id)
);
CREATE INDEX IF NOT EXISTS job_queue_due ON job_queue (queue, run_at)
  WHERE state IN ('waiting','delayed','active');
CREATE INDEX IF NOT EXISTS job_queue_lane_open ON job_queue (queue, lane, seq)
  WHERE lane IS NOT NULL AND state IN ('waiting','delayed','active');
CREATE INDEX IF NOT EXISTS job_queue_state ON job_queue (queue, state);
CREATE INDEX IF NOT EXISTS job_queue_finished ON job_queue (finished_at) WHERE finished_at IS NOT NULL;
`;

/** Files created before leases were named lack `lease_owner`; their leases, all unnamed, expire as before. */
export function migrate(db: Db): void {
  const hasOwner = () => (db.prepare(`SELECT name FROM pragma_table_info('job_queue')`).pluck().all() as string[]).includes('lease_owner');
  // Only an old file takes the write lock; another process may be adding the column at the same moment.
  if (hasOwner()) return;
  db.transaction(() => {
    if (!hasOwner()) db.exec('ALTER TABLE job_queue ADD COLUMN lease_owner TEXT');
  }).immediate();
}

/*
 * One statement picks and takes the job under BEGIN IMMEDIATE, so two connections (or processes)
 * can never both claim it. `attempts` doubles as the fencing token: every later write for this
 * try is conditional on it, so a worker whose lease was taken over cannot overwrite the new try.
 */
const CLAIM = `
UPDATE job_queue SET state = 'active', attempts = attempts + 1, lease_until = @leaseUntil, lease_owner = @owner
WHERE seq = (
  SELECT j.seq FROM job_queue j
  WHERE j.queue = @queue AND j.run_at <= @now
    AND j.state IN ('waiting','delayed','active')
    AND (j.state <> 'active' OR j.lease_until <= @now)
    AND (j.lane IS NULL OR NOT EXISTS (
      SELECT 1 FROM job_queue p
      WHERE p.queue = j.queue AND p.lane = j.lane AND p.seq < j.seq
        AND p.lane IS NOT NULL AND p.state IN ('waiting','delayed','active')))
  ORDER BY j.run_at, j.seq
  LIMIT 1)
RETURNING seq, id, queue, lane, payload, attempts, max_attempts, enqueued_at, age_from, max_age_ms, backoff`;

export interface ClaimedRow {
  seq: number;
  id: string;
  queue: string;
  lane: string | null;
  payload: string;
  attempts: number;
  max_attempts: number;
  enqueued_at: number;
  age_from: number;
  max_age_ms: number | null;
  backoff: string | null;
}

export interface Statements {
  insert: Statement;
  claim: Statement;
  renew: Statement;
  complete: Statement;
  delay: Statement;
  defer: Statement;
  kill: Statement;
  nextDue: Statement;
  counts: Statement;
  find: Statement;
  requeue: Statement;
  purge: Statement;
  leaseOwners: Statement;
  expireLeasesOf: Statement;
}

export function prepare(db: Db): Statements {
  return {
    insert: db.prepare(`INSERT OR IGNORE INTO job_queue
      (queue, id, lane, payload, state, max_attempts, run_at, enqueued_at, age_from, max_age_ms, backoff)
      VALUES (@queue, @id, @lane, @payload, @state, @maxAttempts, @runAt, @now, @now, @maxAgeMs, @backoff)`),
    claim: db.prepare(CLAIM),
    renew: db.prepare(`UPDATE job_queue SET lease_until = ? WHERE seq = ? AND state = 'active' AND attempts = ?`),
    complete: db.prepare(`UPDATE job_queue SET state = 'completed', lease_until = NULL, last_error = NULL, finished_at = ?
      WHERE seq = ? AND state = 'active' AND attempts = ?`),
    delay: db.prepare(`UPDATE job_queue SET state = 'delayed', lease_until = NULL, run_at = ?, last_error = ?
      WHERE seq = ? AND state = 'active' AND attempts = ?`),
    // A deferral hands the try back: the attempt counter drops to what it was before the claim.
    defer: db.prepare(`UPDATE job_queue SET state = 'delayed', lease_until = NULL, run_at = ?, attempts = attempts - 1
      WHERE seq = ? AND state = 'active' AND attempts = ?`),
    kill: db.prepare(`UPDATE job_queue SET state = 'dead', lease_until = NULL, last_error = ?, finished_at = ?
      WHERE seq = ? AND state = 'active' AND attempts = ?`),
    nextDue: db.prepare(`SELECT min(t) AS t FROM (
      SELECT min(run_at) AS t FROM job_queue WHERE queue = @queue AND state IN ('waiting','delayed') AND run_at > @now
      UNION ALL
      SELECT min(lease_until) FROM job_queue WHERE queue = @queue AND state = 'active' AND lease_until > @now)`),
    counts: db.prepare(`SELECT state, count(*) AS n FROM job_queue WHERE queue = ? GROUP BY state`),
    find: db.prepare(`SELECT state FROM job_queue WHERE queue = ? AND id = ?`),
    // A retried job rejoins its lane at the tail (new seq): jumping back to its old place could
    // put it next to a later job of its lane that is already running.
    requeue: db.prepare(`UPDATE job_queue SET state = 'waiting', attempts = 0, run_at = @now, age_from = @now,
        lease_until = NULL, finished_at = NULL, seq = (SELECT max(seq) + 1 FROM job_queue)
      WHERE queue = @queue AND id = @id AND state IN ('completed','dead')`),
    purge: db.prepare(`DELETE FROM job_queue WHERE finished_at IS NOT NULL AND finished_at < ?`),
    // Other processes' live leases on a queue (active jobs are few; the (queue, state) index finds them).
    leaseOwners: db.prepare(`SELECT DISTINCT lease_owner FROM job_queue
      WHERE queue = @queue AND state = 'active' AND lease_until > @now AND lease_owner IS NOT NULL AND lease_owner <> @owner`).pluck(),
    // The lease of a dead holder ends now: the claim takes the job as it takes an expired one (the lost try counts).
    expireLeasesOf: db.prepare(`UPDATE job_queue SET lease_until = @now
      WHERE queue = @queue AND state = 'active' AND lease_until > @now AND lease_owner = @owner`),
  };
}

