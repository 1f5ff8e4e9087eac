/**
 * The index build's k-means on the Python 3.11 docs (scripts/fetch-python-docs.sh): the build's
 * own vectors (from the embedding cache, in the build's order) clustered into its shards, with
 * k-means' block scorer a float32 GEMM through onnxruntime-node (the Node build's default) against
 * the plain JS scorer, then the whole build from a filled `--cache-dir` into an empty folder with
 * each. Rounds interleave the two (the load of a shared machine hits both alike); every round checks
 * that both give the same shards and centroids bit for bit. With `--baseline-engine <checkout>`,
 * that checkout's k-means and build (its sources, run here) are the baseline instead: before and
 * after a change, in one run.
 *
 *   SGPT_BENCH_CACHE_DIR=<dir> npm run bench -- kmeans [--baseline-engine <checkout>]
 *
 * Without SGPT_BENCH_CACHE_DIR the first build embeds every section into a temporary cache (minutes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSiteIndex, type IndexRun } from '../../src/build/site-build';
import { gemmScorer } from '../../src/build/gemm-scorer';
import { openIndexDir } from '../../src/index/node-files';
import { MemoryRowStore, type RowStore } from '../../src/index/row-store';
import { assignShards, type ShardAssignment } from '../../src/index/shards';
import { extractSite } from '../../src/extract/site';
import { sectionInfo } from '../../src/index/page-source';
import { textHash } from '../../src/index/writer';
import { VectorCache } from '../../src/index/vector-cache';
import { jsScorer } from '../../src/search/kmeans';
import { median } from '../stats';
import { timed, type Timed } from '../rebuild-rounds';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';
import type { BenchContext, BenchRow } from '../types';

const SECTION = 'kmeans';

/** A way to cluster the build's rows and to build the site: this checkout's (GEMM or JS scorer) or another checkout's. */
interface Engine {
  name: string;
  cluster(rows: Float32Array[], dims: number, k: number): Promise<ShardAssignment>;
  build(run: IndexRun): Promise<unknown>;
}

async function storeOf(rows: Float32Array[], store: RowStore): Promise<Int32Array> {
  return Int32Array.from(await Promise.all(rows.map((row) => store.append([row]))));
}

function thisEngine(name: string, scorer: IndexRun['kmeansScorer']): Engine {
  return {
    name,
    async cluster(rows, dims, k) {
      const store = new MemoryRowStore(dims);
      return assignShards(store, await storeOf(rows, store), k, { scorer });
    },
    build: (run) => buildSiteIndex({ ...run, kmeansScorer: scorer }),
  };
}

/** --baseline-engine: another checkout's assignShards and buildSiteIndex, its own defaults. */
async function checkoutEngine(checkout: string): Promise<Engine> {
  const from = (path: string) => import(pathToFileURL(resolve(checkout, path)).href);
  const [shards, rowStore, siteBuild] = await Promise.all([from('src/index/shards.ts'), from('src/index/row-store.ts'), from('src/build/site-build.ts')]);
  return {
    name: `${checkout} (its own k-means and build)`,
    async cluster(rows, dims, k) {
      const store = new rowStore.MemoryRowStore(dims) as RowStore;
      return (await shards.assignShards(store, await storeOf(rows, store), k)) as ShardAssignment;
    },
    build: (run) => siteBuild.buildSiteIndex(run),
  };
}

const same = (a: ShardAssignment, b: ShardAssignment) =>
  a.assignment.length === b.assignment.length && a.assignment.every((s, i) => s === b.assignment[i]) && Buffer.from(a.centroids.buffer, a.centroids.byteOffset, a.centroids.byteLength).equals(Buffer.from(b.centroids.buffer, b.centroids.byteOffset, b.centroids.byteLength));

