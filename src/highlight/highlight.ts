/**
 * Highlight on arrival: on a page opened from a search result (its address carries
 * `?sgpt-highlight=`), mark the query's words in the page's text as the result list marked them
 * (same analyzer: stemmed, stop words dropped, in the page's `lang`) and scroll to the first mark
 * in the linked section.
 * Nothing happens on a page without the parameter. Text only: the page's markup is never parsed.
 */
import { textDirective } from '../extract/text-fragment';
import type { AnalyzerOptions } from '../search/analyzer';
import { highlightRanges } from '../search/excerpt';
import { language, languageCode, loadLanguages } from '../search/languages';
import { highlightQuery } from './link';

/** Elements whose text is not prose the reader reads (or must not be changed). */
const SKIP = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEXTAREA', 'INPUT', 'SELECT', 'OPTION', 'TEMPLATE', 'MARK', 'SVG', 'CANVAS', 'IFRAME', 'SGPT-SEARCH']);

function textNodes(root: Element): Text[] {
  const walker = root.ownerDocument.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let parent = node.parentElement; parent !== null && parent !== root.parentElement; parent = parent.parentElement) {
        if (SKIP.has(parent.tagName.toUpperCase())) return NodeFilter.FILTER_REJECT;
      }
      return node.nodeValue?.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
    },
  });
  const nodes: Text[] = [];
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) nodes.push(node as Text);
  return nodes;
}

/** Wrap the query's words under `root` in <mark class="sgpt-highlight">; returns the marks in document order. */
export function markQuery(root: Element, query: string, analyzer: AnalyzerOptions = {}): HTMLElement[] {
  const marks: HTMLElement[] = [];
  for (const node of textNodes(root)) {
    const ranges = highlightRanges(node.data, query, [], analyzer);
    // Right to left, so the earlier offsets stay valid while the node is split.
    const made: HTMLElement[] = [];
    for (let i = ranges.length - 1; i >= 0; i--) {
      const [start, end] = ranges[i]!;
      const word = node.splitText(start);
      word.splitText(end - start);
      const mark = root.ownerDocument.createElement('mark');
      mark.className = 'sgpt-highlight';
      word.replaceWith(mark);
      mark.append(word);
      made.unshift(mark);
    }
    marks.push(...made);
  }
  return marks;
}

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * The heading a text directive names (src/extract/text-fragment: a link to a heading with no id):
 * the first whose text begins with it, as the browser's own scroll found it.
 */
function headingOf(text: string, doc: Document): Element | null {
  const wanted = collapse(text).toLowerCase();
  for (const heading of doc.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    if (collapse(heading.textContent ?? '').toLowerCase().startsWith(wanted)) return heading;
  }
  return null;
}

/** The element the page's address links to: its fragment's id, else the heading its text directive names. */
function linkedElement(doc: Document): Element | null {
  let id: string;
  try {
    id = decodeURIComponent(doc.location.hash.slice(1));
  } catch {
    id = ''; // a malformed fragment (a cut %-escape): no section to scroll to
  }
  if (id) return doc.getElementById(id);
  // The browser hides a text directive from location.hash; the navigation entry keeps the address whole.
  const entry = doc.defaultView?.performance.getEntriesByType('navigation')[0];
  const text = entry === undefined ? null : textDirective(entry.name);
  return text === null ? null : headingOf(text, doc);
}

/** The mark to show first: the first inside or after the linked section (linkedElement), else the first. */
function firstMark(marks: HTMLElement[], doc: Document): HTMLElement | undefined {
  const target = linkedElement(doc);
  if (target !== null) {
    const after = marks.find((mark) => target.contains(mark) || (target.compareDocumentPosition(mark) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0);
    if (after !== undefined) return after;
  }
  return marks[0];
}

/** Mark and scroll on this page if its address asks for it; resolves to the marks (none without the parameter). */
export async function highlightOnArrival(doc: Document = document): Promise<HTMLElement[]> {
  const query = highlightQuery(doc.location.search);
  if (query === null || doc.body === null) return [];
  // The page's language analyses its words, as the index did (its stemmer loads only here).
  const code = languageCode(doc.documentElement.lang);
  await loadLanguages([code]);
  const marks = markQuery(doc.body, query, { language: language(code) });
  firstMark(marks, doc)?.scrollIntoView({ block: 'center' });
  return marks;
}
