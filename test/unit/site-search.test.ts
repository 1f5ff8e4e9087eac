import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { defaultModelSource } from '../../src/build/default-model';
import { Embedder } from '../../src/embed/embedder';
import { fsLoader } from '../../src/index/node-files';
import type { FileLoader } from '../../src/index/reader';
import { extractSite } from '../../src/extract/site';
import { keywordText } from '../../src/search/texts';
import { Bm25Index } from '../../src/search/bm25';
import { FUSION_DEPTH } from '../../src/search/fusion';
import { fuseRanking } from '../../src/search/ranking';
import { highlightRanges } from '../../src/search/excerpt';
import { KEYWORD_HITS_PROBED, SiteSearch, type SiteHit } from '../../src/index/site-search';
import { FORMAT_VERSION, parseBucket } from '../../src/index/format';
import type { SgptError } from '../../src/errors';
import { asVersion7, readIndexDir, writeIndexDir } from '../older-formats';

let out: string;
let embedder: Embedder;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'sgpt-site-search-'));
  await buildSiteIndex({ site: 'test/fixtures/site', out, shards: 2, probe: 1, weight: 0.7 });
  embedder = await Embedder.load(defaultModelSource());
});

afterAll(async () => {
  await embedder?.dispose();
  await rm(out, { recursive: true, force: true });
});

/** The fs loader, recording which files were read. */
function recording(): { load: FileLoader; read: string[] } {
  const read: string[] = [];
  const inner = fsLoader(out);
  return { read, load: (name) => (read.push(name), inner(name)) };
}

const marked = (text: string, ranges: Array<[number, number]>) => ranges.map(([a, b]) => text.slice(a, b));

describe('highlightRanges', () => {
  it('marks words that match the query as the keyword index does (stemmed, stop words dropped)', () => {
    const text = 'Generators yield values; a generator is lazy.';
    expect(marked(text, highlightRanges(text, 'what is a generator '))).toEqual(['Generators', 'generator']);
    expect(highlightRanges(text, 'what is a generator ')).toEqual([
      [0, 10],
      [27, 36], // "Generators yield values; a " is 27 characters
    ]);
  });

  it('marks a partly typed last word as a prefix, but not a single letter', () => {
    const text = 'Steeping is slow; steep longer.';
    expect(marked(text, highlightRanges(text, 'stee'))).toEqual(['Steeping', 'steep']);
    expect(highlightRanges(text, 's')).toEqual([]);
  });

  it('returns offsets only: markup in the text is never interpreted', () => {
    const text = '<b>bold</b> text';
    expect(marked(text, highlightRanges(text, 'bold '))).toEqual(['bold']);
  });
});

