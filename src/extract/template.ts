/**
 * A site's template: the blocks of text (a paragraph, a list item, a cell) that stand on most of
 * its pages. A page without landmarks (<main>, <nav>, role=…) is read whole, so its header, menu
 * and footer would be searchable text on every page: SQLite's docs put "Small. Fast. Reliable.
 * Choose any three. Home Menu About Documentation Download …" before every page's content (a
 * fifth of its sections held that and little else, and every menu word matched every page).
 * Blocks found on at least half of a sample of the site's pages read whole are site chrome, and
 * the extractor leaves them out of those pages' section texts (./html). A page with a content
 * element (<main>, role=main, <article>) has its chrome outside it already and is left as it is.
 *
 * Which pages to sample, and which blocks they share; the callers (./site, the Vite plugin) read the pages.
 */
import { createHash } from 'node:crypto';

/** A site with fewer pages than this has no template: a block on most of a handful of pages may well be content. */
export const MIN_TEMPLATE_PAGES = 8;

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
 * The blocks that stand on at least half of the sampled pages (each page's distinct blocks);
 * none from fewer than MIN_TEMPLATE_PAGES pages.
 *
 * @example
 * siteTemplate(Array.from({ length: 8 }, (_, i) => new Set(['Home', `page ${i}`]))) // Set { 'Home' }
 */
export function siteTemplate(pages: ReadonlyArray<ReadonlySet<string>>): Set<string> {
  if (pages.length < MIN_TEMPLATE_PAGES) return new Set();
  const counts = new Map<string, number>();
  for (const blocks of pages) for (const block of blocks) counts.set(block, (counts.get(block) ?? 0) + 1);
  return new Set([...counts].filter(([, count]) => 2 * count >= pages.length).map(([block]) => block));
}

/**
 * The template of a site whose pages are `pages`: the sample's blocks, read by `blocksOf` one page
 * at a time (a page may be tens of MB); a page it gives no blocks (skipped, empty) does not count.
 */
export async function findTemplate<T>(pages: readonly T[], blocksOf: (page: T) => Promise<ReadonlySet<string>>): Promise<Set<string>> {
  const sampled: Array<ReadonlySet<string>> = [];
  for (const page of templateSample(pages)) {
    const blocks = await blocksOf(page);
    if (blocks.size > 0) sampled.push(blocks);
  }
  return siteTemplate(sampled);
}

/** A short digest of a template, for keys of what was extracted with it ('' for none). */
export function templateDigest(template: ReadonlySet<string>): string {
  if (template.size === 0) return '';
  const hash = createHash('sha256');
  for (const block of [...template].sort()) hash.update(`${block}\0`);
  return hash.digest('hex').slice(0, 32);
}
