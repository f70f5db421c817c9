import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TrigramCounts } from '../src/sqlite-trigram-counts.js';

describe('TrigramCounts', () => {
  // Of 40,000 rows: "aaa" in every one, "ccc" in every other one, "bbb" in 3,000, "ddd" in 100, "eee" in 10.
  const db = new Database(':memory:');
  db.exec(`CREATE VIRTUAL TABLE f USING fts5(terms, tokenize = 'trigram', detail = 'none', content = '', contentless_delete = 1);
           CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row');`);
  const insert = db.prepare('INSERT INTO f (rowid, terms) VALUES (?, ?)');
  const ROWS = 40_000;
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) {
      insert.run(i, ['aaa', i % 2 === 0 && 'ccc', i % 13 === 0 && i <= 39_000 && 'bbb', i % 400 === 0 && 'ddd', i % 4000 === 0 && 'eee'].filter(Boolean).join(' '));
    }
  })();
  const source = { version: 1, fts: 'f', vocab: 'v' };
  const counts = () => new TrigramCounts((sql) => db.prepare(sql));

  it('ranks trigrams by their counts: exact for rare ones, estimated from the head of the doclist for common ones', () => {
    expect(counts().rarest(source, ['aaa', 'ddd', 'ccc', 'bbb', 'eee'], () => ROWS)).toEqual([
      { term: 'eee', docs: 10 },
      { term: 'ddd', docs: 100 },
      { term: 'bbb', docs: 3_000 },
      { term: 'ccc', docs: 20_000 },
      { term: 'aaa', docs: 40_000 },
    ]);
  });

  it('answers from its cache for a minute', () => {
    const cached = counts();
    expect(cached.rarest(source, ['bbb', 'ddd'], () => ROWS)[0]).toEqual({ term: 'ddd', docs: 100 });
    db.prepare(`DELETE FROM f WHERE rowid <= 39_000 AND rowid % 400 = 0`).run();
    expect(cached.rarest(source, ['bbb', 'ddd'], () => ROWS)[0]).toEqual({ term: 'ddd', docs: 100 });
    expect(counts().rarest(source, ['bbb', 'ddd'], () => ROWS)[0]).toEqual({ term: 'ddd', docs: 3 });
  });
});
