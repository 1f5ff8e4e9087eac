/**
 * A site's template: the blocks of text (a paragraph, a list item, a cell) that stand on nearly
 * all of its pages. A page without landmarks (<main>, <nav>, role=…) is read whole, so its header,
 * menu and footer would be searchable text on every page: SQLite's docs put "Small. Fast.
 * Reliable. Choose any three. Home Menu About Documentation Download …" before every page's
 * content (761 of its 4,290 sections began with it, 614 held nothing else, and every menu word
 * matched every page).
 * Blocks found on nearly all of a sample of the site's pages read whole are site chrome, and the
 * extractor leaves them out of those pages' section texts (./html). A block is its text and where
 * it stands (its block ancestors' tags and classes): a menu entry is not a table cell of the same
 * words. A page with a content element (<main>, role=main, <article>) has most of its chrome
 * outside it, but a theme may put a banner inside: Celery's "This document describes the current
 * stable version of Celery (5.2). For development docs, go here." opened the content of 347 of its
 * 350 pages, and was the only text of 214 sections. So the blocks inside content elements are
 * counted too, apart (./html isContentBlock: the two kinds never share a block), each kind on the
 * sampled pages of its kind: on a site whose pages are of both kinds, a block on every page read
 * whole is the template's however few such pages there are, if MIN_TEMPLATE_PAGES are sampled.
 *
 * Which pages to sample, and which blocks they share; the callers (./site, the Vite plugin) read the pages.
 */
import { createHash } from 'node:crypto';
import { isContentBlock } from './html';

/** A site with fewer sampled pages of a kind (read whole, or with a content element) than this has no template for them: a block on most of a handful of pages may well be content. */
export const MIN_TEMPLATE_PAGES = 8;

/**
 * The share of the sampled pages a block must stand on. A site's chrome stands on all of them
 * (SQLite's, PostgreSQL's, lxml's menus and Node.js's side menu: 90-100 % of up to 64 sampled
 * pages); content that repeats stands on fewer (Node.js's "History" tables on 81 %, "Stability: 2 -
 * Stable" on 61 %), and at one half a page more or less moved one of them in or out.
 */
export const TEMPLATE_SHARE = 0.9;

/** Pages sampled at most: a site's chrome is on nearly every page, so a sample finds it at a fixed cost. */
export const TEMPLATE_SAMPLE = 64;

/**
 * The pages to read for the template: up to TEMPLATE_SAMPLE of `pages`, spread evenly over them
 * (the first one included), the same for the same list; none for a site under MIN_TEMPLATE_PAGES.
 *
 * @example
 * templateSample(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']) // all ten
 * templateSample(Array.from({ length: 640 }, (_, i) => i)) // [0, 10, 20, …, 630]
 */
export function templateSample<T>(pages: readonly T[]): T[] {
  if (pages.length < MIN_TEMPLATE_PAGES) return [];
  const count = Math.min(TEMPLATE_SAMPLE, pages.length);
  return Array.from({ length: count }, (_, i) => pages[Math.floor((i * pages.length) / count)]!);
}

/**
 * Counts of the sampled pages each block stands on, a page at a time (a page's blocks may be
 * many: only the counts are kept), and the template they give.
 *
 * @example
 * const counter = new BlockCounter();
 * for (let i = 0; i < 10; i++) counter.add(new Set(['Home', `page ${i}`]));
 * counter.template() // Set { 'Home' }
 */
export class BlockCounter {
  private readonly counts = new Map<string, number>();
  /** Pages counted of each kind: read whole (false), with a content element (true). */
  private readonly pages = new Map<boolean, number>();

  /** One page's distinct blocks (all of one kind); an empty set (a page skipped, or left out) does not count. */
  add(blocks: ReadonlySet<string>): void {
    const first = blocks.values().next();
    if (first.done === true) return;
    const kind = isContentBlock(first.value);
    this.pages.set(kind, (this.pages.get(kind) ?? 0) + 1);
    for (const block of blocks) this.counts.set(block, (this.counts.get(block) ?? 0) + 1);
  }

  /** The blocks on at least TEMPLATE_SHARE of the pages of their kind counted; none of a kind with fewer than MIN_TEMPLATE_PAGES. */
  template(): Set<string> {
    const enough = (block: string, count: number): boolean => {
      const pages = this.pages.get(isContentBlock(block)) ?? 0;
      return pages >= MIN_TEMPLATE_PAGES && count >= TEMPLATE_SHARE * pages;
    };
    return new Set([...this.counts].filter(([block, count]) => enough(block, count)).map(([block]) => block));
  }
}

/**
 * The template of a site whose pages are `pages`: the sample's blocks, read by `blocksOf` one page
 * at a time (a page may be tens of MB); a page it gives no blocks (not read whole, skipped) does not count.
 */
export async function findTemplate<T>(pages: readonly T[], blocksOf: (page: T) => Promise<ReadonlySet<string>>): Promise<Set<string>> {
  const counter = new BlockCounter();
  for (const page of templateSample(pages)) counter.add(await blocksOf(page));
  return counter.template();
}

/** A short digest of a template, for keys of what was extracted with it ('' for none). */
export function templateDigest(template: ReadonlySet<string>): string {
  if (template.size === 0) return '';
  const hash = createHash('sha256');
  for (const block of [...template].sort()) hash.update(`${block}\0`);
  return hash.digest('hex').slice(0, 32);
}
