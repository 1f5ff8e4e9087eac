// A site's template (src/extract/template): the blocks of text that stand on nearly every page read
// whole (no <main>: SQLite's docs, a header and menu before every page's content), or inside nearly
// every page's content element (a theme's banner), are site chrome and are left out of those pages'
// section texts. A block is its text and where it stands; old inline tags do not cut blocks; the two
// kinds of page never share a block; a page's cache entry is tied to the template.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex, summaryLine } from '../../src/build/site-build';
import { blockText, extractPage, isContentBlock, pageBlocks, readWhole } from '../../src/extract/html';
import { PageCache } from '../../src/extract/page-cache';
import { extractSite } from '../../src/extract/site';
import { BlockCounter, MIN_TEMPLATE_PAGES, TEMPLATE_SAMPLE, templateDigest, templateSample } from '../../src/extract/template';

const TINY = join(process.cwd(), 'test/fixtures/models/tiny-gpt2');

/**
 * A page with SQLite-like chrome (a header and menu, no <main>, <nav> or roles, so the whole body is
 * read); page 0 also lists "About" and "Home" in its content, the menu's words somewhere else.
 */
function chromePage(i: number, header = true): string {
  const top = header ? `<div class="top"><div class="tagline">Small. Fast.<br>Reliable.</div><ul><li><a href="/">Home</a></li><li><a href="/about.html">About</a></li></ul></div>` : '';
  const list = i === 0 ? '<ul><li>About</li><li>Home</li></ul>' : '';
  return `<!doctype html><html><head><title>Page ${i}</title></head><body>${top}<h1>Page ${i}</h1><p>Home of topic ${i}: how widget ${i} works.</p>${list}<p>Step <tt>${i}</tt> and <tt>more</tt>.</p></body></html>`;
}

const CHROME = ['Small. Fast. Reliable.', 'Home', 'About'];
const texts = (template: ReadonlySet<string> | undefined) => [...(template ?? [])].map(blockText).sort();

