/**
 * Rebuilds of the Python 3.11 docs (15k sections) against the keyword-only pass, three interleaved
 * rounds (bench/rebuild-rounds.ts), without the hours of embedding `index-build` needs first: the
 * first build takes its vectors from an embedding cache filled with seeded synthetic vectors (one
 * per section; bench/synthetic-site.ts), or from a real cache kept by `index-build`
 * (SGPT_BENCH_CACHE_DIR). A rebuild that embeds nothing never runs the model, so what it costs is
 * the same either way, except that the real model gives a long section several vectors (more rows
 * for k-means). The site's HTML pages are copied into a temporary folder, so a round can touch 1 %
 * of them (their bytes, not their text) for the partial rebuild.
 *
 * Each round: the keyword-only pass; an unchanged rebuild with the page extraction cache (the
 * CLI's default: the first build filled it); the same with no cache (`--no-cache`); a rebuild
 * with the page cache after touching 1 % of the pages.
 *
 *   npm run bench -- rebuild
 *   SGPT_BENCH_CACHE_DIR=<dir> npm run bench -- rebuild      # the real vectors, kept by index-build
 */
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { modelSource } from '../../src/build/default-model';
import { listHtmlFiles } from '../../src/extract/site';
import { packName } from '../../src/extract/page-cache';
import { rebuildRounds, touchPages, type Round } from '../rebuild-rounds';
import { fillSyntheticCache } from '../synthetic-site';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'rebuild';
/** Touch every 100th page: 1 %. */
const TOUCH_EVERY = 100;

/** The HTML pages of `from` (all the index reads) copied to `to`. */
async function copyPages(from: string, to: string): Promise<void> {
  for (const file of await listHtmlFiles(from)) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(join(from, file), join(to, file));
  }
}

function cpu(timed: { cpu: number }, keyword: { cpu: number }): string {
  return `CPU ${timed.cpu.toFixed(1)} s vs ${keyword.cpu.toFixed(1)} s (${(timed.cpu / keyword.cpu).toFixed(2)}x)`;
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-rebuild-'));
  const site = join(work, 'site');
  const out = join(work, 'sgpt');
  const pageCache = join(work, 'page-cache');
  try {
    await copyPages(ctx.quick ? join(docs, 'tutorial') : docs, site);
    const kept = process.env.SGPT_BENCH_CACHE_DIR;
    const cacheDir = kept ?? join(work, 'cache');
    if (kept === undefined) {
      log(`${SECTION}: synthetic vectors for every section of ${site} into an embedding cache`);
      await fillSyntheticCache(site, out, cacheDir, modelSource(ctx.model), PYTHON_DOCS_EXCLUDE);
    }
    log(`${SECTION}: first build from the embedding cache, filling the page cache`);
    const first = await buildSiteIndex({ site, out, model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir, pageCache });
    const packBytes = (await stat(join(pageCache, 'pages', packName(site, out)))).size;
    const touch = async (round: number) => (await touchPages(site, PYTHON_DOCS_EXCLUDE, TOUCH_EVERY, round)).touched;
    const rounds = await rebuildRounds(site, out, { exclude: PYTHON_DOCS_EXCLUDE, model: ctx.model, rounds: 3, pageCache, touch, log });
    const vectors = kept === undefined ? 'synthetic vectors, one per section' : `real vectors from ${kept}`;
    const what = ctx.quick ? 'Python docs tutorial (quick)' : 'Python docs';
    const of = (i: number) => `(round ${i + 1} of ${rounds.length})`;
    const common = (round: Round) => `${round.reused} of ${round.sections} sections reused, ${first.built.pages} pages, ${first.built.vectors} vectors in ${first.built.shards} shards (${vectors})`;
    return rounds.flatMap((round, i) => [
      {
        section: SECTION,
        name: `unchanged rebuild with the page cache (the CLI's default), ${what} ${of(i)}`,
        value: round.rebuild.wall,
        unit: 's',
        baseline: { name: 'keyword-only pass, same round', value: round.keyword.wall },
        note: `${common(round)}; every page from the page cache (${(packBytes / 1e6).toFixed(1)} MB pack); ${cpu(round.rebuild, round.keyword)}; target ≤ 1.2x`,
      },
      {
        section: SECTION,
        name: `unchanged rebuild, no cache (--no-cache), ${what} ${of(i)}`,
        value: round.uncached.wall,
        unit: 's',
        baseline: { name: 'keyword-only pass, same round', value: round.keyword.wall },
        note: `${common(round)}; every page parsed again; ${cpu(round.uncached, round.keyword)}; target ≤ 1.2x`,
      },
      {
        section: SECTION,
        name: `rebuild after touching 1 % of the pages, page cache, ${what} ${of(i)}`,
        value: round.touched!.wall,
        unit: 's',
        baseline: { name: 'keyword-only pass, same round', value: round.keyword.wall },
        note: `${round.touched!.pages} of ${first.built.pages} pages' bytes changed (an HTML comment appended, the text unchanged): those parsed again, the rest from the page cache; ${cpu(round.touched!, round.keyword)}`,
      },
    ]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
