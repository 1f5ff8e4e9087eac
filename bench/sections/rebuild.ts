/**
 * An unchanged rebuild of the Python 3.11 docs (15k sections) against the keyword-only pass, three
 * interleaved rounds, without the hours of embedding `index-build` needs first: the first build
 * takes its vectors from an embedding cache filled with seeded synthetic vectors (one per section;
 * bench/synthetic-site.ts), or from a real cache kept by `index-build` (SGPT_BENCH_CACHE_DIR). An
 * unchanged rebuild never runs the model, so what it costs is the same either way, except that
 * the real model gives a long section several vectors (more rows for k-means).
 *
 *   npm run bench -- rebuild
 *   SGPT_BENCH_CACHE_DIR=<dir> npm run bench -- rebuild      # the real vectors, kept by index-build
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { modelSource } from '../../src/build/default-model';
import { rebuildRounds } from '../rebuild-rounds';
import { fillSyntheticCache } from '../synthetic-site';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'rebuild';

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  const site = ctx.quick ? join(docs, 'tutorial') : docs;
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-rebuild-'));
  const out = join(work, 'sgpt');
  try {
    const kept = process.env.SGPT_BENCH_CACHE_DIR;
    const cacheDir = kept ?? join(work, 'cache');
    if (kept === undefined) {
      log(`${SECTION}: synthetic vectors for every section of ${site} into an embedding cache`);
      await fillSyntheticCache(site, out, cacheDir, modelSource(ctx.model), PYTHON_DOCS_EXCLUDE);
    }
    log(`${SECTION}: first build from the cache`);
    const first = await buildSiteIndex({ site, out, model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir });
    const rounds = await rebuildRounds(site, out, { exclude: PYTHON_DOCS_EXCLUDE, model: ctx.model, rounds: 3, log });
    const vectors = kept === undefined ? 'synthetic vectors, one per section' : `real vectors from ${kept}`;
    return rounds.map((round, i) => ({
      section: SECTION,
      name: `unchanged rebuild, Python docs (round ${i + 1} of ${rounds.length})`,
      value: round.rebuild.wall,
      unit: 's',
      baseline: { name: 'keyword-only pass, same round', value: round.keyword.wall },
      note: `${round.reused} of ${round.sections} sections reused, ${first.built.vectors} vectors in ${first.built.shards} shards (${vectors}); CPU ${round.rebuild.cpu.toFixed(1)} s vs ${round.keyword.cpu.toFixed(1)} s (${(round.rebuild.cpu / round.keyword.cpu).toFixed(2)}x); target ≤ 1.2x`,
    }));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
