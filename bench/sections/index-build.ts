/**
 * The site index on the Python 3.11 docs (Debian python3.11-doc, 530 pages; fetched by
 * scripts/fetch-python-docs.sh): build time and size in Node, then in headless Chromium the bytes
 * and milliseconds from page load to the first keyword result and to the first semantic result.
 *
 * In-run baselines: the build against a keyword-only pass over the same pages (extraction, BM25
 * and section files, no model); bytes against storing float32 vectors; the keyword stage's bytes
 * against every keyword and section file (format version 1 read its whole keyword index and
 * section list up front: 675 KB for 4,566 sections at commit 3830ccf); the semantic stage against the same page with every
 * vector shard downloaded (probe = all shards, i.e. no IVF). Pagefind 1.6.0's numbers on the same
 * site (shared/design/TARGETS.md, measured on this kind of machine, not in this run) are reference
 * rows.
 *
 *   npm run bench -- index-build [--model <folder>]
 *   SGPT_BENCH_CACHE_DIR=<dir> npm run bench -- index-build     # keep the embedding cache between runs
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { buildSiteIndex } from '../../src/build/site-build';
import { openIndexDir } from '../../src/index/node-files';
import { decodeHead } from '../../src/search/bm25';
import { routeSite } from '../../test/e2e/site-route';
import { withBenchBrowser } from '../browser';
import { keywordPass, rebuildRounds } from '../rebuild-rounds';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'index-build';
/** Sphinx's generated index pages (lists of every name) are navigation, not content. */
const QUERY = 'what is a generator';
/** Unchanged rebuilds, each against a keyword-only pass in the same round (the load of a shared machine varies). */
const REBUILD_ROUNDS = 3;
const PAGEFIND = 'Pagefind 1.6.0 (TARGETS.md, not this run)';

async function dirBytes(dir: string, only: RegExp = /./): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) if (only.test(name)) total += (await stat(join(dir, name))).size;
  return total;
}

interface BrowserRun {
  keywordMs: number;
  semanticMs: number;
  keywordBytes: number;
  keywordFiles: number;
  semanticBytes: number;
  vectorBytes: number;
  otherBytes: number;
}

