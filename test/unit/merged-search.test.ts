/**
 * Several site indexes searched as one (src/index/merged-search): a docs site and its blog, each
 * indexed alone, rank exactly as one index built over both sites' pages — keyword, typos, fused,
 * filtered and facets — and indexes of different models are refused.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { queryCommand } from '../../src/cli/query-command';
import { openSiteIndex } from '../../src/index';
import { Embedder } from '../../src/embed/embedder';
import { parsePathRule, type Filters } from '../../src/extract/filters';
import { MergedSiteSearch } from '../../src/index/merged-search';
import { fsLoader } from '../../src/index/node-files';
import { KEYWORD_HITS_PROBED, SiteSearch, type SiteHit } from '../../src/index/site-search';
import type { FileLoader } from '../../src/index/reader';

const MODEL = 'test/fixtures/models/tiny-gpt2';

const page = (title: string, lang: string, meta: string, ...sections: Array<[string, string]>) =>
  `<html lang="${lang}"><head><title>${title}</title>${meta}</head><body><main><h1>${title}</h1>${sections.map(([h, p]) => `<h2 id="${h.toLowerCase().replace(/\W+/g, '-')}">${h}</h2><p>${p}</p>`).join('')}</main></body></html>`;

// Paths sort blog/ before docs/, so one index over both holds the blog's sections first, as the merge numbers them.
const BLOG: Record<string, string> = {
  'blog/release.html': page('Release notes', 'en', '<meta name="sgpt-filter" content="type:news">', ['Generators', 'The new release makes generators faster and iterators lazier.'], ['Packaging', 'Install the package with apt or pip.']),
  'blog/tips.html': page('Tips for json', 'en', '', ['Encoding', 'Tips for encoding json documents quickly.'], ['Reading files', 'Read a file line by line with a for loop.']),
  'blog/de.html': page('Neuigkeiten', 'de', '', ['Pakete', 'Die neuen Pakete werden schneller installiert.']),
};
const DOCS: Record<string, string> = {
  'docs/json.html': page('json module', 'en', '<meta name="sgpt-filter" content="type:api">', ['Encoders', 'The json module encodes and decodes JSON documents.'], ['Decoders', 'Decoding json text into Python objects.']),
  'docs/generators.html': page('Generators', 'en', '<meta name="sgpt-filter" content="type:guide">', ['Yield', 'A generator yields values lazily; iterators and generators explained.'], ['Send', 'Send values into a generator.']),
  'docs/files.html': page('Reading and writing files', 'en', '<meta name="sgpt-filter" content="type:guide">', ['Open', 'Open a file, read it line by line, write lines back.']),
  // A long section whose opening lines lack its last word: an excerpt at the match shows it.
  'docs/history.html': page('History', 'en', '', ['Origins', `${'Airships drifted slowly over quiet valleys while travellers watched the clouds below them. '.repeat(6)}Count Zeppelin built the first rigid airship. ${'Bakers knead the dough at dawn and bake warm loaves in stone ovens. '.repeat(12)}`]),
};

let dir: string;
const out = (name: string) => join(dir, name, 'sgpt');

async function site(name: string, pages: Record<string, string>): Promise<void> {
  for (const [path, html] of Object.entries(pages)) {
    await mkdir(join(dir, name, dirname(path)), { recursive: true });
    await writeFile(join(dir, name, path), html);
  }
  await buildSiteIndex({ site: join(dir, name), out: out(name), model: MODEL, shards: 1, runtime: false, shipModel: false, filterFromPath: [parsePathRule('area=^/(\\w+)/')] });
}

/** A hit without what differs between the two layouts (section numbers, which index). */
const plain = (hits: SiteHit[]) => hits.map(({ url, title, excerpt, highlights, score, semantic }) => ({ url, title, excerpt, highlights, score, semantic }));

