import type { estypes } from '@elastic/elasticsearch';

const RESERVED = /[+\-=&|!(){}[\]^"~:\\/]/g;

/**
 * FusionAuth's query-string pre-processing for the Elasticsearch engine: a string with `:` (or
 * spaces) is Elasticsearch syntax; one word with `@` searches `email`; any other word is `*word*`.
 * Unlike FusionAuth we escape reserved characters in the single word (an email with `+` stays one
 * term); `*` and `?` remain wildcards, and `<`/`>` (which cannot be escaped) are dropped.
 */
export function preprocessQueryString(queryString: string): estypes.QueryDslQueryContainer {
  const text = queryString.trim();
  if (text === '' || text === '*') return { match_all: {} };
  if (text.includes(':') || /\s/.test(text)) return { query_string: { query: text } };
  const escaped = text.replace(/[<>]/g, '').replace(RESERVED, (c) => `\\${c}`);
  return { query_string: { query: text.includes('@') ? `email:${escaped}` : `*${escaped}*` } };
}
