/** The magic link in passwordless emails; the code rides in the query string (not in logged paths). */
export const MAGIC_LINK_PATH = '/passwordless/link';

export function magicLinkUrl(baseUrl: string, code: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${MAGIC_LINK_PATH}?code=${encodeURIComponent(code)}`;
}
