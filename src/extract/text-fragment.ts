/**
 * Links to a heading that has no id: a URL text fragment (`page.html#:~:text=Unpacking`, WICG's
 * scroll-to-text, in Chromium, Safari and Firefox) scrolls the browser to the heading's own text,
 * where the page top was all a link could give before. One place owns the form: a section's
 * anchor stores the directive decoded (`:~:text=` then the heading as extracted), anchorFragment
 * writes it into a URL, textDirective reads it back on the page.
 */

/** How an anchor that is a text directive begins (a fragment id never does: it would need `:~:` in an id). */
const TEXT_ANCHOR = ':~:text=';

/** Headings longer than this are found by their first and last words (a text range), so no URL carries a whole long heading. */
const WHOLE_TEXT_CHARS = 80;
/** Words at each end of such a range. */
const RANGE_WORDS = 4;

/**
 * The anchor of a section whose heading has no id: a text directive for the heading's text.
 *
 * @example
 * textAnchor('Unpacking') // ':~:text=Unpacking'
 */
export function textAnchor(heading: string): string {
  return `${TEXT_ANCHOR}${heading}`;
}

/** Whether an anchor is a text directive (textAnchor), not an element id. */
export function isTextAnchor(anchor: string): boolean {
  return anchor.startsWith(TEXT_ANCHOR);
}

/** A directive's text, percent-encoded as the syntax needs: `-`, `,` and `&` are its delimiters. */
function encodeText(text: string): string {
  return encodeURIComponent(text).replace(/-/g, '%2D');
}

/**
 * The fragment (with its `#`) that scrolls to a section's anchor; '' for none (the page's top).
 *
 * @example
 * anchorFragment('json.dumps')            // '#json.dumps'
 * anchorFragment(':~:text=Built-in Types') // '#:~:text=Built%2Din%20Types'
 * anchorFragment('')                      // ''
 */
export function anchorFragment(anchor: string): string {
  if (anchor === '') return '';
  if (!isTextAnchor(anchor)) return `#${encodeURIComponent(anchor)}`;
  const text = anchor.slice(TEXT_ANCHOR.length);
  const words = text.split(/\s+/).filter((word) => word !== '');
  if (text.length <= WHOLE_TEXT_CHARS || words.length <= 2 * RANGE_WORDS) return `#${TEXT_ANCHOR}${encodeText(text)}`;
  return `#${TEXT_ANCHOR}${encodeText(words.slice(0, RANGE_WORDS).join(' '))},${encodeText(words.slice(-RANGE_WORDS).join(' '))}`;
}

/**
 * The text a URL's first text directive starts at, decoded (its start, without a prefix), or null.
 * Browsers hide the directive from `location.hash`; a page reads its URL from its navigation entry.
 *
 * @example
 * textDirective('https://x/p.html#:~:text=Built%2Din%20Types') // 'Built-in Types'
 * textDirective('https://x/p.html#intro')                       // null
 */
export function textDirective(url: string): string | null {
  const at = url.indexOf('#');
  const directives = at < 0 ? '' : url.slice(at + 1).split(':~:')[1];
  if (directives === undefined) return null;
  for (const directive of directives.split('&')) {
    if (!directive.startsWith('text=')) continue;
    const parts = directive.slice('text='.length).split(',');
    const start = parts.find((part) => !part.endsWith('-')) ?? '';
    try {
      const text = decodeURIComponent(start).trim();
      if (text !== '') return text;
    } catch {
      // a cut %-escape: not a directive this page can follow
    }
  }
  return null;
}

/**
 * A URL as a result shows it: without its text directive, which is the heading the title already says.
 *
 * @example
 * shownUrl('/download.html#:~:text=Unpacking') // '/download.html'
 */
export function shownUrl(url: string): string {
  const at = url.indexOf('#:~:');
  return at < 0 ? url : url.slice(0, at);
}
