/**
 * Sections a site repeats: pages that gather other pages whole (Node.js's `all.html`, SQLite's
 * `capi3ref.html` over its `c3ref/` pages, a second copy of a page) would otherwise give every
 * hit twice. A section is a copy of one on another page when both have the same title, language,
 * filters, weight and aliases and the same words (a section of fewer than COPY_MIN_WORDS words)
 * or near enough (word 3-shingles' Jaccard ≥ COPY_MIN_JACCARD: a page's footer line or a link
 * list may differ). Of each set of copies, the one on the page with the fewest sections (the page
 * about that one thing; the first in path order on a tie) stays; the others are left out of pages
 * at least REPEAT_SHARE of whose sections are such later copies. A page that merely shares a few
 * sections with another (two classes documenting the same method) keeps them.
 *
 * Two passes over the pages, a page at a time: the first keeps a number per section (the hash of
 * its title and first words), the second reads only the sections whose number another page's
 * section shares. Pure: no fs.
 */
import { SgptError } from '../errors';
import type { Page, Section } from './html';

/** Fewer words than this (title and text): a copy only when the words are the same. */
export const COPY_MIN_WORDS = 20;
/** Longer sections are copies when their word 3-shingles' Jaccard similarity is at least this. */
export const COPY_MIN_JACCARD = 0.8;
/** A page repeats others when at least this share of its sections are copies of sections on pages kept before it. */
export const REPEAT_SHARE = 0.5;
/** Text words (after the title's) the first pass's number reads. */
const LEAD_WORDS = 8;

/** Passes over the same pages, in the same order, each time it is called. */
export type PagePasses = () => AsyncIterable<Page> | Iterable<Page>;

/** What the copy check found: sections (numbered in page order over the whole site) to leave out. */
export interface Copies {
  /** Every section left out, by its place in the site's sections (page order), with the place of the copy kept. */
  dropped: ReadonlyMap<number, number>;
  /** Pages all of whose sections are left out. */
  pagesEmptied: number;
}

const WORD = /[\p{L}\p{N}_]+/gu;

function wordsOf(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/** What a section must share with its copy besides its words. */
function contextOf(page: Page, section: Section): string {
  return JSON.stringify([page.lang, section.title, section.filters ?? null, section.weight ?? 1, section.keywords ?? null]);
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The first pass's number: context and, for a short section, every word, else the first LEAD_WORDS. */
function leadKey(context: string, words: readonly string[]): number {
  const short = words.length < COPY_MIN_WORDS;
  return fnv1a(`${context}\u0000${short ? 's' : 'l'}\u0000${(short ? words : words.slice(0, LEAD_WORDS)).join(' ')}`);
}

/** A long section's word 3-shingles, hashed; a short one's words. */
interface Print {
  section: number;
  page: number;
  context: string;
  words: string[] | null;
  shingles: Set<number> | null;
}

function printOf(section: number, page: number, context: string, words: string[]): Print {
  if (words.length < COPY_MIN_WORDS) return { section, page, context, words, shingles: null };
  const shingles = new Set<number>();
  for (let i = 0; i + 3 <= words.length; i++) shingles.add(fnv1a(`${words[i]} ${words[i + 1]} ${words[i + 2]}`));
  return { section, page, context, words: null, shingles };
}

/** Whether two sections (on different pages) are copies of each other. */
function isCopy(a: Print, b: Print): boolean {
  if (a.context !== b.context) return false;
  if (a.words !== null || b.words !== null) return a.words !== null && b.words !== null && a.words.length === b.words.length && a.words.every((w, i) => w === b.words![i]);
  return jaccard(a.shingles!, b.shingles!) >= COPY_MIN_JACCARD;
}

export function jaccard(a: ReadonlySet<number>, b: ReadonlySet<number>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const x of small) if (large.has(x)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 1 : shared / union;
}

/** The words a section's copy check reads: its title's and its text's. */
function sectionWords(section: Section): string[] {
  return wordsOf(`${section.title} ${section.text}`);
}

/**
 * The sections to leave out of a site as copies (see the module's note). `passes` is read twice.
 * @example
 * // all.html (sections 0, 1) repeats fs.html's two sections (2, 3); fs.html keeps them:
 * await findCopies(() => [allHtml, fsHtml]) // { dropped: Map { 0 => 2, 1 => 3 }, pagesEmptied: 1 }
 */
export async function findCopies(passes: PagePasses): Promise<Copies> {
  // Pass 1: each section's number and page; each page's section count.
  const keys: number[] = [];
  const pageOf: number[] = [];
  const pageSections: number[] = [];
  for await (const page of passes()) {
    const p = pageSections.length;
    pageSections.push(page.sections.length);
    for (const section of page.sections) {
      keys.push(leadKey(contextOf(page, section), sectionWords(section)));
      pageOf.push(p);
    }
  }
  // Numbers two pages share; only their sections are read again.
  const firstPage = new Map<number, number>();
  const shared = new Set<number>();
  for (const [s, key] of keys.entries()) {
    const seen = firstPage.get(key);
    if (seen === undefined) firstPage.set(key, pageOf[s]!);
    else if (seen !== pageOf[s]) shared.add(key);
  }
  if (shared.size === 0) return { dropped: new Map(), pagesEmptied: 0 };
  // Pass 2: the candidates' prints, grouped into copies: each joins the first group whose first member it copies.
  const groups = new Map<number, Print[][]>();
  let s = 0;
  let p = 0;
  for await (const page of passes()) {
    for (const section of page.sections) {
      const key = keys[s]!;
      if (shared.has(key)) {
        const print = printOf(s, p, contextOf(page, section), sectionWords(section));
        const sameKey = groups.get(key) ?? [];
        const group = sameKey.find((g) => isCopy(g[0]!, print));
        if (group !== undefined) group.push(print);
        else sameKey.push([print]);
        groups.set(key, sameKey);
      }
      s++;
    }
    p++;
  }
  if (s !== keys.length) throw new SgptError('INTERNAL', `the pages changed between passes: ${keys.length} sections, then ${s}`);
  // Pages in the order copies are kept: fewest sections first, then path order. A section is
  // left out when a page before its own holds a copy and most of its page's sections are so.
  const before = (a: number, b: number) => pageSections[a]! < pageSections[b]! || (pageSections[a] === pageSections[b] && a < b);
  const later: Array<{ print: Print; keeper: Print }> = [];
  for (const sameKey of groups.values()) {
    for (const group of sameKey) {
      const keeper = group.reduce((best, print) => (before(print.page, best.page) ? print : best));
      for (const print of group) if (print.page !== keeper.page) later.push({ print, keeper });
    }
  }
  const copied = new Array<number>(pageSections.length).fill(0);
  for (const { print } of later) copied[print.page]!++;
  const dropped = new Map<number, number>();
  const droppedOf = new Array<number>(pageSections.length).fill(0);
  for (const { print, keeper } of later) {
    if (copied[print.page]! < REPEAT_SHARE * pageSections[print.page]!) continue;
    dropped.set(print.section, keeper.section);
    droppedOf[print.page]!++;
  }
  const pagesEmptied = droppedOf.filter((n, page) => n > 0 && n === pageSections[page]).length;
  return { dropped, pagesEmptied };
}

/** A page without the sections `dropped` names (`first`: the place of its first section in the site); null when none is left. */
export function pageWithout(page: Page, first: number, dropped: ReadonlyMap<number, number>): Page | null {
  if (dropped.size === 0) return page;
  const sections = page.sections.filter((_, i) => !dropped.has(first + i));
  if (sections.length === page.sections.length) return page;
  return sections.length === 0 ? null : { ...page, sections };
}
