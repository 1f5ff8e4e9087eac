import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { defaultModelSource } from '../../src/build/default-model';
import { Embedder } from '../../src/embed/embedder';
import { extractSite } from '../../src/extract/site';
import { dequantize } from '../../src/index/int8';
import { fsLoader, openIndexDir } from '../../src/index/node-files';
import { embeddingText } from '../../src/search/texts';
import { SiteSearch } from '../../src/index/site-search';
import { cosine } from '../support';

const SITE = 'test/fixtures/site';
let work: string;
let embedder: Embedder;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-roundtrip-'));
  embedder = await Embedder.load(defaultModelSource());
});

afterAll(async () => {
  await embedder?.dispose();
  await rm(work, { recursive: true, force: true });
});


/** The id a URL's fragment points to exists in the fixture page it names. */
async function anchorExists(url: string): Promise<boolean> {
  const [path, fragment] = url.split('#');
  const html = await readFile(join(SITE, path!.endsWith('/') ? `${path}index.html` : path!), 'utf8');
  return fragment === undefined || new RegExp(`(id|name)="?${decodeURIComponent(fragment)}[" >]`).test(html);
}

describe('index round trip on the fixture site', () => {
  it('stores every section with its anchor, and int8 vectors within cosine 0.999 of the engine output', async () => {
    const out = join(work, 'one');
    const summary = await buildSiteIndex({ site: SITE, out });
    expect(summary.built).toMatchObject({ pages: 4, sections: 14, embedded: 14, reused: 0, shards: 1 });
    const reader = await openIndexDir(out);
    const pages = await extractSite(SITE);
    const sections = pages.flatMap((p) => p.sections.map((s) => ({ ...s, pageTitle: p.title })));
    const stored = await reader.allSections();
    expect(stored.map((s) => s.anchor)).toEqual(sections.map((s) => s.anchor));
    expect(stored.map((s) => s.headingPath)).toEqual(sections.map((s) => s.headingPath));
    expect(stored.map((s) => [s.url, s.pageTitle, s.title])).toEqual(sections.map((s) => [s.url, s.pageTitle, s.title]));

    const fresh = await embedder.embed(sections.map((s) => embeddingText(s.pageTitle, s.headingPath, s.text)), 'document');
    const shard = await reader.shard(0);
    const vectors = dequantize(shard, shard.dims);
    const dims = shard.dims;
    for (let r = 0; r < shard.rows; r++) {
      const section = shard.owner[r]!;
      expect(cosine(vectors.subarray(r * dims, (r + 1) * dims), fresh.vectors.subarray(section * dims, (section + 1) * dims))).toBeGreaterThanOrEqual(0.999);
    }
  });

  it('finds a section by its own vector, and links every hit to an anchor that exists', async () => {
    const out = join(work, 'one');
    const search = await SiteSearch.open(fsLoader(out));
    const pages = await extractSite(SITE);
    const install = pages.find((p) => p.url === '/guide/install.html')!;
    const target = install.sections[2]!; // "Building from source"
    const [vector] = [(await embedder.embed([embeddingText(install.title, target.headingPath, target.text)], 'document')).vectors];
    const [best] = await search.vectorSearch(vector!, 3);
    expect((await search.reader.sections([best!.section])).get(best!.section)!.anchor).toBe('from-source');
    expect(best!.score).toBeGreaterThan(0.99);

    for (const query of ['kettle', 'coffee teapot', 'yield generator', 'steeping tea']) {
      const hits = await querySiteIndex({ index: out, query, limit: 5 });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((h) => h.semantic)).toBe(true);
      for (const hit of hits) expect(await anchorExists(hit.url), hit.url).toBe(true);
    }
  });

  it('reuses the vectors of unchanged sections on rebuild', async () => {
    const site = join(work, 'site');
    const out = join(work, 'incremental');
    await cp(SITE, site, { recursive: true });
    await buildSiteIndex({ site, out });
    const before = await openIndexDir(out);
    const oldVectors = dequantize(await before.shard(0), before.manifest.model.dims);

    const page = join(site, 'guide/install.html');
    await writeFile(page, (await readFile(page, 'utf8')).replace('a working water supply', 'a kettle and fresh water'));
    const summary = await buildSiteIndex({ site, out });
    expect(summary.built).toMatchObject({ sections: 14, embedded: 1, reused: 13 });
    const after = await openIndexDir(out);
    const newVectors = dequantize(await after.shard(0), after.manifest.model.dims);
    const requirements = (await after.allSections()).findIndex((s) => s.anchor === 'requirements');
    const dims = after.manifest.model.dims;
    for (let s = 0; s < 14; s++) {
      const same = cosine(oldVectors.subarray(s * dims, (s + 1) * dims), newVectors.subarray(s * dims, (s + 1) * dims)) > 0.99999;
      expect(same, `section ${s}`).toBe(s !== requirements);
    }
    expect((await querySiteIndex({ index: out, query: 'fresh water', limit: 1, keywordOnly: true }))[0]!.url).toBe('/guide/install.html#requirements');

    // Two sections with the same text keep one set of rows each, build after build.
    const faq = join(site, 'faq.html');
    await writeFile(faq, (await readFile(faq, 'utf8')).replace('</table>', '</table><h2>Twin</h2><p>Same text.</p><h2>Twin</h2><p>Same text.</p>'));
    const first = await buildSiteIndex({ site, out });
    const second = await buildSiteIndex({ site, out });
    expect(first.built).toMatchObject({ sections: 16, embedded: 2 });
    expect(second.built).toMatchObject({ sections: 16, embedded: 0, vectors: first.built.vectors });
  });

  it('splits vectors into IVF shards that a query probes, exact when it probes them all', async () => {
    const out = join(work, 'sharded');
    await buildSiteIndex({ site: SITE, out, shards: 3, probe: 1 });
    const search = await SiteSearch.open(fsLoader(out));
    expect(search.manifest.shards).toHaveLength(3);
    expect(search.manifest.probe).toBe(1);
    const single = await SiteSearch.open(fsLoader(join(work, 'one')));
    const query = await embedder.embedQuery('how to configure the build');
    const all = await search.vectorSearch(query, 14, 3);
    const exact = await single.vectorSearch(query, 14);
    expect(all.map((h) => h.section)).toEqual(exact.map((h) => h.section));
    const probed = await search.vectorSearch(query, 14); // manifest default: one shard
    expect(probed.length).toBeLessThan(14);
    expect(probed.length).toBeGreaterThan(0);
    // Without --probe, the writer's policy (at least 12, an eighth of a big index): all 4.
    const policy = join(work, 'probe-policy');
    await buildSiteIndex({ site: SITE, out: policy, shards: 4 });
    expect((await SiteSearch.open(fsLoader(policy))).manifest.probe).toBe(4);
  });
});

describe('query --index', () => {
  it('embeds the query in the index\'s mode and refuses another model', async () => {
    const out = join(work, 'symmetric');
    await buildSiteIndex({ site: SITE, out, mode: 'symmetric' });
    const hits = await querySiteIndex({ index: out, query: 'milk', limit: 3 });
    expect(hits[0]!.url).toBe('/guide/install.html#configure-options');
    // The same weights under another name are another model as far as the index can tell.
    const other = join(work, 'other-gpt2');
    await cp(defaultModelSource(), other, { recursive: true });
    await expect(querySiteIndex({ index: out, query: 'milk', model: other })).rejects.toMatchObject({
      code: 'INDEX_MODEL_MISMATCH',
      message: expect.stringContaining('"other-gpt2"'),
    });
  });
});
