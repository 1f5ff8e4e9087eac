/**
 * Built HTML page -> searchable sections: one section per heading (h1–h6) with the text up to the
 * next heading, and one per definition-list entry with an id (API entries), each with its
 * url#anchor, its title and the path of headings (and entries) above it.
 *
 * parse5 builds the same tree a browser would (so malformed HTML is tolerated the way browsers
 * tolerate it) and decodes entities; everything here works on plain text and never emits markup.
 */
import { parse } from 'parse5';
import type { DefaultTreeAdapterTypes as T } from 'parse5';
import { mergeFilters, parseFilterList, type Filters } from './filters';
import { textAnchor } from './text-fragment';
import { parseKeywords, parseWeight } from './weights';

export interface Section {
  /** Site-relative URL of the page, e.g. '/library/functions.html'. */
  url: string;
  /** Fragment id that scrolls to the section ('' = top of the page), or a text directive for a heading with none (./text-fragment). */
  anchor: string;
  /** The heading's text ('' for text before the first heading). */
  title: string;
  pageTitle: string;
  /** Titles of the enclosing headings (and definition-list entries), outermost first, ending with this section's own title. */
  headingPath: string[];
  /** Body text of the section (heading excluded), whitespace collapsed. */
  text: string;
  /** Filter values the section carries (src/extract/filters); absent: none. */
  filters?: Filters;
  /** The factor its keyword score is multiplied by (`data-sgpt-weight`, a record's `weight`); absent: 1. */
  weight?: number;
  /** Aliases that match like its title words (`data-sgpt-keywords`, `<meta name="sgpt-keywords">`); absent: none. */
  keywords?: string[];
}

export interface Page {
  url: string;
  title: string;
  /** The page's language as `<html lang>` (or `xml:lang`) says, trimmed; '' when it says none. */
  lang: string;
  sections: Section[];
  /** Why it is left out of the index (it then has no sections, and a build counts it apart): see LeftOut. */
  leftOut?: LeftOut;
}

/**
 * Why a page is left out: `noindex`, its <head> asks not to be indexed (robotsSay); `listing`, it is
 * the site's generated index, search or source page, a list of links to the pages indexed or a module's code (isListing).
 */
export type LeftOut = 'noindex' | 'listing';

/** Elements whose content is never page text. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'nav', 'aside', 'footer', 'svg', 'math', 'iframe', 'object', 'button', 'select', 'textarea', 'head']);
/** Landmark roles of site chrome. */
const CHROME_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'search', 'complementary']);
/**
 * Elements that do not break words apart; everything else is separated by whitespace. With the
 * old inline tags docutils and hand-written pages still use (<tt>, <font>, …): "<tt>f</tt>()" reads "f()".
 */
const INLINE = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'dfn', 'em', 'i', 'kbd', 'mark', 'q', 's', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'time', 'u', 'var', 'wbr', 'ins', 'del', 'label', 'tt', 'font', 'big', 'strike', 'acronym', 'nobr']);
const HEADING = /^h([1-6])$/;

type Node = T.ChildNode | T.Document;
type Element = T.Element;

function isElement(node: Node): node is Element {
  return 'tagName' in node;
}

function attr(element: Element, name: string): string | undefined {
  return element.attrs.find((a) => a.name === name)?.value;
}

function hasClass(element: Element, name: string): boolean {
  return (attr(element, 'class') ?? '').split(/\s+/).includes(name);
}