async function site(dir: string, pages: number, header = true): Promise<string> {
  const root = await mkdtemp(join(dir, 'site-'));
  for (let i = 0; i < pages; i++) await writeFile(join(root, `p${String(i).padStart(3, '0')}.html`), chromePage(i, header));
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

  it('is a strictly increasing choice of the pages, the same for the same list', () => {
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

describe('BlockCounter', () => {
  const template = (n: number, withBlock: number, empty = 0) => {
    const counter = new BlockCounter();
    for (let i = 0; i < n; i++) counter.add(new Set(i < withBlock ? ['Home', `page ${i}`] : [`page ${i}`]));
    for (let i = 0; i < empty; i++) counter.add(new Set());
    return counter.template();
  };

  it('takes the blocks on nine pages in ten or more, none from fewer than MIN_TEMPLATE_PAGES pages, and empty pages do not count', () => {
    expect(template(10, 9)).toEqual(new Set(['Home']));
    expect(template(10, 8)).toEqual(new Set());
    expect(template(20, 18, 30)).toEqual(new Set(['Home']));
    expect(template(MIN_TEMPLATE_PAGES - 1, MIN_TEMPLATE_PAGES - 1, 5)).toEqual(new Set());
  });

  it('does not depend on the order of the pages', () => {
    fc.assert(
      fc.property(fc.array(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e')), { minLength: 8, maxLength: 20 }), (pages) => {
        const forwards = new BlockCounter();
        const backwards = new BlockCounter();
        pages.forEach((page) => forwards.add(new Set(page)));
        [...pages].reverse().forEach((page) => backwards.add(new Set(page)));
        expect(backwards.template()).toEqual(forwards.template());
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
  const template = new Set([...pageBlocks(chromePage(1), '/p1.html')].filter((block) => CHROME.includes(blockText(block))));

  it('lists its blocks with where they stand: block elements part them, inline ones, <tt> and <br> do not', () => {
    expect([...pageBlocks(chromePage(1), '/p1.html')]).toEqual([
      '/div.top/div.tagline\u0001Small. Fast. Reliable.',
      '/div.top/ul/li\u0001Home',
      '/div.top/ul/li\u0001About',
      '/p\u0001Home of topic 1: how widget 1 works.',
      '/p\u0001Step 1 and more.',
    ]);
  });

  it('leaves out exactly the template blocks, not the same words elsewhere on the page', () => {
    // The header stands before the first heading: without the template it is a section of its own.
    expect(extractPage(chromePage(0), '/p0.html').sections.map((s) => s.text)).toEqual(['Small. Fast. Reliable. Home About', 'Home of topic 0: how widget 0 works. About Home Step 0 and more.']);
    expect(extractPage(chromePage(0), '/p0.html', () => undefined, template).sections.map((s) => s.text)).toEqual(['Home of topic 0: how widget 0 works. About Home Step 0 and more.']);
  });

  it("does not apply a page read whole's blocks inside a content element: its blocks stand apart", () => {
    const main = chromePage(1).replace('<h1>', '<main><h1>').replace('</body>', '</main></body>');
    expect(readWhole(main)).toBe(false);
    expect([...pageBlocks(main, '/p1.html')]).toEqual(['main/p\u0001Home of topic 1: how widget 1 works.', 'main/p\u0001Step 1 and more.']);
    expect([...pageBlocks(main, '/p1.html')].every(isContentBlock)).toBe(true);
    expect([...pageBlocks(chromePage(1), '/p1.html')].some(isContentBlock)).toBe(false);
    expect(extractPage(main.replace('<main>', '<main>' + chromePage(2).slice(chromePage(2).indexOf('<div'), chromePage(2).indexOf('<h1>'))), '/p1.html', () => undefined, template).sections[0]!.text).toBe('Small. Fast. Reliable. Home About');
  });
});

describe('extractSite', () => {
  it('leaves a site-wide header and menu out of every page, and says which blocks it left out', async () => {
    const root = await site(work, 10);
    let said: ReadonlySet<string> | undefined;
    const pages = await extractSite(root, { onTemplate: (template) => (said = template) });
    expect(texts(said)).toEqual([...CHROME].sort());
    expect(pages).toHaveLength(10);
    for (const [i, page] of pages.entries()) expect(page.sections.map((s) => s.text)).toEqual([`Home of topic ${i}: how widget ${i} works.${i === 0 ? ' About Home' : ''} Step ${i} and more.`]);
  });

  it("finds the template inside content elements apart: a theme's banner in every page's <main> (Celery's)", async () => {
    const root = await mkdtemp(join(work, 'main-'));
    for (let i = 0; i < 10; i++) await writeFile(join(root, `p${i}.html`), chromePage(i).replace('<div class="top">', '<main><div class="top">').replace('</body>', '</main></body>'));
    let said: ReadonlySet<string> | undefined;
    const pages = await extractSite(root, { onTemplate: (template) => (said = template) });
    expect(texts(said)).toEqual([...CHROME].sort());
    expect([...said!].every(isContentBlock)).toBe(true);
    expect(pages[3]!.sections.map((s) => s.text)).toEqual(['Home of topic 3: how widget 3 works. Step 3 and more.']);
    // Eight pages read whole beside them: each kind's blocks on nine in ten of its own pages.
    for (let i = 10; i < 18; i++) await writeFile(join(root, `p${i}.html`), chromePage(i));
    const mixed = await extractSite(root, { onTemplate: (template) => (said = template) });
    expect([...said!].filter(isContentBlock).map(blockText).sort()).toEqual([...CHROME].sort());
    expect([...said!].filter((block) => !isContentBlock(block)).map(blockText).sort()).toEqual([...CHROME].sort());
    expect(mixed.every((page) => page.sections.every((section) => !section.text.startsWith('Small. Fast.')))).toBe(true);
    // Sphinx's markup as Celery's theme writes it: the banner before each page's first heading was a section of its own.
    const celery = await extractSite('test/fixtures/site-celery', { onTemplate: (template) => (said = template) });
    expect(texts(said)).toEqual(['This document describes the current stable version of Teapot (1.2). For development docs, go here.']);
    expect(celery.map((page) => page.sections.map((s) => s.title))).toEqual(celery.map((page) => [page.title]));
  });

  it("leaves out a heading over nothing but the template, and a side bar's date beside its menu (Django's \"Last update:\")", async () => {
    // The side bar holds a role=navigation menu (chrome whatever its size) and the build's date.
    // Most pages' menus are long: were the menu's links counted, the side bar would be a list of
    // links there, its date on too few pages for the template, and a short page's "Last update:" a section.
    const root = await mkdtemp(join(work, 'sidebar-'));
    for (let i = 0; i < 10; i++) {
      const entries = Array.from({ length: i < 2 ? 1 : 12 }, (_, k) => `<li><a href="#s${k}">Section number ${k} of page ${i}</a></li>`).join('');
      const sidebar = `<div class="yui-b" id="sidebar"><div class="sphinxsidebar" role="navigation"><ul>${entries}</ul></div><h3>Last update:</h3><p class="topless">Nov 11, 2026</p></div>`;
      await writeFile(join(root, `p${i}.html`), `<!doctype html><html><head><title>Page ${i}</title></head><body><h1>Page ${i}</h1><p>How widget ${i} works.</p>${sidebar}</body></html>`);
    }
    let said: ReadonlySet<string> | undefined;
    const pages = await extractSite(root, { onTemplate: (template) => (said = template) });
    expect(texts(said)).toEqual(['Nov 11, 2026']);
    for (const [i, page] of pages.entries()) expect(page.sections.map((s) => [s.title, s.text])).toEqual([[`Page ${i}`, `How widget ${i} works.`]]);
    // A heading over no text at all is kept (it may open subsections); one over the template's text is the template's.
    const template = new Set([...pageBlocks(chromePage(1), '/p1.html')].filter((block) => CHROME.includes(blockText(block))));
    const headed = chromePage(1).replace('<div class="top">', '<h2>Site</h2><div class="top">').replace('<p>Step', '<h2>Parts</h2><h3>Steps</h3><p>Step');
    expect(extractPage(headed, '/p1.html').sections.map((s) => s.title)).toEqual(['Site', 'Page 1', 'Parts', 'Steps']);
    expect(extractPage(headed, '/p1.html', () => undefined, template).sections.map((s) => s.title)).toEqual(['Page 1', 'Parts', 'Steps']);
  });

  it('keeps every block of a site with fewer pages than a template needs', async () => {
    const root = await site(work, MIN_TEMPLATE_PAGES - 1);
    const pages = await extractSite(root, { onTemplate: (template) => expect(template.size).toBe(0) });
    expect(pages[0]!.sections[0]!.text).toBe('Small. Fast. Reliable. Home About');
  });

  it('takes a page from the cache only when it was extracted with the same template', async () => {
    const root = await site(work, 10);
    await writeFile(join(root, 'main.html'), '<html><body><div class="top">Home</div><main><h1>Main</h1><p>Kept as it is.</p></main></body></html>');
    const dir = join(work, 'cache');
    const read = async () => {
      const cache = await PageCache.open(dir, 'pack', () => undefined);
      let cached = 0;
      let template: ReadonlySet<string> = new Set();
      const pages = await extractSite(root, { cache, onCachedPage: () => void cached++, onTemplate: (found) => (template = found) });
      await cache.commit();
      return { pages, cached, template };
    };
    const first = await read();
    expect(texts(first.template)).toEqual([...CHROME].sort());
    const again = await read();
    expect(again.cached).toBe(11);
    expect(again.pages).toEqual(first.pages);
    // Twenty more pages without the header: it stands on a third of them, so there is no template,
    // and the first ten pages' texts change; the page with <main> is extracted again too (one key
    // for every page: what a template holds may apply to either kind).
    for (let i = 10; i < 30; i++) await writeFile(join(root, `p${String(i).padStart(3, '0')}.html`), chromePage(i, false));
    const changed = await read();
    expect(changed.template.size).toBe(0);
    expect(changed.cached).toBe(0);
    expect(changed.pages[0]!.sections.map((s) => s.text)).toEqual(['Kept as it is.']);
    expect(changed.pages[1]!.sections.map((s) => s.text)).toEqual(['Small. Fast. Reliable. Home About', 'Home of topic 0: how widget 0 works. About Home Step 0 and more.']);
  });
});

describe('a site build', () => {
  it('indexes no chrome and says how many blocks it left out', async () => {
    const root = await site(work, 10);
    const summary = await buildSiteIndex({ site: root, out: join(work, 'index'), model: TINY, shards: 1 });
    expect(summary.chromeBlocks).toBe(3);
    expect(summary.built.sections).toBe(10);
    expect(summaryLine(summary)).toMatch(/^indexed 10 pages \(3 blocks of site chrome left out\), 10 sections /);
  });
});
