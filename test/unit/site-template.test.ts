// A site's template (src/extract/template): the blocks of text that stand on most of its pages are
// site chrome and are left out of every section's text, on pages without landmarks (SQLite's docs:
// a header and menu before every page's content). Exact blocks only, from a sample of enough pages;
// the page cache keys its pages by the template they were extracted with.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex, summaryLine } from '../../src/build/site-build';
import { extractPage, pageBlocks } from '../../src/extract/html';
import { PageCache } from '../../src/extract/page-cache';
import { extractSite } from '../../src/extract/site';
import { MIN_TEMPLATE_PAGES, siteTemplate, TEMPLATE_SAMPLE, templateDigest, templateSample } from '../../src/extract/template';

const TINY = join(process.cwd(), 'test/fixtures/models/tiny-gpt2');

/** A page with SQLite-like chrome: no <main>, <nav> or roles, so the whole body is read. */
function chromePage(i: number, chrome = true): string {
  const header = chrome
    ? `<div class="top"><div class="tagline">Small. Fast.<br>Reliable.</div><ul><li><a href="/">Home</a></li><li><a href="/about.html">About</a></li></ul></div>`
    : '';
  return `<!doctype html><html><head><title>Page ${i}</title></head><body>${header}<h1>Page ${i}</h1><p>Home of topic ${i}: how widget ${i} works.</p><ul><li>About</li><li>Step ${i}</li></ul><p>Small. Fast.<br>Reliable.</p></body></html>`;
}

async function site(dir: string, pages: number, chrome = true): Promise<string> {
  const root = await mkdtemp(join(dir, 'site-'));
  for (let i = 0; i < pages; i++) await writeFile(join(root, `p${String(i).padStart(3, '0')}.html`), chromePage(i, chrome));
  return root;
}

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-template-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('templateSample', () => {
  it('takes nothing from a site under MIN_TEMPLATE_PAGES, every page up to TEMPLATE_SAMPLE, then an even spread from the first', () => {
    expect(templateSample(Array.from({ length: MIN_TEMPLATE_PAGES - 1 }, (_, i) => i))).toEqual([]);
    expect(templateSample(Array.from({ length: 10 }, (_, i) => i))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const big = templateSample(Array.from({ length: 10 * TEMPLATE_SAMPLE }, (_, i) => i));
    expect(big).toHaveLength(TEMPLATE_SAMPLE);
    expect(big.slice(0, 3)).toEqual([0, 10, 20]);
    expect(big.at(-1)).toBe(10 * (TEMPLATE_SAMPLE - 1));
  });

  it('is a strictly increasing, duplicate-free choice of the pages, the same for the same list', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2000 }), (n) => {
        const pages = Array.from({ length: n }, (_, i) => i);
        const sample = templateSample(pages);
        expect(sample).toEqual(templateSample(pages));
        expect(sample.length).toBe(n < MIN_TEMPLATE_PAGES ? 0 : Math.min(n, TEMPLATE_SAMPLE));
        sample.forEach((page, k) => k > 0 && expect(page).toBeGreaterThan(sample[k - 1]!));
      }),
    );
  });
});

describe('siteTemplate', () => {
  const pages = (n: number, withBlock: number) => Array.from({ length: n }, (_, i) => new Set(i < withBlock ? ['Home', `page ${i}`] : [`page ${i}`]));

  it('takes the blocks on at least half of the pages, and none from fewer than MIN_TEMPLATE_PAGES', () => {
    expect(siteTemplate(pages(8, 4))).toEqual(new Set(['Home']));
    expect(siteTemplate(pages(8, 3))).toEqual(new Set());
    expect(siteTemplate(pages(9, 5))).toEqual(new Set(['Home']));
    expect(siteTemplate(pages(9, 4))).toEqual(new Set());
    expect(siteTemplate(pages(MIN_TEMPLATE_PAGES - 1, MIN_TEMPLATE_PAGES - 1))).toEqual(new Set());
  });

  it('does not depend on the order of the pages', () => {
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e')), { minLength: 8, maxLength: 20 }), (blocks) => {
        const sets = blocks.map((page) => new Set(page));
        expect(siteTemplate([...sets].reverse())).toEqual(siteTemplate(sets));
      }),
    );
  });

  it('has a digest that names the set, whatever its order ("" for none)', () => {
    expect(templateDigest(new Set())).toBe('');
    expect(templateDigest(new Set(['a', 'b']))).toBe(templateDigest(new Set(['b', 'a'])));
    expect(templateDigest(new Set(['a', 'b']))).not.toBe(templateDigest(new Set(['a b'])));
  });
});