function headingLevel(element: Element): number {
  const match = HEADING.exec(element.tagName);
  return match ? Number(match[1]) : 0;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Elements that start a block of text of their own (a paragraph, a list item, a cell), for the
 * site's template (./template). Any other element not in INLINE still parts words, but not
 * blocks: a custom element does not cut a sentence.
 */
const BLOCKS = new Set(['address', 'article', 'blockquote', 'body', 'caption', 'center', 'dd', 'details', 'dialog', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hgroup', 'hr', 'legend', 'li', 'main', 'menu', 'ol', 'p', 'pre', 'section', 'summary', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead', 'tr', 'ul']);

/**
 * In a section's parts, BLOCK + the path of the block element whose text follows + PATH_END: a
 * block is known by its text and where it stands (the tag and classes of its block ancestors),
 * so that a menu entry "Buffer" is not a table cell "Buffer". NUL never reaches a text node (the
 * parser drops or replaces it); U+0001 may, but never a path (blockPath strips it), and every
 * chunk between two BLOCKs starts with its path, so the chunk's first PATH_END ends the path.
 */
const BLOCK = '\u0000';
const PATH_END = '\u0001';

/** A section's blocks, "path\u0001text" each, whitespace collapsed; empty ones left out. */
function blocksOf(parts: readonly string[]): string[] {
  const blocks: string[] = [];
  for (const chunk of parts.join('').split(BLOCK)) {
    const end = chunk.indexOf(PATH_END); // -1 only for the empty chunk before a section's first mark
    const text = collapse(chunk.slice(end + 1));
    if (text !== '') blocks.push(`${chunk.slice(0, Math.max(end, 0))}${PATH_END}${text}`);
  }
  return blocks;
}

/** A block's text, without where it stands. */
export function blockText(block: string): string {
  return block.slice(block.indexOf(PATH_END) + 1);
}

/** The path of a block element inside `parent`'s: its tag and classes ("div.menu"). */
function blockPath(parent: string, element: Element): string {
  const classes = (attr(element, 'class') ?? '').trim().split(/\s+/).filter(Boolean);
  return `${parent}/${[element.tagName, ...classes].join('.').replace(/[\u0000\u0001]/g, '')}`;
}

const NO_TEMPLATE: ReadonlySet<string> = new Set();

/**
 * Where the blocks of a page with a content element start ("main/div.deck/p"): a page read whole
 * has them from its body ("/div.top/ul/li"), so the two kinds of page never share a block and a
 * site's template holds each kind's apart (./template).
 */
const CONTENT_PATH = 'main';

/** Whether a block stands inside a page's content element (<main>, role=main, <article>), not on a page read whole. */
export function isContentBlock(block: string): boolean {
  return block.startsWith(CONTENT_PATH);
}

/** Depth-first search in document order, not into an element `skip` says to pass by. */
function find(node: Node, test: (element: Element) => boolean, skip: (element: Element) => boolean = () => false): Element | undefined {
  const children = 'childNodes' in node ? node.childNodes : [];
  for (const child of children) {
    if (!isElement(child) || skip(child)) continue;
    if (test(child)) return child;
    const inner = find(child, test, skip);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * The page's main content: an element marked `data-sgpt-body`, else <main>, role=main, <article>,
 * else <body>. Returns whether it is the whole body (then a <header> is site chrome).
 */
export function contentRoot(document: T.Document): { root: Element | T.Document; isBody: boolean } {
  const tests: Array<(e: Element) => boolean> = [
    (e) => attr(e, 'data-sgpt-body') !== undefined,
    (e) => e.tagName === 'main',
    (e) => attr(e, 'role') === 'main',
    (e) => e.tagName === 'article',
  ];
  for (const test of tests) {
    const found = find(document, test);
    if (found) return { root: found, isBody: false };
  }
  return { root: find(document, (e) => e.tagName === 'body') ?? document, isBody: true };
}

function ignored(element: Element, isBody: boolean): boolean {
  return isChrome(element) || (isBody && element.tagName === 'header') || isLinkList(element);
}

/** Chrome by what it is, wherever it stands: a tag, an attribute, a role or a generator's class says so. */
function isChrome(element: Element): boolean {
  if (SKIPPED.has(element.tagName)) return true;
  if (attr(element, 'data-sgpt-ignore') !== undefined || attr(element, 'hidden') !== undefined) return true;
  if (attr(element, 'aria-hidden') === 'true') return true;
  const role = attr(element, 'role');
  return (role !== undefined && CHROME_ROLES.has(role)) || GENERATOR_CHROME.some((name) => hasClass(element, name));
}

/**
 * Classes generators give their own chrome inside the content. Sphinx's toctree (`toctree-wrapper`):
 * the titles of other pages, as links, where a page lists its children (aiohttp's "Table Of
 * Contents" on its home page was among the first ten hits of every one of its FAQ questions); the
 * pages it lists are indexed themselves, and a hand-written list of them with descriptions (Scrapy's
 * "First steps") is content. Sphinx's "[source]" after an API entry's signature (`viewcode-link`,
 * a link to its module's source listing: 1,345 of Celery's sections held it), and a link to the
 * source by the name rustdoc and Node.js give it (`srclink`: Node.js's "[src]" ended the titles
 * "Stream[src]" and "Class: assert.AssertionError[src]"). DocBook's navigation bars (`navheader`,
 * `navfooter`: the site's template takes their Prev / Up / Home / Next, but not the titles of this
 * page, its chapter and its neighbours, which made every PostgreSQL page's first section a second
 * one titled as the page, "F.2. amcheck Appendix F. Additional Supplied Modules", and ended its last
 * with its neighbours' titles). rustdoc's box beside a member's heading (`rightside`: "1.0.0 ·
 * source"), which stands before the heading and so ended the previous member's text, and its
 * like at the top of a page (`out-of-band`: "1.0.0 · source · [−]", which opened every page's
 * first section); its toggle's caption (`hideme`: "Expand description", shown only when closed);
 * the "Run" link of each example (`test-arrow`) and the tooltip of a return type's notable traits
 * (`notable-traits`: "ⓘ Notable traits for Vec<u8, A> impl<A: Allocator> Write for …", repeated
 * in the signature of every member that returns one).
 */
const GENERATOR_CHROME = ['toctree-wrapper', 'viewcode-link', 'srclink', 'navheader', 'navfooter', 'rightside', 'out-of-band', 'hideme', 'test-arrow', 'notable-traits'];

/** An id or class that names a table of contents: `toc`, or `toc` as a part of it (`fancy_toc`, `toc_sub`), or docutils' `contents`. */
const TOC_NAME = /^contents$|(?:^|[-_])toc(?:$|[-_])/i;
/** An id or class that names a site's menu, as a whole name or a part of one (`sidemenu`, `main-nav`). */
const MENU_NAME = /(?:^|[-_])(?:menu|sidemenu|sidebar|navbar|nav|navigation|breadcrumbs?)(?:$|[-_])/i;
/** The share of a list of links' letters that its links hold, at least; or all but a caption's ("Table of contents"). */
const LINK_SHARE = 0.8;
const CAPTION_LETTERS = 40;

/**
 * Links named as a table of contents or a menu, with little else: a page's own table of contents
 * (an id or class naming one, every link to an anchor of one page, `#x` or `page.html#x` throughout:
 * Node.js's `<details id="toc">`, SQLite's `<div class="fancy_toc">`, docutils' `<div
 * class="contents topic">`, DocBook's `<div class="toc">` on a section's page), which names every
 * heading below it, so its section matched every query about the page while each heading is a
 * section of its own; or a site's menu that the site's template does not catch because it differs
 * from page to page (lxml's `<div class="sidemenu">` holds the current page's table of contents,
 * and was the whole first section of 23 of its pages). At least 3 links holding all the letters but
 * a caption's or a fifth; a menu's 2 will do (Doxygen's breadcrumbs "include json", Django's
 * "« previous | up" on its first and last pages), a table of contents' 2 may be a sentence's. A
 * table of contents linking to other pages (DocBook's chapter pages) is the page's content, as is
 * an element so named that holds more than links and a caption.
 */
function isLinkList(element: Element): boolean {
  const names = [attr(element, 'id') ?? '', ...(attr(element, 'class') ?? '').split(/\s+/)];
  const toc = names.some((name) => TOC_NAME.test(name));
  if (!toc && !names.some((name) => MENU_NAME.test(name))) return false;
  const links: Element[] = [];
  // A page's own table of contents links to its anchors: "#x", or "page.html#x" with one page's name throughout (DocBook's).
  let target: string | undefined;
  // What chrome inside it holds is gone whatever this test says (Django's side bar: a
  // role=navigation menu and, beside it, the date of the build, which is no list of links).
  const outward = find(
    element,
    (e) => {
      if (e.tagName !== 'a' || attr(e, 'href') === undefined) return false;
      links.push(e);
      if (!toc) return false;
      const [, path, anchor] = /^([^#]*)#(.*)$/.exec(attr(e, 'href')!) ?? [];
      target ??= path;
      return !anchor || path !== target;
    },
    isChrome,
  );
  if (outward !== undefined || links.length < (toc ? 3 : 2)) return false;
  // Letters of the text as written (what it shows is decided by this very test).
  const letters = (node: Node): number =>
    node.nodeName === '#text' ? (node as T.TextNode).value.replace(/[\s\d.]/g, '').length : isElement(node) && isChrome(node) ? 0 : 'childNodes' in node ? node.childNodes.reduce((sum, child) => sum + letters(child as Node), 0) : 0;
  const all = letters(element);
  return all - links.reduce((sum, link) => sum + letters(link), 0) <= Math.max(CAPTION_LETTERS, (1 - LINK_SHARE) * all);
}

/** What a permalink shows instead of words: "#", "¶", "§", a link or anchor sign. */
const PERMALINK_SIGNS = new Set(['#', '¶', '§', '🔗', '⚓', '⚓︎']);

/**
 * A heading's permalink: Sphinx's <a class="headerlink">¶</a>, Doxygen's <span class="permalink"><a>◆</a></span>,
 * or any link to an anchor whose whole text is a permalink sign (Node.js's `<a class="mark" href="#x">#</a>`,
 * Docusaurus' hash links), which would otherwise end every title with "#".
 */
function isPermalink(element: Element): boolean {
  if (hasClass(element, 'headerlink') || hasClass(element, 'permalink') || (element.parentNode !== null && isElement(element.parentNode as Node) && hasClass(element.parentNode as Element, 'permalink'))) return true;
  if (element.tagName !== 'a' || !(attr(element, 'href') ?? '').startsWith('#')) return false;
  const only = element.childNodes.length === 1 ? element.childNodes[0]! : undefined;
  return only?.nodeName === '#text' && PERMALINK_SIGNS.has((only as T.TextNode).value.trim());
}

/** Text of a subtree as a reader sees it; permalinks ("¶", "◆") are chrome, not text. */
function textOf(node: Node, parts: string[], isBody: boolean): void {
  if (node.nodeName === '#text') {
    parts.push((node as T.TextNode).value);
    return;
  }
  if (!isElement(node)) return;
  if (ignored(node, isBody) || isPermalink(node)) return;
  const block = !INLINE.has(node.tagName);
  if (block || node.tagName === 'br') parts.push(' ');
  for (const child of node.childNodes) textOf(child, parts, isBody);
  if (block) parts.push(' ');
}

/** A subtree's text as a reader sees it (textOf), whitespace collapsed: a heading's, a title's. */
function shownText(node: Node, isBody: boolean): string {
  const parts: string[] = [];
  textOf(node, parts, isBody);
  return collapse(parts.join(''));
}

/** Boxes whose heading is a label of the text around it, not a section (DocBook's <div class="note"><h3>Note</h3>). */
const ADMONITIONS = ['note', 'tip', 'warning', 'caution', 'important', 'admonition'];

/** A heading that opens an admonition box: its text belongs to the enclosing section. */
function admonitionTitle(heading: Element): boolean {
  const parent = heading.parentNode as Node | null;
  if (!parent || !isElement(parent) || !ADMONITIONS.some((name) => hasClass(parent, name))) return false;
  return parent.childNodes.find((child) => isElement(child)) === heading;
}

/** The first heading inside `element`, in document order. */
function firstHeading(element: Element): Element | undefined {
  return find(element, (e) => headingLevel(e) > 0);
}

/**
 * Where a link to the heading should point: the heading's own id; else the id of an enclosing
 * element that this heading opens (Sphinx: <section id=…><h2>); else a permalink or named anchor
 * inside the heading (<a class="headerlink" href="#…">, <a id=…>); else an empty <a id> right
 * before it (Doxygen: <a id="details"></a><h2>Detailed Description</h2>). '' when there is none.
 */
export function headingAnchor(heading: Element, root: Node): string {
  const own = attr(heading, 'id');
  if (own) return own;
  for (let parent = heading.parentNode; parent && parent !== root && isElement(parent as Node); parent = (parent as Element).parentNode) {
    const element = parent as Element;
    const id = attr(element, 'id');
    if (id && firstHeading(element) === heading) return id;
    if (id) break; // an enclosing element with an id that another heading opens: not this section's
  }
  const link = find(heading, (e) => e.tagName === 'a' && isPermalink(e) && (attr(e, 'href') ?? '').startsWith('#'));
  if (link) return decodeFragment((attr(link, 'href') ?? '').slice(1));
  const named = find(heading, (e) => Boolean(attr(e, 'id') || (e.tagName === 'a' && attr(e, 'name'))));
  if (named) return attr(named, 'id') || attr(named, 'name') || '';
  const before = previousElement(heading);
  return before?.tagName === 'a' && before.childNodes.length === 0 ? (attr(before, 'id') || attr(before, 'name') || '') : '';
}

/** The element before `node` among its siblings, skipping text and comments. */
function previousElement(node: Element): Element | undefined {
  const siblings = (node.parentNode as Element | null)?.childNodes ?? [];
  let found: Element | undefined;
  for (const sibling of siblings) {
    if (sibling === node) return found;
    if (isElement(sibling)) found = sibling;
  }
  return undefined;
}

function decodeFragment(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}

function pageLang(document: T.Document): string {
  const html = find(document, (e) => e.tagName === 'html');
  return ((html && (attr(html, 'lang') ?? attr(html, 'xml:lang'))) ?? '').trim();
}

/** The page's <head>: parse5 always makes one, first in <html>. */
function headOf(document: T.Document): Element | undefined {
  return find(document, (e) => e.tagName === 'head');
}

/**
 * What the page's <head> says to robots. `noindex`: it says `noindex` (or `none`) to every robot,
 * `<meta name="robots">`, or to this one, `<meta name="sgpt-search">` (a robot's own name, as
 * `googlebot`; another robot's is not ours). `index`: `<meta name="sgpt-search" content="index">`,
 * which takes in a page robots leave out, or a listing (isListing).
 */
function robotsSay(document: T.Document): { noindex: boolean; index: boolean } {
  const said = { robots: false, ours: false, oursIndex: false };
  for (const meta of headOf(document)?.childNodes ?? []) {
    if (!isElement(meta) || meta.tagName !== 'meta') continue;
    const name = attr(meta, 'name')?.trim().toLowerCase();
    const words = (attr(meta, 'content') ?? '').toLowerCase().split(',').map((word) => word.trim());
    const noindex = words.includes('noindex') || words.includes('none');
    if (name === 'robots') said.robots ||= noindex;
    if (name === 'sgpt-search') {
      said.ours ||= noindex;
      said.oursIndex ||= words.includes('index');
    }
  }
  return { noindex: said.ours || (said.robots && !said.oursIndex), index: said.oursIndex };
}

/**
 * Whether the page is one its generator lists the site on, not documentation: its <head> names it
 * the site's index or search page (`<link rel="index">` or `<link rel="search">` to the page itself:
 * Sphinx's genindex.html and search.html), or its content holds an index table (Sphinx's
 * `table.indextable`: the general index's letter pages, genindex-all.html, py-modindex.html and the
 * other domains' indexes), a back-of-book index (DocBook's `div.indexdiv` letter groups:
 * PostgreSQL's bookindex.html), or one of Doxygen's lists (its `table.directory`: the class, file,
 * namespace and page lists, each class's member list; its member indexes' `a#index_x` letter
 * anchors: functions_*.html, globals.html), or it is Sphinx's source listing of a module
 * (isSourceListing). Sphinx's and Doxygen's own searches leave them out too;
 * indexed, every API name matched them (`-m`: all 10 first keyword hits on the Python docs were
 * general-index pages).
 */
function isListing(document: T.Document, root: Node, url: string): boolean {
  const head = headOf(document)?.childNodes ?? [];
  for (const link of head) {
    if (!isElement(link) || link.tagName !== 'link') continue;
    const rel = (attr(link, 'rel') ?? '').toLowerCase().split(/\s+/);
    if ((rel.includes('index') || rel.includes('search')) && linksTo(attr(link, 'href'), url)) return true;
  }
  if (isSourceListing(root, url)) return true;
  const doxygen = head.some((meta) => isElement(meta) && meta.tagName === 'meta' && attr(meta, 'name')?.toLowerCase() === 'generator' && /^doxygen\b/i.test(attr(meta, 'content') ?? ''));
  const listing = (e: Element) =>
    (e.tagName === 'table' && hasClass(e, 'indextable')) ||
    (e.tagName === 'div' && hasClass(e, 'indexdiv')) ||
    (doxygen && ((e.tagName === 'table' && hasClass(e, 'directory')) || (e.tagName === 'a' && /^index_/.test(attr(e, 'id') ?? ''))));
  return find(root, listing) !== undefined;
}

/**
 * Sphinx's viewcode pages: `_modules/<module>.html`, a module's source as one highlighted listing
 * (the "[source]" of its API entries leads there; it links back with "[docs]", `viewcode-back`), and
 * `_modules/index.html`, the list of them. Code, not documentation: its identifiers matched every
 * query naming an API, and the entries that document them are indexed.
 */
function isSourceListing(root: Node, url: string): boolean {
  if (!/\/_modules\//.test(url)) return false;
  return url.endsWith('/_modules/') || find(root, (e) => hasClass(e, 'highlight') || hasClass(e, 'viewcode-back')) !== undefined;
}

/** Whether `href`, read on the page at the site URL `url`, is that page ("#", "", its own file name). */
function linksTo(href: string | undefined, url: string): boolean {
  if (href === undefined) return false;
  const page = (path: string) => path.replace(/\/index\.html?$/i, '/');
  try {
    const here = new URL(url, 'http://site.invalid');
    return page(new URL(href.trim(), here).pathname) === page(here.pathname);
  } catch {
    return false; // an href no URL parser reads is no link to this page
  }
}

/**
 * The page's title: its first <h1> in the content, else <title>, else Doxygen's header title (`div.headertitle`,
 * where a project's own HTML header left <title> out: all of libjsoncpp's pages), else ''. A page
 * whose content has several <h1> is titled by <title> unless that begins with the first: its <h1>
 * are its sections' (SQLite's "1. Introduction", "2. Concepts" under "The Session Extension") or
 * one is the site's name (Django's "Django 3.2.25 documentation" above each page's own). A <title>
 * loses the site's name after a page's <h1>, or its first heading when it has none (withoutSiteName).
 */
function pageTitleOf(document: T.Document, root: Node, isBody: boolean): string {
  const shown = (element: Element | undefined): string => (element ? shownText(element, isBody) : '');
  // The text directly in an element, not in its children.
  const own = (element: Element | undefined): string => (element ? collapse(element.childNodes.map((c) => (c.nodeName === '#text' ? (c as T.TextNode).value : '')).join('')) : '');
  const h1s: Element[] = [];
  find(root, (e) => e.tagName === 'h1' && h1s.push(e) === 2, (e) => ignored(e, isBody));
  const h1 = shown(h1s[0]);
  const head = own(find(document, (e) => e.tagName === 'title'));
  if (h1 && (h1s.length === 1 || head === '' || head.toLowerCase().startsWith(h1.toLowerCase()))) return h1;
  if (head) return withoutSiteName(head, h1 ? h1s.map(shown) : [shown(find(root, (e) => headingLevel(e) > 0, (e) => ignored(e, isBody)))]);
  if (h1) return h1;
  // Its own words, not the labels after them ("Json::StreamWriter Class Reference" + <span class="mlabels">abstract</span>).
  const header = find(root, (e) => hasClass(e, 'headertitle'));
  return own(header && (find(header, (e) => hasClass(e, 'title')) ?? header)) || shown(header);
}

/** What a `<title>` puts between a page's name and its site's: " | ", " - ", " — ", " · ", " :: ". */
const SITE_NAME_SEPARATOR = /^\s+(?:[|\-–—·]|::)\s+\S/;

/**
 * A `<title>` without the site's name after the page's own: "Worker threads | Node.js v18.20.4
 * Documentation" is "Worker threads" when that is the first heading of a content with no `<h1>`
 * (Node.js, whose only `<h1>` is the site header's; mdBook's "Installation - The Rust Programming
 * Language", whose `<h1>` is its menu bar's), or one of its `<h1>` (Django's "Making queries |
 * Django documentation | Django" under "Django 3.2.25 documentation"). Every result of such a site
 * was grouped under a title ending in the site's name. Without such a heading the whole `<title>`
 * stays: which part names the site is not known.
 */
function withoutSiteName(head: string, headings: readonly string[]): string {
  // Markdown's code marks, which some generators leave in <title> ("Modules: `node:module` API | Node.js …").
  const plain = head.replace(/`/g, '');
  const lower = plain.toLowerCase();
  return headings.find((heading) => heading !== '' && lower.startsWith(heading.toLowerCase()) && SITE_NAME_SEPARATOR.test(plain.slice(heading.length))) ?? head;
}

/**
 * The name an entry of a definition list is known by: Sphinx's signature name with its prefix
 * ("json." + "dumps"), else the term's whole text (a glossary term). A member documented inside
 * its class's entry shows its bare name ("get"): qualifiedName adds the class. What follows the
 * last name is not part of it: Sphinx writes a command-line option's argument as a "prefix" after
 * its names ("-m" + " <module-name>", "-A" + ", " + "--app" + " <app>"), and its search lists the
 * option as "-m".
 */
function entryTitle(term: Element, isBody: boolean): string {
  const parts: Array<{ name: boolean; text: string }> = [];
  const names = (node: Element): void => {
    for (const child of node.childNodes) {
      if (!isElement(child)) continue;
      const name = hasClass(child, 'sig-name');
      if (!name && !hasClass(child, 'sig-prename')) names(child);
      else {
        const text: string[] = [];
        textOf(child, text, isBody);
        parts.push({ name, text: text.join('') });
      }
    }
  };
  names(term);
  const name = collapse(parts.slice(0, parts.findLastIndex((part) => part.name) + 1 || parts.length).map((part) => part.text).join(''));
  return name || shownText(term, isBody);
}

/**
 * The title of an entry named `name` with the id `id`, inside the definition of `outer`: a member
 * whose id is one of its enclosing entry's ids + "." + its name (Sphinx writes `<dt id="dict.get">get(…)`
 * inside `<dt id="dict">`'s definition) is titled by its class and its name, "dict.get", as
 * readers write it: "close" alone titles 34 entries of the Python docs. The class is that term's
 * own name, without the module the page may write before it ("Session.flush", not
 * "sqlalchemy.orm.Session.flush": the module's words in every member's title matched every
 * question naming the project; the heading path still holds it). Any other id is the author's,
 * not a name, and leaves the title as the term shows it: C's "c.PyObject_GetAttr" (the domain, not
 * a qualifier), "cmdoption-m", "envvar-PYTHONPATH", glossary "term-…".
 */
function qualifiedName(name: string, id: string, outer: OpenSection): string {
  const term = name === '' ? undefined : outer.terms?.find((t) => id === `${t.id}.${name}`);
  return term === undefined ? name : `${term.name.slice(term.name.lastIndexOf('.') + 1)}.${name}`;
}

/** The classes rustdoc gives a member's name in its heading: a method or function (`fnname` before rustdoc 1.7x, `fn` after), an associated type or constant. */
const RUSTDOC_NAMES = ['fnname', 'fn', 'associatedtype', 'constant'];

/**
 * A rustdoc member's heading (`<h4 class="code-header">pub fn <a class="fnname">unwrap_or</a>(self,
 * default: T) -> T</h4>` on the page "Enum std::option::Option") titled as Rust names it and readers
 * search it, "Option::unwrap_or", not by its signature (every method's title began "pub fn"); the
 * owner is the last name of the page's title ("Primitive Type slice" gives "slice::sort"). Undefined
 * for any other heading.
 */
function rustdocMember(heading: Element, isBody: boolean, pageTitle: string): string | undefined {
  if (!hasClass(heading, 'code-header')) return undefined;
  const link = find(heading, (e) => e.tagName === 'a' && RUSTDOC_NAMES.some((name) => hasClass(e, name)));
  if (link === undefined) return undefined;
  const name = shownText(link, isBody);
  const owner = pageTitle.split('::').pop()!.trim().split(/\s+/).pop() ?? '';
  return name === '' ? undefined : owner === '' ? name : `${owner}::${name}`;
}

/** Elements nested deeper than this keep only their text: the tree walks below stay within the stack. */
export const MAX_DEPTH = 256;

/** Replace the content of every element at MAX_DEPTH by its text (iteratively); whether any was. */
function flattenDeep(document: T.Document): boolean {
  let flattened = false;
  const stack: Array<{ node: Node; depth: number }> = [{ node: document, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!('childNodes' in node)) continue;
    if (depth < MAX_DEPTH) {
      for (const child of node.childNodes) stack.push({ node: child, depth: depth + 1 });
      continue;
    }
    const parts: string[] = [];
    const inner: Node[] = [...node.childNodes].reverse(); // popped in document order
    while (inner.length > 0) {
      const next = inner.pop()!;
      if (next.nodeName === '#text') parts.push((next as T.TextNode).value);
      else if (isElement(next) && !SKIPPED.has(next.tagName)) inner.push(...[...next.childNodes].reverse());
    }
    if (node.childNodes.length > 0) flattened = true;
    const text: T.TextNode = { nodeName: '#text', value: ` ${parts.join(' ')} `, parentNode: node as Element };
    (node as Element).childNodes = [text];
  }
  return flattened;
}

interface OpenSection {
  /** Where the section goes in the page's list: sections are listed in the order they start. */
  slot: number;
  anchor: string;
  title: string;
  path: string[];
  parts: string[];
  weight: number;
  keywords: string[];
  /** A heading's section without an anchor of its own: it links to the first id met in it (see walk), else to its heading's text. */
  adopts: boolean;
  /** A definition-list entry's terms with an id, and the names they show: what a member inside it is qualified with (qualifiedName). */
  terms?: Array<{ id: string; name: string }>;
}

/**
 * Split a page's main content into sections: one per heading (h1–h6), and one per entry of a
 * definition list whose term has an id (Sphinx's API entries, `<dt id="json.dumps">`, glossary
 * terms). An entry holds its term and definition; text after the list belongs to the enclosing
 * section again, and the entry's heading path runs through the enclosing headings and entries.
 * Blocks of text in `template` (the site's repeated chrome: ./template) are left out, those of
 * pages read whole (no content element: contentRoot) and those inside a content element alike.
 */
export function extractPage(html: string, url: string, warn: (message: string) => void = () => undefined, template: ReadonlySet<string> = NO_TEMPLATE): Page {
  // Blocks cost extraction time: only for a page whose kind the template has blocks of.
  const whole = template.size > 0 && readWhole(html);
  const applies = template.size > 0 && [...template].some((block) => isContentBlock(block) !== whole);
  return extract(html, url, warn, applies ? template : NO_TEMPLATE, false).page;
}

/**
 * The distinct blocks of a page's section texts (a paragraph, a list item, a cell: "path\u0001text"
 * each, blockText gives the text; isContentBlock tells a content element's), for finding the
 * blocks a site repeats on most of its pages (./template).
 */
export function pageBlocks(html: string, url: string): Set<string> {
  return extract(html, url, () => undefined, NO_TEMPLATE, true).blocks;
}

/** What contentRoot looks for, as raw markup. */
const CONTENT_ELEMENT = /<(?:main|article)[\s>]|\srole\s*=\s*["']?main\b|\sdata-sgpt-body\b/i;

/**
 * Whether a page is read whole, so that the blocks of the site's template found on such pages
 * apply to it: its markup names no content element (<main>, <article>, role=main,
 * data-sgpt-body). Told from the raw markup, unparsed, to spare the pages of a kind the template
 * has no blocks of the cost of blocks (extractPage): a mention in a script or a comment counts too.
 */
export function readWhole(html: string): boolean {
  return !CONTENT_ELEMENT.test(html);
}

/**
 * extractPage, and (`wantBlocks`) the blocks its sections held before the template's were left
 * out. Blocks and their paths are made only when asked for or a template applies: they cost most
 * pages of most sites an eighth of their extraction for nothing.
 */
function extract(html: string, url: string, warn: (message: string) => void, template: ReadonlySet<string>, wantBlocks: boolean): { page: Page; blocks: Set<string> } {
  const blocks = new Set<string>();
  const blocky = wantBlocks || template.size > 0;
  const document = parse(html);
  const leftOut = (why: LeftOut) => ({ page: { url, title: '', lang: '', sections: [], leftOut: why }, blocks });
  const robots = robotsSay(document);
  if (robots.noindex) return leftOut('noindex');
  if (flattenDeep(document)) warn(`elements nested deeper than ${MAX_DEPTH} levels: their content is read as plain text`);
  const { root, isBody } = contentRoot(document);
  if (!robots.index && isListing(document, root, url)) return leftOut('listing');
  const pageTitle = pageTitleOf(document, root, isBody);
  const slots: Array<Section | null> = [];
  const stack: Array<{ level: number; title: string }> = [];
  const hints = pageHints(document, root, url);
  // The weight of the innermost element with data-sgpt-weight around where a section starts.
  let weight = hints.weight;
  // The path of the block element the walk is in (blockPath), from the content root. Without
  // blocks a block boundary is a space, as any other non-inline element's.
  let where = isBody ? '' : CONTENT_PATH;
  const enter = (element: Element): string => (blocky ? blockPath(where, element) : '');
  const mark = (path: string): string => (blocky ? `${BLOCK}${path}${PATH_END}` : ' ');
  const open = (anchor: string, title: string, path: string[], own = weight, adopts = false): OpenSection => ({ slot: slots.push(null) - 1, anchor, title, path, parts: [mark(where)], weight: own, keywords: [], adopts });
  let current = open('', '', []);

  // A section's text without the template's blocks, its blocks noted; undefined when it had text and all of it was the template's.
  const keptText = (parts: readonly string[]): string | undefined => {
    const own = blocksOf(parts);
    for (const block of own) blocks.add(block);
    const kept = own.filter((block) => !template.has(block));
    return own.length > 0 && kept.length === 0 ? undefined : kept.map(blockText).join(' ');
  };
  const close = (section: OpenSection): void => {
    const text = blocky ? keptText(section.parts) : collapse(section.parts.join(''));
    // A heading over nothing but the template is the template's too (Django's "Last update:" over the build's date).
    if (text === undefined) return;
    if (text || section.title) {
      slots[section.slot] = {
        url,
        // A heading that found no id to link to is found by its text (./text-fragment), not the page top.
        anchor: section.adopts && section.title ? textAnchor(section.title) : section.anchor,
        title: section.title || pageTitle,
        pageTitle,
        headingPath: section.path,
        text,
        ...(section.weight === 1 ? {} : { weight: section.weight }),
        ...(section.keywords.length > 0 ? { keywords: section.keywords } : {}),
      };
    }
  };

  /**
   * A <dl>: each term with an id opens an entry that its definitions join, up to the next term.
   * Terms that share one definition (aliases, overloads: <dt id=a><dt id=b><dd>) are one entry,
   * anchored at the first, titled with each name.
   */
  const definitionList = (list: Element): void => {
    let outer: OpenSection | null = null;
    let afterTerm = false;
    const end = (): void => {
      if (outer === null) return;
      close(current);
      current = outer;
      outer = null;
    };
    const outerPath = where;
    where = enter(list);
    current.parts.push(mark(where));
    for (const child of list.childNodes) {
      if (!isElement(child) || ignored(child, isBody)) {
        walk(child);
        continue;
      }
      const id = child.tagName === 'dt' ? attr(child, 'id') : undefined;
      if (child.tagName === 'dt' && afterTerm && outer !== null) {
        const title = id ? qualifiedName(entryTitle(child, isBody), id, outer) : '';
        if (id && title) current.terms!.push({ id, name: title });
        if (title && !current.title.split(', ').includes(title)) current.title = `${current.title}, ${title}`;
        current.path[current.path.length - 1] = current.title;
      } else if (child.tagName === 'dt') {
        end();
        if (id) {
          outer = current;
          const title = qualifiedName(entryTitle(child, isBody), id, outer);
          current = open(id, title, [...outer.path, title]);
          current.terms = title === '' ? [] : [{ id, name: title }];
        }
      }
      afterTerm = child.tagName === 'dt';
      walk(child);
    }
    end();
    where = outerPath;
    current.parts.push(mark(where));
  };

  const walk = (node: Node): void => {
    if (node.nodeName === '#text') {
      current.parts.push((node as T.TextNode).value);
      return;
    }
    if (!isElement(node) && node.nodeName !== '#document') return;
    const outer = weight;
    if (isElement(node)) {
      if (ignored(node, isBody) || isPermalink(node)) return;
      const own = attr(node, 'data-sgpt-weight');
      if (own !== undefined) weight = parseWeight(own, `${url}: data-sgpt-weight`);
      const level = headingLevel(node);
      const heading = level > 0 && !admonitionTitle(node);
      if (heading) {
        close(current);
        const signature = shownText(node, isBody);
        const member = rustdocMember(node, isBody, pageTitle);
        const title = member ?? signature;
        while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
        stack.push({ level, title });
        const anchor = headingAnchor(node, root);
        // The page's first section belongs at the top of the page: it adopts nothing.
        current = open(anchor, title, stack.map((h) => h.title), weight, anchor === '' && slots.some((s) => s !== null));
        // A member titled by its name keeps its signature as its text's first words.
        if (member !== undefined) current.parts.push(signature, mark(where));
        weight = outer;
      }
      // A heading with no anchor (Doxygen's "Member Function Documentation" label, DocBook's
      // "Synopsis") links to the nearest real anchor below it, the first id in its section,
      // rather than to the top of the page; never an invented one (with none, close links its text).
      const id = heading ? undefined : attr(node, 'id') || (node.tagName === 'a' ? attr(node, 'name') : undefined);
      if (current.adopts && id) {
        current.anchor = id;
        current.adopts = false;
      }
      // On a heading: the section it opens; elsewhere: the section the element sits in.
      const aliases = attr(node, 'data-sgpt-keywords');
      if (aliases !== undefined) current.keywords.push(...parseKeywords(aliases));
      if (heading) return;
      if (node.tagName === 'dl') {
        definitionList(node);
        weight = outer;
        return;
      }
    }
    // Other elements that are not inline (<br>, <img>, a custom element) part words, not blocks.
    const block = isElement(node) && BLOCKS.has(node.tagName);
    const spaced = isElement(node) && !block && !INLINE.has(node.tagName);
    const outerPath = where;
    if (block) current.parts.push(mark((where = enter(node))));
    else if (spaced) current.parts.push(' ');
    for (const child of (node as Element).childNodes) walk(child);
    where = outerPath;
    if (block) current.parts.push(mark(where));
    else if (spaced) current.parts.push(' ');
    weight = outer;
  };

  for (const child of (root as Element).childNodes) walk(child);
  close(current);
  const filters = pageFilters(document, url);
  const sections = withoutBanner(slots.filter((s): s is Section => s !== null), pageTitle).map((s) => (Object.keys(filters).length > 0 ? { ...s, filters } : s));
  // The page's own aliases belong to its first section, the one a search for the page should find.
  if (hints.keywords.length > 0 && sections.length > 0) sections[0] = { ...sections[0]!, keywords: [...hints.keywords, ...(sections[0]!.keywords ?? [])] };
  return { page: { url, title: pageTitle, lang: pageLang(document), sections }, blocks };
}

/**
 * A page's sections without a banner: a first heading, not the page's title, with nothing under
 * it (no text, no aliases, no heading below it: the next is its sibling or above it). SQLite's C
 * reference opens each of 255 pages with `<h2>SQLite C Interface</h2>` then an `<h2>` of the
 * page's own; as a section it was a blank result that a search for the interface found 255 times.
 * A heading the page's sections sit under (Sphinx's `<h1>` above its `<h2>`s) is not one, nor a
 * page's title; an empty heading further down (Python's `distutils.log`, a module with no text)
 * stays a section: only a banner stands first.
 */
function withoutBanner(sections: Section[], pageTitle: string): Section[] {
  const at = sections.findIndex((section) => section.headingPath.length > 0); // past text before any heading
  const first = sections[at];
  const next = sections[at + 1];
  if (first === undefined || next === undefined) return sections;
  const under = next.headingPath.length > first.headingPath.length && first.headingPath.every((title, i) => next.headingPath[i] === title);
  const banner = first.text === '' && first.keywords === undefined && first.title !== pageTitle && !under;
  return banner ? sections.filter((section) => section !== first) : sections;
}

/**
 * What the page says of all its sections: the weight of the innermost element with
 * data-sgpt-weight around the content root (or on it), and its aliases: every
 * `<meta name="sgpt-keywords" content="a, b">` and data-sgpt-keywords on the root or around it.
 */
function pageHints(document: T.Document, root: Node, url: string): { weight: number; keywords: string[] } {
  const around: Element[] = [];
  for (let node: Node | null = root; node && isElement(node); node = node.parentNode as Node | null) around.unshift(node);
  let weight = 1;
  const keywords: string[] = [];
  for (const element of around) {
    const own = attr(element, 'data-sgpt-weight');
    if (own !== undefined) weight = parseWeight(own, `${url}: data-sgpt-weight`);
    const aliases = attr(element, 'data-sgpt-keywords');
    if (aliases !== undefined) keywords.push(...parseKeywords(aliases));
  }
  eachElement(document, (node) => {
    if (node.tagName === 'meta' && attr(node, 'name') === 'sgpt-keywords') keywords.push(...parseKeywords(attr(node, 'content') ?? ''));
  });
  return { weight, keywords: [...new Set(keywords)] };
}

/**
 * The page's filters: every `data-sgpt-filter="key:value, …"` anywhere in the document (a
 * template may put it on the body, a breadcrumb or a hidden span) and every
 * `<meta name="sgpt-filter" content="key:value">`. A malformed one is INPUT_INVALID naming the page.
 */
function pageFilters(document: T.Document, url: string): Filters {
  const found: Filters[] = [];
  eachElement(document, (node) => {
    const data = attr(node, 'data-sgpt-filter');
    if (data !== undefined) found.push(parseFilterList(data, `${url}: data-sgpt-filter`));
    if (node.tagName === 'meta' && attr(node, 'name') === 'sgpt-filter') found.push(parseFilterList(attr(node, 'content') ?? '', `${url}: <meta name="sgpt-filter">`));
  });
  return mergeFilters(...found);
}

/** Calls `visit` on every element under `node`, in document order. */
function eachElement(node: Node, visit: (element: Element) => void): void {
  if (isElement(node)) visit(node);
  // Depth is bounded: flattenDeep ran first.
  for (const child of (node as Element).childNodes ?? []) eachElement(child, visit);
}
