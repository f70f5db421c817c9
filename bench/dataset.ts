/** Synthetic users: deterministic per index, so searches can target known users. */
import { createHash } from 'node:crypto';

export const FIRST = ['John', 'Mary', 'Alice', 'Bob', 'Piper', 'Dinesh', 'Gilfoyle', 'Monica', 'Richard', 'Jared', 'Erlich', 'Laurie'];
export const LAST = ['Smith', 'Jones', 'Hendricks', 'Chugtai', 'Bachman', 'Hall', 'Dunn', 'Bream', 'Belson', 'Gavin', 'Yang', 'Ruiz'];

/** A stable UUID-shaped id per run and index (v4 layout, hash-derived so ids are spread like random ones). */
export function userId(run: string, i: number): string {
  const h = createHash('sha1').update(`${run}:${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function benchUser(run: string, i: number) {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  return {
    id: userId(run, i),
    email: `${first}.${last}.${run}.${i}@bench.example.com`.toLowerCase(),
    username: `${first.toLowerCase()}-${run}-${i}`,
    firstName: first,
    lastName: last,
    fullName: `${first} ${last}`,
    data: { plan: i % 3 ? 'gold' : 'silver', score: i % 100 },
  };
}