describe('several site indexes on one scale', () => {
  let merged: MergedSiteSearch;
  let one: SiteSearch;
  let embedder: Embedder;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sgpt-merged-'));
    await site('blog', BLOG);
    await site('docs', DOCS);
    await site('both', { ...BLOG, ...DOCS });
    merged = await MergedSiteSearch.open([fsLoader(out('blog')), fsLoader(out('docs'))], ['blog', 'docs']);
    one = await SiteSearch.open(fsLoader(out('both')));
    embedder = await Embedder.load(MODEL, { settings: { mode: one.manifest.model.mode } });
  }, 120_000);
  afterAll(async () => {
    await embedder?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('ranks keyword results exactly as one index built over both sites, typos and languages included', async () => {
    for (const query of ['generators', 'json documents', 'read a file line', 'the generat', 'genrators iterators', 'packge', 'nothing matches this']) {
      for (const lang of [undefined, 'en']) expect(plain(await merged.keywordSearch(query, 10, lang))).toEqual(plain(await one.keywordSearch(query, 10, lang)));
    }
    expect(plain(await merged.keywordSearch('Pakete', 10, 'de'))).toEqual(plain(await one.keywordSearch('Pakete', 10, 'de')));
    const hits = await merged.keywordSearch('generators', 10);
    expect(new Set(hits.map((h) => h.site))).toEqual(new Set([0, 1])); // hits from both, each naming its index
    expect(hits.find((h) => h.site === 1)!.url).toMatch(/^\/docs\//);
    const fixed = await merged.keywordSearch('genrators', 10, 'en');
    expect(fixed.length).toBeGreaterThan(2); // corrected over both sites' words
    expect(new Set(fixed.map((h) => h.site))).toEqual(new Set([0, 1]));
    expect((await merged.keywordSearch('Pakete', 10, 'de')).map((h) => h.url)).toEqual(['/blog/de.html#pakete']);
  });

  it('fuses the merged keyword and dense lists as one index does', async () => {
    for (const query of ['how do I read a file line by line', 'generators', 'encode json']) {
      const vector = await embedder.embedQuery(query);
      const [m, o] = [plain(await merged.semanticSearch(query, vector, { limit: 8 })), plain(await one.semanticSearch(query, vector, { limit: 8 }))];
      expect(m.map((h) => h.url)).toEqual(o.map((h) => h.url));
      m.forEach((hit, i) => expect(hit.score).toBeCloseTo(o[i]!.score, 5));
    }
  });

  it("cuts excerpts at the match from each index's own text files, as one index does", async () => {
    const [hit] = await merged.keywordSearch('zeppelin', 5);
    expect(hit).toMatchObject({ site: 1, url: '/docs/history.html#origins' });
    expect(hit!.excerpt).toMatch(/^….*Zeppelin built/);
    expect(hit!.highlights.map(([a, b]) => hit!.excerpt.slice(a, b))).toEqual(['Zeppelin']);
    expect((await merged.keywordSearch('zeppelin', 5, undefined, undefined, false))[0]!.excerpt).toMatch(/^Airships/); // the opening lines, no text file read
    for (const query of ['zeppelin', 'airship', 'generators', 'read a file line']) expect(plain(await merged.keywordSearch(query, 10))).toEqual(plain(await one.keywordSearch(query, 10)));
    const windows = async (texts: string[]) => texts.map((text) => embedder.windows(text, 'document'));
    for (const query of ['who built the first rigid airship', 'clouds over the valleys', 'zeppelin', 'a warm loaf', 'loaf of bread']) {
      const vector = await embedder.embedQuery(query);
      const m = plain(await merged.semanticSearch(query, vector, { limit: 8, windows }));
      const o = plain(await one.semanticSearch(query, vector, { limit: 8, windows }));
      expect(m.map(({ url, excerpt, highlights }) => ({ url, excerpt, highlights }))).toEqual(o.map(({ url, excerpt, highlights }) => ({ url, excerpt, highlights })));
    }
  });

  it('applies filters per index (an index without the key passes nothing) and adds facets up', async () => {
    const vector = await embedder.embedQuery('json');
    for (const filters of [{ area: ['docs'] } as Filters, { type: ['news', 'api'] }, { area: ['blog'], type: ['news'] }]) {
      const keyword = plain(await merged.keywordSearch('json generators', 10, 'en', filters));
      expect(keyword.length).toBeGreaterThan(0);
      expect(keyword).toEqual(plain(await one.keywordSearch('json generators', 10, 'en', filters)));
      const semantic = plain(await merged.semanticSearch('json', vector, { limit: 5, filters, language: 'en' })).map((h) => h.url);
      expect(semantic.length).toBeGreaterThan(0);
      expect(semantic).toEqual(plain(await one.semanticSearch('json', vector, { limit: 5, filters, language: 'en' })).map((h) => h.url));
      expect(await merged.facets('json generators', filters, 'en')).toEqual(await one.facets('json generators', filters, 'en'));
    }
    expect(await merged.facets('json', {}, 'en')).toEqual(await one.facets('json', {}, 'en'));
    expect((await merged.facets('json', {}, 'en')).area).toEqual({ blog: 2, docs: 3 });
    await expect(merged.keywordSearch('json', 5, undefined, { release: ['1'] })).rejects.toThrow(/filter key "release" is not in any of the indexes \(they have "area", "type"\)/);
  });

  it('takes several folders in the Node API and the CLI query, rows naming their index', async () => {
    const index = await openSiteIndex([out('blog'), out('docs')], { model: MODEL });
    const whole = await openSiteIndex(out('both'), { model: MODEL });
    try {
      const hits = await index.query('read a file line by line', { limit: 6, lang: 'en' });
      expect(plain(hits).map((h) => h.url)).toEqual(plain(await whole.query('read a file line by line', { limit: 6, lang: 'en' })).map((h) => h.url));
      expect(hits.every((h) => (h.site === 0) === h.url.startsWith('/blog/'))).toBe(true);
    } finally {
      await Promise.all([index.dispose(), whole.dispose()]);
    }
    let printed = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((printed += String(chunk)), true));
    try {
      await queryCommand(['--index', out('blog'), '--index', out('docs'), '--keyword-only', '--lang', 'en', '--facets', 'json']);
    } finally {
      write.mockRestore();
    }
    const { hits, facets } = JSON.parse(printed);
    expect(new Set(hits.map((h: { index: string; url: string }) => `${h.index}|${h.url.split('/')[1]}`))).toEqual(new Set([`${out('blog')}|blog`, `${out('docs')}|docs`]));
    expect(facets.area).toEqual({ blog: 2, docs: 3 });
  });

  it('reads in each index the nearest shards and those holding its sections among the best keyword hits', async () => {
    const names = ['blog', 'docs'] as const;
    const sharded = (name: string) => join(dir, name, 'sgpt-sharded');
    for (const name of names) await buildSiteIndex({ site: join(dir, name), out: sharded(name), model: MODEL, shards: 3, probe: 1, runtime: false, shipModel: false });
    const reads: string[][] = [[], []];
    const loaders = names.map((name, i): FileLoader => {
      const inner = fsLoader(sharded(name));
      return (file) => (reads[i]!.push(file), inner(file));
    });
    const search = await MergedSiteSearch.open(loaders, [...names]);
    const query = 'encode json'; // the last word whole: the fused keyword list ranks as keywordSearch does
    const vector = await embedder.embedQuery(query);
    const best = (await search.keywordSearch(query, KEYWORD_HITS_PROBED)).map((hit) => ({ site: hit.site!, section: hit.section }));
    reads.forEach((list) => (list.length = 0));
    await search.semanticSearch(query, vector, { limit: 5 });
    let beyondProbe = 0;
    for (const [i, site] of search.sites.entries()) {
      const mine = best.filter((hit) => hit.site === i).map((hit) => hit.section);
      const expected = await site.shardsToRead(vector, 1, null, mine);
      beyondProbe += expected.length - (await site.reader.nearestShards(vector, 1)).length;
      expect(reads[i]!.filter((file) => file.startsWith('vectors-')).sort()).toEqual(expected.map((k) => site.manifest.shards[k]!.name).sort());
    }
    expect(beyondProbe).toBeGreaterThan(0); // the case this is for
  });

  it('refuses indexes of different models, naming both', async () => {
    const otherModel = (load: FileLoader, patch: (model: Record<string, unknown>) => void): FileLoader => async (name) => {
      const bytes = await load(name);
      if (name !== 'manifest.json') return bytes;
      const json = JSON.parse(new TextDecoder().decode(bytes));
      patch(json.model);
      return new TextEncoder().encode(JSON.stringify(json));
    };
    await expect(MergedSiteSearch.open([fsLoader(out('blog')), otherModel(fsLoader(out('docs')), (m) => ((m.id = 'gpt-neo'), (m.dims = 128)))], ['blog/sgpt/manifest.json', 'docs/sgpt/manifest.json'])).rejects.toThrow(
      /docs\/sgpt\/manifest\.json was built with model "gpt-neo" \(asymmetric, 128 dims\) but blog\/sgpt\/manifest\.json with "tiny-gpt2" \(asymmetric, 64 dims\)/,
    );
    await expect(MergedSiteSearch.open([fsLoader(out('blog')), otherModel(fsLoader(out('docs')), (m) => (m.hash = 'f'.repeat(64)))], ['blog', 'docs'])).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
    await expect(MergedSiteSearch.open([], [])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});
