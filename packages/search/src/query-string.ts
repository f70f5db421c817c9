import { SearchQueryError } from './port.js';

/** An Elasticsearch DSL clause, as JSON. */
export type Dsl = Record<string, unknown>;

/**
 * Internal clause for an unqualified term: the "database" engine's one-term search over the
 * name/email/username fields. Only the SQLite translator understands it.
 */
export const DB_TERM = '__database_term';

type Token = { kind: 'word' | 'phrase' | 'op' | 'open' | 'close' | 'not'; text: string };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(') { tokens.push({ kind: 'open', text: c }); i++; continue; }
    if (c === ')') { tokens.push({ kind: 'close', text: c }); i++; continue; }
    if (input.startsWith('&&', i) || input.startsWith('||', i)) {
      tokens.push({ kind: 'op', text: input[i] === '&' ? 'AND' : 'OR' }); i += 2; continue;
    }
    if ((c === '!' || c === '-') && i + 1 < input.length && !/\s/.test(input[i + 1]!)) {
      tokens.push({ kind: 'not', text: c }); i++; continue;
    }
    if (c === '+') { i++; continue; }
    let word = '';
    while (i < input.length && !/[\s()]/.test(input[i]!)) {
      const ch = input[i]!;
      if (ch === '\\' && i + 1 < input.length) { word += input[i + 1]; i += 2; continue; }
      if (ch === '"') {
        const end = input.indexOf('"', i + 1);
        if (end < 0) throw new SearchQueryError('Unterminated quote in query string', 'search.queryString');
        word += `\u0000${input.slice(i + 1, end)}`;
        i = end + 1;
        continue;
      }
      word += ch; i++;
    }
    if (word === 'AND' || word === 'OR') tokens.push({ kind: 'op', text: word });
    else if (word === 'NOT') tokens.push({ kind: 'not', text: word });
    else tokens.push({ kind: word.includes('\u0000') ? 'phrase' : 'word', text: word.replace('\u0000', '') });
  }
  return tokens;
}

function clauseFor(token: Token): Dsl {
  const colon = token.kind === 'word' || token.kind === 'phrase' ? token.text.indexOf(':') : -1;
  if (colon <= 0) {
    if (token.kind === 'phrase') return { [DB_TERM]: token.text };
    return token.text === '*' ? { match_all: {} } : { [DB_TERM]: token.text };
  }
  const field = token.text.slice(0, colon);
  const value = token.text.slice(colon + 1);
  if (field === '_exists_') return { exists: { field: value } };
  if (value === '') throw new SearchQueryError(`Missing value for field ${field}`, 'search.queryString');
  if (token.kind === 'phrase') return { match_phrase: { [field]: value } };
  if (/^[[{/<>]/.test(value)) {
    throw new SearchQueryError(`Ranges and regular expressions are not supported by the database search engine: ${token.text}`, 'search.queryString');
  }
  if (value === '*') return { exists: { field } };
  if (/[*?]/.test(value)) return { wildcard: { [field]: { value } } };
  return { match: { [field]: value } };
}

/**
 * Parses the subset of Elasticsearch query-string syntax the embedded engine supports:
 * `field:value`, `field:"phrase"`, `field:jo*`, `_exists_:field`, bare terms, `AND`/`OR`/`NOT`
 * (and `&&`, `||`, `!`, `-`), parentheses; adjacent clauses are OR-ed as in Elasticsearch.
 */
export function parseQueryString(input: string): Dsl {
  const tokens = tokenize(input);
  let pos = 0;
  const parseOr = (): Dsl => {
    const parts = [parseAnd()];
    while (pos < tokens.length && tokens[pos]!.kind !== 'close') {
      if (tokens[pos]!.kind === 'op' && tokens[pos]!.text === 'OR') pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : { bool: { should: parts } };
  };
  const parseAnd = (): Dsl => {
    const parts = [parseUnary()];
    while (pos < tokens.length && tokens[pos]!.kind === 'op' && tokens[pos]!.text === 'AND') {
      pos++;
      parts.push(parseUnary());
    }
    return parts.length === 1 ? parts[0]! : { bool: { must: parts } };
  };
  const parseUnary = (): Dsl => {
    const token = tokens[pos++];
    if (!token) throw new SearchQueryError('Incomplete query string', 'search.queryString');
    if (token.kind === 'not') return { bool: { must_not: [parseUnary()] } };
    if (token.kind === 'open') {
      const inner = parseOr();
      if (tokens[pos++]?.kind !== 'close') throw new SearchQueryError('Unbalanced parentheses in query string', 'search.queryString');
      return inner;
    }
    if (token.kind === 'word' || token.kind === 'phrase') return clauseFor(token);
    throw new SearchQueryError(`Unexpected '${token.text}' in query string`, 'search.queryString');
  };
  if (tokens.length === 0) return { match_all: {} };
  const result = parseOr();
  if (pos < tokens.length) throw new SearchQueryError('Unbalanced parentheses in query string', 'search.queryString');
  return result;
}