describe('SiteSearch', () => {
  it('answers keyword queries without reading any vectors', async () => {
    const { load, read } = recording();
    const search = await SiteSearch.open(load);
    const hits = await search.keywordSearch('kett', 3); // prefix of "kettle"
    expect(hits[0]!.url).toMatch(/^\/guide\/install\.html#/);
    expect(hits.every((h) => !h.semantic)).toBe(true);
    expect(read.some((name) => name.startsWith('vectors-') || name.startsWith('centroids'))).toBe(false);
    expect(read.some((name) => name.startsWith('hashes'))).toBe(false);
    expect(hits[0]!.highlights.length).toBeGreaterThan(0);
    const hit = hits[0]!;
    expect(hit).toMatchObject({ pageTitle: 'Installing Teapot' });
    expect(hit.headingPath[0]).toBe('Installing Teapot');
  });

  it('fuses keyword and semantic rankings with the manifest weight, reading only the probed shards', async () => {
    const { load, read } = recording();
    const search = await SiteSearch.open(load);
    expect(search.manifest.fusion).toEqual({ method: 'convex', semanticWeight: 0.7 }); // --weight alone: a fixed share
    const query = 'brew coffee';
    const vector = await embedder.embedQuery(query);
    const hits = await search.semanticSearch(query, vector, { limit: 5 });
    expect(hits.length).toBe(5);
    expect(hits.every((h) => h.semantic)).toBe(true);
    // The manifest's fusion over the BM25 (as you type) and cosine scores of each ranking's top FUSION_DEPTH.
    const keyword = await search.keywordSearchWithMatch(query, FUSION_DEPTH);
    const sections = keyword.hits.map((hit) => hit.index);
    const shards = await search.shardsToRead(vector, undefined, null, sections);
    expect(read.filter((name) => name.startsWith('vectors-')).sort()).toEqual(shards.map((k) => search.manifest.shards[k]!.name).sort());
    const dense = (await search.vectorSearch(vector, FUSION_DEPTH, undefined, null, null, sections)).map((h) => ({ id: h.section, score: h.score }));
    expect(hits.map((h) => [h.section, h.score])).toEqual(fuseRanking(query, keyword, dense, search.manifest.fusion, 5).map((h) => [h.id, h.score]));
    // A page may ask for RRF: its scores are at most 0.3/61 + 0.7/61.
    const rrf = await search.semanticSearch(query, vector, { limit: 5, fusion: { method: 'rrf', semanticWeight: 0.7 } });
    expect(rrf.map((h) => h.section)).toEqual(fuseRanking(query, keyword, dense, { method: 'rrf', semanticWeight: 0.7 }, 5).map((h) => h.id));
    expect(rrf[0]!.score).toBeLessThanOrEqual(1 / 61 + 1e-12);
    for (const method of ['rrf', 'convex'] as const) {
      const keywordOnly = await search.semanticSearch(query, vector, { limit: 5, fusion: { method, semanticWeight: 0 } });
      expect(keywordOnly.map((h) => h.section)).toEqual((await search.keywordSearch(query, 5)).map((h) => h.section));
    }
  });

  it('marks the last word as the ranking read it: a prefix as you type, in the fused ranking the word when the index has it', async () => {
    const search = await SiteSearch.open(fsLoader(out));
    const query = 'install tea'; // "tea" is a word of the fixture, and begins "Teapot"
    const words = (hits: SiteHit[]) => hits.flatMap((hit) => marked(hit.excerpt, hit.highlights).map((word) => word.toLowerCase()));
    const typing = await search.keywordSearch(query, 5);
    const fused = await search.semanticSearch(query, await embedder.embedQuery(query), { limit: 5 });
    expect(words(typing)).toContain('teapot');
    expect(typing.every((hit) => hit.highlightQuery === query)).toBe(true);
    expect(words(fused)).toContain('tea');
    expect(words(fused)).not.toContain('teapot');
    expect(fused.every((hit) => hit.highlightQuery === 'install tea ')).toBe(true);
  });

  it('scores keyword queries exactly as the whole BM25 index does, reading only the section buckets shown', async () => {
    const sections = (await extractSite('test/fixtures/site')).flatMap((p) => p.sections);
    const whole = Bm25Index.build(sections.map(keywordText));
    for (const query of ['kettle', 'kett', 'brew coffee', 'steeping tea ', 'te', 'what is a generator', 'unknownword']) {
      const { load, read } = recording();
      const search = await SiteSearch.open(load);
      const hits = await search.keywordSearch(query, 5);
      expect(hits.map((h) => [h.section, h.score]), query).toEqual(whole.search(query, 5, { prefix: true }).map((h) => [h.index, h.score]));
      expect(read.filter((name) => name.startsWith('sections-')).length).toBeLessThanOrEqual(hits.length);
    }
  });

  it('lists in each section\'s bucket entry the shards that hold its windows', async () => {
    const search = await SiteSearch.open(fsLoader(out));
    expect(search.manifest.version).toBe(FORMAT_VERSION);
    const holders = (await search.reader.allSections()).map(() => new Set<number>());
    for (let k = 0; k < search.manifest.shards.length; k++) for (const s of (await search.reader.shard(k)).owner) holders[s]!.add(k);
    expect((await search.reader.allSections()).map((info) => info.shards)).toEqual(holders.map((set) => [...set].sort((a, b) => a - b)));
  });

  it('reads the shards of the best keyword hits besides the nearest, so those hits fuse with their exact cosine', async () => {
    const search = await SiteSearch.open(fsLoader(out));
    const query = 'brew coffee';
    const vector = await embedder.embedQuery(query);
    const keyword = (await search.keywordSearchWithMatch(query, FUSION_DEPTH)).hits.map((hit) => hit.index);
    const nearest = await search.reader.nearestShards(vector, 1);
    const own = [...(await search.reader.sections(keyword.slice(0, KEYWORD_HITS_PROBED))).values()].flatMap((info) => info.shards!);
    expect(own.some((shard) => !nearest.includes(shard))).toBe(true); // the case this is for: a top keyword hit outside the probe
    expect(new Set(await search.shardsToRead(vector, 1, null, keyword))).toEqual(new Set([...nearest, ...own]));
    const exact = new Map((await search.vectorSearch(vector, 100, search.manifest.shards.length)).map((hit) => [hit.section, hit.score]));
    const probed = await search.vectorSearch(vector, 100, 1, null, null, keyword);
    for (const section of keyword.slice(0, KEYWORD_HITS_PROBED)) expect(probed.find((hit) => hit.section === section)?.score).toBe(exact.get(section));
    // Without keyword hits, the nearest shards alone (as before version 8).
    expect(await search.shardsToRead(vector, 1)).toEqual(nearest);
  });

  it('reads a version 7 index (no shard lists): a semantic query reads the nearest shards only', async () => {
    const old = await mkdtemp(join(tmpdir(), 'sgpt-site-search-v7-'));
    try {
      await writeIndexDir(old, await asVersion7(await readIndexDir(out)));
      const search = await SiteSearch.open(fsLoader(old));
      expect(search.manifest.version).toBe(7);
      expect((await search.reader.allSections()).every((info) => info.shards === null)).toBe(true);
      const query = 'brew coffee';
      const vector = await embedder.embedQuery(query);
      const keyword = (await search.keywordSearchWithMatch(query, FUSION_DEPTH)).hits.map((hit) => hit.index);
      expect(await search.shardsToRead(vector, 1, null, keyword)).toEqual(await search.reader.nearestShards(vector, 1));
      expect((await search.semanticSearch(query, vector, { limit: 5 })).length).toBe(5);
    } finally {
      await rm(old, { recursive: true, force: true });
    }
  });

  it('refuses a bucket whose shard lists are not ascending shard numbers of the index', () => {
    const ref = { name: 'sections-0.0123456789abcdef.json.gzip', bytes: 1, first: 0, count: 1 };
    const bucket = (shards: unknown) => ({ pages: [{ index: 0, url: '/a.html', title: 'A' }], sections: [{ page: 0, anchor: '', title: 'A', up: [], excerpt: 'x', shards }], texts: [{ count: 1 }] });
    expect(parseBucket(ref.name, bucket([0, 2]), ref, 8, 3)[0]!.shards).toEqual([0, 2]);
    for (const [shards, message] of [
      [undefined, /sections\[0\]\.shards must be a non-empty array/],
      [[], /must be a non-empty array/],
      [[3], /sections\[0\]\.shards\[0\] is 3, not a shard number below 3/],
      [[-1], /is -1, not a shard number/],
      [[0.5], /is 0\.5, not a shard number/],
      [[2, 1], /must be ascending without repeats/],
      [[1, 1], /must be ascending without repeats/],
    ] as const) {
      const error = (() => {
        try {
          parseBucket(ref.name, bucket(shards), ref, 8, 3);
        } catch (e) {
          return e as SgptError;
        }
        throw new Error(`accepted ${JSON.stringify(shards)}`);
      })();
      expect(error.code).toBe('INDEX_INVALID');
      expect(error.message).toMatch(message);
    }
  });

  it('refuses a query vector of the wrong size', async () => {
    const search = await SiteSearch.open(fsLoader(out));
    await expect(search.vectorSearch(new Float32Array(3), 5)).rejects.toMatchObject({ code: 'INDEX_MODEL_MISMATCH' });
  });

  it("shows a heading with no text of its own by its first subsection's opening, unless that subsection is a hit too", async () => {
    const site = await mkdtemp(join(tmpdir(), 'sgpt-heading-only-site-'));
    const index = await mkdtemp(join(tmpdir(), 'sgpt-heading-only-'));
    try {
      // A Sphinx-like page: "Sleeping" holds only an API entry; "Waiting" closes the page with nothing under it.
      await writeFile(join(site, 'tasks.html'), `<!doctype html><html lang="en"><head><title>Tasks</title></head><body><main>
<h1 id="tasks">Tasks</h1><p>Run coroutines concurrently.</p>
<h2 id="sleeping">Sleeping</h2><h3 id="sleep">sleep()</h3><p>Block for delay seconds, then return the result.</p>
<h2 id="waiting">Waiting</h2></main></body></html>`);
      await writeFile(join(site, 'zebra.html'), '<!doctype html><html lang="en"><head><title>Zebra</title></head><body><main><h1>Zebra</h1><p>Stripes for waiting.</p></main></body></html>');
      await buildSiteIndex({ site, out: index, model: 'test/fixtures/models/tiny-gpt2' });
      const search = await SiteSearch.open(fsLoader(index));
      for (const passages of [true, false]) {
        const [sleeping] = await search.keywordSearch('sleeping ', 1, undefined, undefined, passages);
        expect(sleeping).toMatchObject({ title: 'Sleeping', excerpt: 'Block for delay seconds, then return the result.' });
        expect(marked(sleeping!.excerpt, sleeping!.highlights)).toEqual([]);
        // The subsection is a hit of its own: the heading keeps its (empty) text rather than repeat it.
        const both = await search.keywordSearch('sleeping block delay ', 5, undefined, undefined, passages);
        expect(both.map((hit) => [hit.title, hit.excerpt])).toEqual(
          expect.arrayContaining([['sleep()', 'Block for delay seconds, then return the result.'], ['Sleeping', '']]),
        );
        // The next section is another page's: nothing to borrow.
        const [waiting] = await search.keywordSearch('waiting ', 1, undefined, undefined, passages);
        expect(waiting).toMatchObject({ title: 'Waiting', excerpt: '' });
      }
    } finally {
      await rm(site, { recursive: true, force: true });
      await rm(index, { recursive: true, force: true });
    }
  });
});
