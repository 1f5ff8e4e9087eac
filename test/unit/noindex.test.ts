// Pages whose <head> asks not to be indexed (robots noindex or none, or sgpt-search's own name) are
// left out of the index and counted in the build's summary; a page another robot is told to skip,
// or that sgpt-search is told to index, is indexed. So are a site's generated index and search
// pages (Sphinx's genindex, py-modindex, search), unless they ask to be indexed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex, summaryLine } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { extractPage } from '../../src/extract/html';
import { openIndexDir } from '../../src/index/node-files';

const SITE = 'test/fixtures/site-robots';
const TINY = 'test/fixtures/models/tiny-gpt2';
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-noindex-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('robots noindex', () => {
  it('leaves out pages marked noindex or none for every robot or for sgpt-search, and counts them', async () => {
    const out = join(work, 'out');
    const summary = await buildSiteIndex({ site: SITE, out, model: TINY });
    const urls = new Set((await (await openIndexDir(out)).allSections()).map((s) => s.url));
    expect([...urls].sort()).toEqual(['/', '/googlebot.html', '/taken-in.html']);
    expect(summary.noindexPages).toBe(3);
    expect(summaryLine(summary)).toMatch(/^indexed 3 pages \(3 marked noindex left out\), /);
    for (const word of ['zeppelin', 'carburettor', 'gyroscope']) expect(await querySiteIndex({ index: out, query: word, keywordOnly: true })).toEqual([]);
    expect((await querySiteIndex({ index: out, query: 'marmalade', limit: 1, keywordOnly: true }))[0]!.url).toBe('/googlebot.html');
  });

  it('reads the meta in <head> only, and the dev server drops such a page too (no sections)', () => {
    const page = (head: string, body = '<h1>T</h1><p>x</p>') => extractPage(`<html><head>${head}</head><body>${body}</body></html>`, '/p.html');
    expect(page('<meta name="robots" content="noindex">')).toEqual({ url: '/p.html', title: '', lang: '', sections: [], leftOut: 'noindex' });
    expect(page('<meta name=" ROBOTS " content=" NoIndex ,follow">').leftOut).toBe('noindex');
    expect(page('<meta name="robots" content="noarchive, nosnippet">').sections).toHaveLength(1);
    expect(page('<meta name="bingbot" content="none">').leftOut).toBeUndefined();
    expect(page('<meta name="sgpt-search" content="none">').leftOut).toBe('noindex');
    expect(page('', '<h1>T</h1><p>x</p><div><meta name="robots" content="noindex"></div>').sections).toHaveLength(1);
  });
});