export async function run(ctx: BenchContext): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => {});
  const site = pythonDocsSite();
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-kmeans-'));
  const cacheDir = process.env.SGPT_BENCH_CACHE_DIR ?? join(work, 'cache');
  const rounds = ctx.quick ? 1 : 2;
  const gemm = gemmScorer((line) => log(`${SECTION}: ${line}`));
  try {
    const base: IndexRun = { site, out: '', model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir };
    log(`${SECTION}: a build from the embedding cache ${cacheDir} (fills it when empty) for the build's rows and shard count`);
    await buildSiteIndex({ ...base, out: join(work, 'first') });
    const reader = await openIndexDir(join(work, 'first'));
    const { model } = reader.manifest;
    const k = reader.manifest.shards.length;
    const cache = await VectorCache.open(cacheDir, model);
    if (cache === null) throw new Error(`the model ${model.id} has no content hash: no embedding cache`);
    const rows = (await Promise.all((await sectionInfo(await extractSite(site, { exclude: PYTHON_DOCS_EXCLUDE }), textHash)).hashes.map(async (hash) => (await cache.get(hash)) ?? []))).flat();
    const shape = `${rows.length.toLocaleString('en')} vectors × ${model.dims} → ${k} shards`;

    const fast = thisEngine('GEMM (onnxruntime-node MatMul) + exact rescoring', gemm);
    const slow = ctx.baselineEngine === undefined ? thisEngine('plain JS scorer (fastDot), same checkout', jsScorer) : await checkoutEngine(ctx.baselineEngine);
    const clusterTimes = { fast: [] as Timed[], slow: [] as Timed[] };
    const buildTimes = { fast: [] as Timed[], slow: [] as Timed[] };
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first.
      const order = round % 2 === 0 ? (['slow', 'fast'] as const) : (['fast', 'slow'] as const);
      const results: Partial<Record<'fast' | 'slow', ShardAssignment>> = {};
      for (const which of order) {
        const engine = which === 'fast' ? fast : slow;
        log(`${SECTION}: round ${round + 1} of ${rounds}: k-means, ${engine.name} (${shape})`);
        clusterTimes[which].push(await timed(async () => (results[which] = await engine.cluster(rows, model.dims, k))));
      }
      if (!same(results.fast!, results.slow!)) throw new Error(`${SECTION}: the GEMM's clustering differs from ${slow.name}'s`);
      for (const which of order) {
        const engine = which === 'fast' ? fast : slow;
        log(`${SECTION}: round ${round + 1} of ${rounds}: build from the cache into an empty folder, ${engine.name}`);
        const out = join(work, `${which}-${round}`);
        buildTimes[which].push(await timed(() => engine.build({ ...base, out })));
        await rm(out, { recursive: true, force: true });
      }
    }
    const wall = (times: Timed[]) => median(times.map((t) => t.wall));
    const each = (times: { fast: Timed[]; slow: Timed[] }) =>
      `rounds (wall, CPU): ${times.fast.map((t, i) => `${t.wall.toFixed(1)} / ${t.cpu.toFixed(1)} s vs ${times.slow[i]!.wall.toFixed(1)} / ${times.slow[i]!.cpu.toFixed(1)} s`).join('; ')}`;
    return [
      {
        section: SECTION,
        name: `k-means of the Python-docs build (${shape}), GEMM scorer`,
        value: wall(clusterTimes.fast),
        unit: 's',
        baseline: { name: slow.name, value: wall(clusterTimes.slow) },
        note: `median of ${rounds} interleaved rounds; the same shards and centroids bit for bit in each; ${each(clusterTimes)}`,
      },
      {
        section: SECTION,
        name: 'build from --cache-dir into an empty folder, GEMM k-means',
        value: wall(buildTimes.fast),
        unit: 's',
        baseline: { name: slow.name, value: wall(buildTimes.slow) },
        note: `median of ${rounds} interleaved rounds; ${reader.manifest.counts.sections} sections, all from the cache; ${each(buildTimes)}`,
      },
    ];
  } finally {
    await gemm.release();
    await rm(work, { recursive: true, force: true });
  }
}
