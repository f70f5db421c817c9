/**
 * Who holds a lease on the embedded job queue, named so that a process on the same machine can tell
 * the holder has died. A job whose worker was killed mid-try is otherwise delivered again only when
 * its lease runs out (30 s by default), and a webhook lane waits behind it all that time: a service
 * restarted after a crash sent nothing on that lane for ~27 s.
 *
 * The name is `<pid namespace>:<pid>:<start time>`. Every process sharing a SQLite file in WAL mode
 * runs on one machine (WAL needs shared memory), but not necessarily in one pid namespace (two
 * containers on one volume): a pid says something only inside its own namespace, so a holder in
 * another one is never judged and keeps its lease until it expires. The start time (clock ticks
 * since boot) tells a reused pid from the holder, and a restarted container's pid 1 from its
 * previous life. Where `/proc` is missing (not Linux) there is no name and leases simply expire.
 */
import { readFileSync, readlinkSync } from 'node:fs';

interface ProcessName {
  namespace: string;
  pid: number;
  startTicks: string;
}

/** State and start time of a process from `/proc/<pid>/stat`, or undefined when there is no such process. */
function statOf(pid: number | 'self'): { state: string; startTicks: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields that follow start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, startTicks: fields[19]! };
}

function currentName(): ProcessName | undefined {
  try {
    const namespace = readlinkSync('/proc/self/ns/pid');
    const own = statOf('self');
    return own ? { namespace, pid: process.pid, startTicks: own.startTicks } : undefined;
  } catch {
    return undefined;
  }
}

const self = currentName();

/** This process's lease owner name, or null where processes cannot be named (leases then only expire). */
export const currentLeaseOwner: string | null = self ? `${self.namespace}:${self.pid}:${self.startTicks}` : null;

/**
 * True only when `owner` certainly no longer runs: it is in this pid namespace and its pid is gone,
 * a zombie, or a later process's. Anything this process cannot judge counts as alive.
 */
export function leaseOwnerIsGone(owner: string): boolean {
  if (!self) return false;
  const match = /^(.+):(\d+):(\d+)$/.exec(owner);
  if (!match || match[1] !== self.namespace) return false;
  const stat = statOf(Number(match[2]));
  return stat === undefined || stat.state === 'Z' || stat.state === 'X' || stat.startTicks !== match[3];
}
