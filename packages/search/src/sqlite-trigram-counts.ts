import type { Statement } from 'better-sqlite3';
import { matchAll } from './sqlite-query.js';

/** The tables of an index version the counts are read from. */
export interface TrigramSource {
  version: number;
  fts: string;
  vocab: string;
}

/** Documents a trigram's density is estimated from: the first ones of its doclist. */
const HEAD = 64;
/**
 * A trigram estimated to be held by this many documents is not counted: fts5vocab reads a whole
 * doclist, tens of milliseconds for one in every email ("exa", "com", "@be"), hundreds for an email's
 * worth of them, where an estimate ranks it as well. Below it the exact count costs under a millisecond.
 */
const COMMON = 16_384;
const TTL_MS = 60_000;

/**
 * How many documents hold each trigram, to pick the rarest to drive a term search. Only their order
 * matters (and, for a common term, roughly the share of users it may match), so counts are cached
 * for a minute and common ones estimated; a wrong count can only pick a less selective trigram,
 * never a wrong result.
 */
export class TrigramCounts {
  private readonly counts = new Map<string, { docs: number; at: number }>();

  constructor(private readonly stmt: (sql: string) => Statement) {}

  /** The trigrams, rarest first, with their counts; `rows` is the largest rowid (documents and tombstones). */
  rarest(t: TrigramSource, trigrams: string[], rows: () => number): { term: string; docs: number }[] {
    let largest: number | undefined;
    const docs = (term: string) => this.docs(t, term, () => (largest ??= rows()));
    return trigrams.map((term) => ({ term, docs: docs(term) })).sort((a, b) => a.docs - b.docs);
  }

  private docs(t: TrigramSource, term: string, rows: () => number): number {
    const key = `${t.version}:${term}`;
    const now = Date.now();
    const cached = this.counts.get(key);
    if (cached && now - cached.at < TTL_MS) return cached.docs;
    const head = this.stmt(`SELECT count(*) AS n, max(rowid) AS last FROM (SELECT rowid FROM ${t.fts} WHERE ${t.fts} MATCH ? ORDER BY rowid LIMIT ${HEAD})`).get(
      matchAll([term]),
    ) as { n: number; last: number | null };
    let docs = head.n;
    if (head.n === HEAD) {
      const estimate = Math.round((HEAD * Math.max(rows(), head.last!)) / head.last!);
      docs = estimate >= COMMON ? estimate : ((this.stmt(`SELECT doc FROM ${t.vocab} WHERE term = ?`).pluck().get(term) as number | undefined) ?? 0);
    }
    if (this.counts.size >= 100_000) this.counts.clear();
    this.counts.set(key, { docs, at: now });
    return docs;
  }
}
