/**
 * The query a result link carries to its page (`?sgpt-highlight=`), for the highlight script
 * (./highlight) to mark there. One place owns the parameter's name and format.
 */
import { truncateUnits } from '../search/truncate';

export const HIGHLIGHT_PARAM = 'sgpt-highlight';

/**
 * Characters of a query the highlight script reads: a link may carry anything, and marking costs
 * the page's text times the query (a 54 KB value froze a 3,000-section page for 80 s).
 */
export const MAX_HIGHLIGHT_CHARS = 200;

/**
 * `href` (absolute) with the query added, the fragment kept last where it belongs; unchanged for
 * a page on disk (file:), where the highlight script, a module, cannot load.
 */
export function withHighlight(href: string, query: string): string {
  // A space after the last word stays: it closes the word, so the page marks that word only, as the
  // result list did, not every word it begins (the partly typed last word of search as you type).
  // Words that fill the limit may end in a cut word, which only a prefix can match: no space then.
  const words = query.trim();
  const text = /\s$/.test(query) && words.length < MAX_HIGHLIGHT_CHARS ? `${words} ` : truncateUnits(words, MAX_HIGHLIGHT_CHARS);
  const url = new URL(href);
  if (text.trim() === '' || url.protocol === 'file:') return href;
  url.searchParams.set(HIGHLIGHT_PARAM, text);
  return url.href;
}

/** The query a page's address carries (its first MAX_HIGHLIGHT_CHARS characters), or null. */
export function highlightQuery(search: string): string | null {
  const value = new URLSearchParams(search).get(HIGHLIGHT_PARAM);
  if (value === null) return null;
  const text = truncateUnits(value, MAX_HIGHLIGHT_CHARS);
  return text.trim() === '' ? null : text;
}
