/**
 * What a semantic query reads and keeps on the Python 3.11 docs (scripts/fetch-python-docs.sh),
 * built with the default model: this version's IVF layout (shards of ~16 KiB, the build's default
 * probe) against version 6's in the same run (shards of ~64 KiB, probe 3: the same vectors from
 * the same embedding cache, clustered as version 6's autoShards did). Per layout, over a fixed set
 * of questions (not an evaluation set: no judgements, and none of them was used to choose the
 * layout): the vector KB a query reads (its shards as stored), the centroids file (read once a
 * visit), the recall of the exact (all-shard) dense top-10, how many of the all-shard fused top-10
 * it keeps, and ms per query of the vector search in Node.
 *
 *   npm run bench -- probe
 *   SGPT_BENCH_CACHE_DIR=<dir> npm run bench -- probe     # keep the embedding cache between runs
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { defaultModelSource } from '../../src/build/default-model';
import { Embedder } from '../../src/embed/embedder';
import { fsLoader } from '../../src/index/node-files';
import { SiteSearch } from '../../src/index/site-search';
import { fusionDepth } from '../../src/search/ranking';
import type { BenchContext, BenchRow } from '../types';
import { exactRankings, probeCost, type ProbeCost } from '../probe-cost';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'probe';
const QUESTIONS = [
  'how do I read a file line by line',
  'what is the difference between a list and a tuple',
  'how to sort a dictionary by value',
  'how can I run code in parallel on several cores',
  'why does my default argument keep its value between calls',
  'how do I parse command line options',
  'what happens when an exception is not caught',
  'how to format a date as a string',
  'how can a class define how it is printed',
  'how do I make an HTTP request',
  'how to find out where a module was loaded from',
  'what does the with statement do',
  'how do I copy an object',
  'how can I measure how long my code takes',
  'how do I write a generator',
  'how to compare floating point numbers safely',
];
/** Version 6's autoShards: one shard per ~64 KiB of vectors, never more than √rows. */
const v6Shards = (rows: number, dims: number) => Math.max(1, Math.min(Math.round((rows * (dims + 8)) / (64 * 1024)), Math.floor(Math.sqrt(rows))));

interface Layout {
  shards: number;
  probe: number;
  vectorKb: number;
  centroidKb: number;
  recall10: number;
  kept10: number;
  ms: number;
}

async function measure(dir: string, vectors: Float32Array[]): Promise<Layout> {
  const search = await SiteSearch.open(fsLoader(dir));
  const m = search.manifest;
  const depth = fusionDepth(10);
  const costs: ProbeCost[] = [];
  for (const [i, vector] of vectors.entries()) costs.push(await probeCost(search, QUESTIONS[i]!, vector, m.probe, await exactRankings(search, QUESTIONS[i]!, vector)));
  const avg = (f: (cost: ProbeCost) => number) => costs.reduce((sum, cost) => sum + f(cost), 0) / costs.length;
  // Ms per query of the vector search alone (shards cached: the scoring and routing, not the download): best of 3 rounds.
  let ms = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (const vector of vectors) await search.vectorSearch(vector, depth);
    ms = Math.min(ms, (performance.now() - t0) / vectors.length);
  }
  return { shards: m.shards.length, probe: m.probe, vectorKb: avg((c) => c.kb), centroidKb: (m.centroids?.bytes ?? 0) / 1024, recall10: avg((c) => c.recall10), kept10: avg((c) => c.kept10), ms };
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  const site = ctx.quick ? join(docs, 'tutorial') : docs;
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-probe-'));
  const cacheDir = process.env.SGPT_BENCH_CACHE_DIR ?? join(work, 'cache');
  try {
    log(`${SECTION}: index of ${site}, this version's layout`);
    const now = await buildSiteIndex({ site, out: join(work, 'now'), model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir, runtime: false, shipModel: false });
    const { counts, model } = (await SiteSearch.open(fsLoader(join(work, 'now')))).manifest;
    const [rows, dims] = [counts.vectors, model.dims];
    log(`${SECTION}: the same vectors in version 6's layout (${v6Shards(rows, dims)} shards, probe 3)`);
    await buildSiteIndex({ site, out: join(work, 'v6'), model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir, runtime: false, shipModel: false, shards: v6Shards(rows, dims), probe: 3 });
    const embedder = await Embedder.load(ctx.model ?? defaultModelSource());
    const vectors = await Promise.all(QUESTIONS.map((q) => embedder.embedQuery(q)));
    await embedder.dispose();
    const [a, b] = [await measure(join(work, 'now'), vectors), await measure(join(work, 'v6'), vectors)];
    const note = `${now.built.sections} sections, ${rows} vectors; ${QUESTIONS.length} questions; this layout ${a.shards} shards, probe ${a.probe}; version 6's ${b.shards} shards, probe 3`;
    const base = `version 6's layout (${b.shards} shards, probe 3)`;
    return [
      { section: SECTION, name: 'vector KB a semantic query reads (shards as stored)', value: a.vectorKb, unit: 'KB', baseline: { name: base, value: b.vectorKb }, note },
      { section: SECTION, name: 'centroids file, read once a visit', value: a.centroidKb, unit: 'KB', baseline: { name: base, value: b.centroidKb }, note: `both int8 here (this build writes SGC2); version 6's float32 file held ${(4 * b.shards * dims / 1024).toFixed(0)} KB before gzip` },
      { section: SECTION, name: 'recall of the exact dense top-10', value: a.recall10, unit: '', baseline: { name: base, value: b.recall10 } },
      { section: SECTION, name: 'fused top-10 kept of the all-shard ranking', value: a.kept10, unit: '', baseline: { name: base, value: b.kept10 } },
      { section: SECTION, name: 'vector search per query, shards in memory (Node)', value: a.ms, unit: 'ms', baseline: { name: base, value: b.ms }, note: `top ${fusionDepth(10)}, best of 3 rounds` },
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
