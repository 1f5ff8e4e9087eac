/**
 * The query a result link carries to its page (`?sgpt-highlight=`), for the highlight script
 * (./highlight) to mark there. One place owns the parameter's name and format.
 */
export const HIGHLIGHT_PARAM = 'sgpt-highlight';

/** `href` (absolute) with the query added, the fragment kept last where it belongs. */
export function withHighlight(href: string, query: string): string {
  const text = query.trim();
  if (text === '') return href;
  const url = new URL(href);
  url.searchParams.set(HIGHLIGHT_PARAM, text);
  return url.href;
}

/** The query a page's address carries, or null. */
export function highlightQuery(search: string): string | null {
  const value = new URLSearchParams(search).get(HIGHLIGHT_PARAM);
  return value === null || value.trim() === '' ? null : value;
}