describe('a page extracted with a template', () => {
  const page = chromePage(1);
  const template = new Set(['Small. Fast. Reliable.', 'Home', 'About']);

  it('lists its blocks: block elements part them, inline ones and <br> do not', () => {
    expect(pageBlocks(page, '/p.html')).toEqual(new Set(['Small. Fast. Reliable.', 'Home', 'About', 'Home of topic 1: how widget 1 works.', 'Step 1']));
  });

  it('leaves out exactly the template blocks, wherever they stand, and keeps a block that only contains one', () => {
    // The header stands before the first heading: without the template it is a section of its own.
    expect(extractPage(page, '/p.html').sections.map((s) => s.text)).toEqual(['Small. Fast. Reliable. Home About', 'Home of topic 1: how widget 1 works. About Step 1 Small. Fast. Reliable.']);
    expect(extractPage(page, '/p.html', () => undefined, template).sections.map((s) => s.text)).toEqual(['Home of topic 1: how widget 1 works. Step 1']);
  });
});

describe('extractSite', () => {
  it('leaves a site-wide header and menu out of every page, and says which blocks it left out', async () => {
    const root = await site(work, 10);
    let said: ReadonlySet<string> | undefined;
    const pages = await extractSite(root, { onTemplate: (template) => (said = template) });
    expect(said).toEqual(new Set(['Small. Fast. Reliable.', 'Home', 'About']));
    expect(pages).toHaveLength(10);
    for (const [i, page] of pages.entries()) expect(page.sections.map((s) => s.text)).toEqual([`Home of topic ${i}: how widget ${i} works. Step ${i}`]);
  });

  it('finds no template on pages with a content element: what repeats inside <main> is the author\'s', async () => {
    const root = await mkdtemp(join(work, 'main-'));
    for (let i = 0; i < 10; i++) await writeFile(join(root, `p${i}.html`), chromePage(i).replace('<h1>', '<main><h1>').replace('</body>', '</main></body>'));
    const pages = await extractSite(root, { onTemplate: (template) => expect(template.size).toBe(0) });
    expect(pages[3]!.sections.map((s) => s.text)).toEqual(['Home of topic 3: how widget 3 works. About Step 3 Small. Fast. Reliable.']);
  });

  it('keeps every block of a site with fewer pages than a template needs', async () => {
    const root = await site(work, MIN_TEMPLATE_PAGES - 1);
    const pages = await extractSite(root, { onTemplate: (template) => expect(template.size).toBe(0) });
    expect(pages[0]!.sections[0]!.text).toBe('Small. Fast. Reliable. Home About');
  });

  it('takes a page from the cache only when it was extracted with the same template', async () => {
    const root = await site(work, 10);
    const dir = join(work, 'cache');
    const read = async () => {
      const cache = await PageCache.open(dir, 'pack', () => undefined);
      let cached = 0;
      const pages = await extractSite(root, { cache, onCachedPage: () => void cached++ });
      await cache.commit();
      return { pages, cached };
    };
    const first = await read();
    const again = await read();
    expect(again.cached).toBe(10);
    expect(again.pages).toEqual(first.pages);
    // Twenty more pages without the header: the menu's "Home" now stands on a third of them (the
    // tagline and "About" are in every page's body too), so the template and the first ten pages' texts change.
    for (let i = 10; i < 30; i++) await writeFile(join(root, `p${String(i).padStart(3, '0')}.html`), chromePage(i, false));
    const changed = await read();
    expect(changed.cached).toBe(0);
    expect(changed.pages[0]!.sections.map((s) => s.text)).toEqual(['Home', 'Home of topic 0: how widget 0 works. Step 0']);
  });
});

describe('a site build', () => {
  it('indexes no chrome and says how many blocks it left out', async () => {
    const root = await site(work, 10);
    const summary = await buildSiteIndex({ site: root, out: join(work, 'index'), model: TINY, shards: 1 });
    expect(summary.chromeBlocks).toBe(3);
    expect(summary.built.sections).toBe(10);
    expect(summaryLine(summary)).toMatch(/^indexed 10 pages, 10 sections .*; 3 blocks of site chrome left out$/);
  });
});
