/**
 * Time-ordered UUIDs (RFC 9562 version 7) for ids the store indexes, such as event ids of a bulk import.
 *
 * Why: the event store keeps a unique index on event ids. Random (v4) ids land on a random leaf of that
 * index each, so a 2,000-user import batch (6,000 events) dirties thousands of pages spread over the
 * whole index, each copied to the WAL at commit; ids that grow with time all land on the index's right
 * edge (measured in `bench/import-layers.ts`). They stay unguessable enough for ids that are not secrets:
 * 48 bits of milliseconds, a 26-bit counter that keeps ids of the same millisecond in order, 48 random bits.
 */
import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Random bytes drawn in blocks: one syscall per 1,365 ids instead of one per id. */
const pool = Buffer.alloc(8192);
let poolOffset = pool.length;
let lastMs = 0;
let counter = 0;

export function orderedUuid(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    // Same (or an earlier, after a clock step back) millisecond: count on; on overflow borrow the next one.
    ms = lastMs;
    counter += 1;
    if (counter > 0x3ffffff) {
      ms += 1;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;
  if (poolOffset + 6 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = pool.subarray(poolOffset, (poolOffset += 6));
  const high = Math.floor(ms / 0x10000);
  const bytes = [
    (high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, (ms >>> 8) & 0xff, ms & 0xff,
    // version 7 and the counter's top 12 bits (rand_a)
    0x70 | ((counter >>> 22) & 0x0f), (counter >>> 14) & 0xff,
    // variant 10 and the counter's low 14 bits, then 48 random bits (rand_b)
    0x80 | ((counter >>> 8) & 0x3f), counter & 0xff,
    r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!,
  ];
  const h = bytes.map((b) => HEX[b]!);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h.slice(10).join('')}`;
}