describe("a site's generated index and search pages", () => {
  it("leaves out Sphinx's general index, its letter pages, the module index, the search page and the modules' source listings, counts them, and keeps a page that asks to be indexed", async () => {
    const out = join(work, 'sphinx');
    const summary = await buildSiteIndex({ site: 'test/fixtures/site-sphinx', out, model: TINY });
    const urls = new Set((await (await openIndexDir(out)).allSections()).map((s) => s.url));
    expect([...urls].sort()).toEqual(['/brewing.html', '/glossary-index.html']);
    expect(summary.listingPages).toBe(6);
    expect(summaryLine(summary)).toMatch(/^indexed 2 pages \(6 index, search or source pages left out\), /);
    const hits = await querySiteIndex({ index: out, query: 'steep', keywordOnly: true });
    expect(hits.map((h) => h.url)).toEqual(['/brewing.html#teapot.Pot.steep']);
    expect(hits[0]!.title).toBe('Pot.steep');
  });

  it("leaves out DocBook's back-of-book index and keeps the pages it lists", async () => {
    const out = join(work, 'docbook');
    const summary = await buildSiteIndex({ site: 'test/fixtures/site-docbook', out, model: TINY });
    expect(summary.listingPages).toBe(1);
    const hits = await querySiteIndex({ index: out, query: 'teapot', keywordOnly: true });
    expect(hits.map((h) => h.url)).toEqual(['/steep.html#STEEP-POT']);
  });

  it("leaves out Doxygen's class list and member index, keeps the class pages, and titles one whose header left <title> out by Doxygen's header title", async () => {
    const out = join(work, 'doxygen');
    const summary = await buildSiteIndex({ site: 'test/fixtures/site-doxygen', out, model: TINY });
    expect(summary.listingPages).toBe(2);
    const urls = new Set((await (await openIndexDir(out)).allSections()).map((s) => s.url));
    expect([...urls].sort()).toEqual(['/class_kettle.html', '/class_teapot.html']);
    // A project's own header may leave <title> out: the page is titled by Doxygen's header title.
    const kettle = (await (await openIndexDir(out)).allSections()).filter((s) => s.url === '/class_kettle.html');
    expect(kettle.map((s) => [s.pageTitle, s.title])).toEqual([['Kettle Class Reference', 'Kettle Class Reference'], ['Kettle Class Reference', 'Detailed Description']]);
  });

  it('knows a listing by a <link rel="index"> or rel="search" to the page itself, an index table in its content, or a module\'s source under _modules/', () => {
    const page = (head: string, body = '<h1>T</h1><p>x</p>', url = '/dir/p.html') => extractPage(`<html><head>${head}</head><body>${body}</body></html>`, url);
    for (const href of ['#', '', 'p.html', './p.html#top', '/dir/p.html', '../dir/p.html']) expect(page(`<link rel="index" href="${href}">`).leftOut, href).toBe('listing');
    expect(page('<link rel="Search Help" href="#">').leftOut).toBe('listing');
    expect(page('<link rel="index" href="./">', '<h1>T</h1>', '/dir/').leftOut).toBe('listing');
    expect(page('<link rel="index" href="index.html">', '<h1>T</h1>', '/dir/').leftOut).toBe('listing');
    // Links to another page, an OpenSearch description, other relations: an ordinary page.
    for (const head of ['<link rel="index" href="genindex.html">', '<link rel="search" type="application/opensearchdescription+xml" href="os.xml">', '<link rel="canonical" href="#">', '<link rel="index">', '<link rel="index" href="http://[bad">']) {
      expect(page(head).leftOut, head).toBeUndefined();
    }
    expect(page('', '<h1>I</h1><table class="indextable"><tr><td>a</td></tr></table>').leftOut).toBe('listing');
    expect(page('', '<main><h1>I</h1><p>x</p></main><div><table class="indextable"><tr><td>a</td></tr></table></div>').leftOut).toBeUndefined();
    // DocBook's back-of-book index (PostgreSQL's bookindex.html): its letter groups.
    expect(page('', '<div class="index"><h1>Index</h1><div class="indexdiv"><h3>A</h3><dl><dt>abort</dt></dl></div></div>').leftOut).toBe('listing');
    expect(page('', '<main><h1>I</h1><p>x</p></main><div class="indexdiv"><h3>A</h3></div>').leftOut).toBeUndefined();
    // Doxygen's lists, only on a page Doxygen generated: a directory table, a member index's letter anchors.
    const doxygen = '<meta name="generator" content="Doxygen 1.9.1">';
    expect(page(doxygen, '<div class="contents"><table class="directory"><tr><td>Teapot</td></tr></table></div>').leftOut).toBe('listing');
    expect(page(doxygen, '<div class="contents"><h3><a id="index_s"></a>- s -</h3><ul><li>steep()</li></ul></div>').leftOut).toBe('listing');
    expect(page('', '<h1>T</h1><table class="directory"><tr><td>a</td></tr></table><p><a id="index_s">s</a></p>').leftOut).toBeUndefined();
    expect(page('<meta name="generator" content="Sphinx 5.3">', '<h1>T</h1><table class="directory"><tr><td>a</td></tr></table>').leftOut).toBeUndefined();
    // Sphinx's viewcode pages: a module's highlighted source, and the list of them; not a page elsewhere, nor one of prose there.
    const source = '<h1>Source code for teapot</h1><div class="highlight"><pre><a class="viewcode-back" href="../brewing.html#teapot.Pot">[docs]</a>class Pot: pass</pre></div>';
    expect(page('', source, '/_modules/teapot.html').leftOut).toBe('listing');
    expect(page('', source, '/api/_modules/teapot/kettle.html').leftOut).toBe('listing');
    expect(page('', '<h1>All modules for which code is available</h1><ul><li><a href="teapot.html">teapot</a></li></ul>', '/_modules/').leftOut).toBe('listing');
    expect(page('', source, '/modules/teapot.html').leftOut).toBeUndefined();
    expect(page('', '<h1>Modules</h1><p>How modules load.</p>', '/_modules/guide.html').leftOut).toBeUndefined();
    expect(page('<meta name="sgpt-search" content="index">', source, '/_modules/teapot.html').leftOut).toBeUndefined();
    expect(page('<meta name="sgpt-search" content="index"><link rel="index" href="#">').sections).toHaveLength(1);
    expect(page('<meta name="robots" content="noindex"><link rel="index" href="#">').leftOut).toBe('noindex');
  });
});