/** One cold page load: ms and index bytes until the first keyword and the first semantic result. */
async function browserRun(browser: Browser, base: string, site: string, index: string, probeAll: boolean): Promise<BrowserRun> {
  const context = await browser.newContext({ baseURL: base });
  try {
    const page = await context.newPage();
    const route = await routeSite(page, '/pydocs/', site, {
      attributes: 'limit="5"',
      indexDir: index,
      manifest: probeAll ? (m) => (m.probe = m.shards.length) : undefined,
    });
    const otherSizes: Array<Promise<number>> = [];
    page.on('requestfinished', (request) => {
      if (!request.url().includes('/pydocs/')) otherSizes.push(request.sizes().then((s) => s.responseBodySize, () => 0));
    });
    const indexBytes = () => [...route.served.values()].reduce((a, b) => a + b, 0);
    await page.addInitScript((query) => {
      const w = window as unknown as { __marks: Record<string, number> };
      w.__marks = {};
      document.addEventListener('sgpt-results', (event) => {
        const { stage, query: q } = (event as CustomEvent).detail;
        if (q === query && w.__marks[stage] === undefined) w.__marks[stage] = performance.now();
      });
    }, QUERY);
    await page.goto('/pydocs/search.html');
    // Type as soon as the element is there, as a user who starts typing at once.
    await page.locator('sgpt-search#search').getByRole('combobox').fill(QUERY);
    await page.waitForFunction(() => (window as unknown as { __marks: Record<string, number> }).__marks.keyword !== undefined, null, { timeout: 120_000 });
    const keywordBytes = indexBytes();
    const keywordFiles = route.served.size;
    await page.waitForFunction(() => (window as unknown as { __marks: Record<string, number> }).__marks.semantic !== undefined, null, { timeout: 300_000 });
    const marks = await page.evaluate(() => (window as unknown as { __marks: Record<string, number> }).__marks);
    const vectorBytes = [...route.served].filter(([path]) => /sgpt\/(vectors|centroids)/.test(path)).reduce((a, [, b]) => a + b, 0);
    const otherBytes = (await Promise.all(otherSizes)).reduce((a, b) => a + b, 0);
    return { keywordMs: marks.keyword!, semanticMs: marks.semantic!, keywordBytes, keywordFiles, semanticBytes: indexBytes(), vectorBytes, otherBytes };
  } finally {
    await context.close();
  }
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-index-'));
  // Read as it is (the index goes elsewhere and is served as /pydocs/sgpt/); quick runs take the 17-page tutorial.
  const site = ctx.quick ? join(docs, 'tutorial') : docs;
  const out = join(work, 'sgpt');
  try {
    log(`${SECTION}: keyword-only pass (extract + BM25 + section files) over ${site}`);
    const keywordOnlySeconds = (await keywordPass(site, out, PYTHON_DOCS_EXCLUDE)).wall;

    log(`${SECTION}: full index build (model ${ctx.model ?? 'default'})`);
    // SGPT_BENCH_CACHE_DIR: an embedding cache kept between bench runs (the "full build" then embeds only what it lacks).
    const keptCache = process.env.SGPT_BENCH_CACHE_DIR;
    const cacheDir = keptCache ?? join(work, 'cache');
    const pageCache = join(work, 'page-cache');
    const full = await buildSiteIndex({ site, out, model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir, pageCache });
    log(`${SECTION}: rebuild with nothing changed, ${REBUILD_ROUNDS} rounds against the keyword-only pass`);
    const rounds = await rebuildRounds(site, out, { exclude: PYTHON_DOCS_EXCLUDE, model: ctx.model, rounds: REBUILD_ROUNDS, pageCache, log });
    log(`${SECTION}: build into an empty folder from the embedding cache (a CI job that keeps --cache-dir)`);
    const cached = await buildSiteIndex({ site, out: join(work, 'from-cache'), model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir });
    const reader = await openIndexDir(out);
    const m = reader.manifest;
    const bytes = await dirBytes(out);
    const withAnchor = (await reader.allSections()).filter((s) => s.anchor !== '').length;
    const keywordChunks = decodeHead(reader.keywordHead, m.keyword.name).chunks.length;
    // Without splitting, a page would read all of these before its first keyword result.
    const upFront = (await dirBytes(out, /^(manifest\.json|keyword\.|terms-|sections[.-])/));
    const float32Vectors = m.counts.vectors * m.model.dims * 4;
    const int8Vectors = m.shards.reduce((a, s) => a + s.bytes, 0);
    const note = `${m.model.id} (${m.model.dims} dims); ${m.counts.pages} pages (${PYTHON_DOCS_EXCLUDE.join(', ')} left out), ${m.counts.sections} sections, ${m.counts.vectors} vectors in ${m.shards.length} shards, probe ${m.probe}; keyword index in ${keywordChunks} chunks, sections in ${reader.sectionTable.buckets.length} buckets`;

    log(`${SECTION}: Chromium, cold page loads (IVF probe ${m.probe}, then every shard)`);
    const { ivf, all } = await withBenchBrowser(async (browser, base) => {
      await browserRun(browser, base, site, out, false); // warm-up: Vite transforms the modules once
      return { ivf: await browserRun(browser, base, site, out, false), all: await browserRun(browser, base, site, out, true) };
    });

    const kb = (n: number) => n / 1024;
    return [
      { section: SECTION, name: `${ctx.quick ? 'index build, tutorial only (quick)' : 'index build, whole site'}${keptCache ? ` (cache ${keptCache}: ${full.built.cached} sections from it)` : ''}`, value: full.seconds, unit: 's', baseline: { name: 'keyword-only pass (extract + BM25 + section files, no model)', value: keywordOnlySeconds }, note },
      { section: SECTION, name: 'index build, Pagefind', value: 8.8, unit: 's', note: `${PAGEFIND}; 530 pages` },
      ...rounds.map((round, i) => ({
        section: SECTION,
        name: `rebuild, nothing changed, with the page cache (round ${i + 1} of ${rounds.length})`,
        value: round.rebuild.wall,
        unit: 's',
        baseline: { name: 'keyword-only pass, same round', value: round.keyword.wall },
        note: `${round.reused} of ${round.sections} sections reused; every page from the page cache (the CLI's default); CPU ${round.rebuild.cpu.toFixed(1)} s vs ${round.keyword.cpu.toFixed(1)} s (${(round.rebuild.cpu / round.keyword.cpu).toFixed(2)}x); target ≤ 1.2x; full build ${full.seconds.toFixed(1)} s`,
      })),
      ...rounds.map((round, i) => ({
        section: SECTION,
        name: `rebuild, nothing changed, no cache (--no-cache) (round ${i + 1} of ${rounds.length})`,
        value: round.uncached.wall,
        unit: 's',
        baseline: { name: 'keyword-only pass, same round', value: round.keyword.wall },
        note: `every page parsed again; CPU ${round.uncached.cpu.toFixed(1)} s vs ${round.keyword.cpu.toFixed(1)} s (${(round.uncached.cpu / round.keyword.cpu).toFixed(2)}x); target ≤ 1.2x`,
      })),
      { section: SECTION, name: 'build from the embedding cache (--cache-dir), empty --out', value: cached.seconds, unit: 's', baseline: { name: 'keyword-only pass', value: keywordOnlySeconds }, note: `${cached.built.cached} of ${cached.built.sections} sections from the cache; writes the runtime and model too` },
      { section: SECTION, name: 'index bytes per section', value: bytes / m.counts.sections, unit: 'B', baseline: { name: 'same with float32 vectors', value: (bytes - int8Vectors + float32Vectors) / m.counts.sections }, note: `${(bytes / 1e6).toFixed(2)} MB in all; Pagefind: 9.2 MB for the site` },
      { section: SECTION, name: 'sections with an anchor', value: (100 * withAnchor) / m.counts.sections, unit: '%', note: `${withAnchor} of ${m.counts.sections}; Pagefind found none on this site` },
      { section: SECTION, name: 'first keyword result, from page load', value: ivf.keywordMs, unit: 'ms', baseline: { name: 'every shard downloaded', value: all.keywordMs }, note: `query "${QUERY}"` },
      { section: SECTION, name: 'index KB before the first keyword result', value: kb(ivf.keywordBytes), unit: 'KB', baseline: { name: 'every keyword and section file (the whole keyword index and all section metadata up front)', value: kb(upFront) }, note: `manifest + section table + keyword head + the query's keyword chunks + the buckets of the hits shown (${ivf.keywordFiles} files); format v1 on this site: 675 KB (commit 3830ccf); Pagefind: 355 KB before search() resolves` },
      { section: SECTION, name: 'first semantic result, from page load', value: ivf.semanticMs, unit: 'ms', baseline: { name: 'every shard downloaded', value: all.semanticMs }, note: `includes loading the model in the worker (${(ivf.otherBytes / 1e6).toFixed(1)} MB of model, runtime and code)` },
      { section: SECTION, name: 'index KB before the first semantic result', value: kb(ivf.semanticBytes), unit: 'KB', baseline: { name: 'every shard downloaded', value: kb(all.semanticBytes) }, note: `vectors: ${kb(ivf.vectorBytes).toFixed(0)} KB with IVF vs ${kb(all.vectorBytes).toFixed(0)} KB for all of them` },
      { section: SECTION, name: 'first results, Pagefind', value: 1200, unit: 'ms', note: `${PAGEFIND}: 355 KB before search() resolves, 458 KB with 5 fragments` },
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
