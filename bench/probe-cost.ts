/**
 * What a probe depth costs and keeps for one query on a site index: the vector shards it reads
 * (the `probe` nearest and those of the best keyword hits; count and KB as stored; the centroids file aside, read once a visit), the recall of the exact
 * (all-shard) dense top-10 and top-FUSION_DEPTH, and how much of the all-shard fused top-10 the
 * probed ranking keeps. Shared by `npm run bench -- probe` and scripts/site-eval.ts.
 */
import type { SiteHit, SiteSearch } from '../src/index/site-search';
import type { HybridFusionSettings } from '../src/search/fusion';
import { fusionDepth } from '../src/search/ranking';

/** A query's all-shard rankings, the reference every probe depth is measured against. */
export interface ExactRankings {
  dense: ReadonlyArray<{ section: number }>;
  fused: ReadonlySet<number>;
}

export interface ProbeCost {
  shards: number;
  kb: number;
  recall10: number;
  recall100: number;
  kept10: number;
  /** The fused top 10 at this depth. */
  hits: SiteHit[];
}

/** Share of `exact`'s top `k` that `got`'s top `k` holds (1 when there is nothing to find). */
function recall(got: ReadonlyArray<{ section: number }>, exact: ReadonlyArray<{ section: number }>, k: number): number {
  const want = new Set(exact.slice(0, k).map((h) => h.section));
  return want.size === 0 ? 1 : got.slice(0, k).filter((h) => want.has(h.section)).length / want.size;
}

/** The fused top 10 (the manifest's fusion unless `fusion`) reading `probe` shards. */
function fusedTop(search: SiteSearch, query: string, vector: Float32Array, probe: number, fusion?: HybridFusionSettings): Promise<SiteHit[]> {
  return search.semanticSearch(query, vector, { limit: 10, probe, ...(fusion === undefined ? {} : { fusion }) });
}

export async function exactRankings(search: SiteSearch, query: string, vector: Float32Array, fusion?: HybridFusionSettings): Promise<ExactRankings> {
  const all = search.manifest.shards.length;
  return {
    dense: await search.vectorSearch(vector, fusionDepth(10), all),
    fused: new Set((await fusedTop(search, query, vector, all, fusion)).map((h) => h.section)),
  };
}

export async function probeCost(search: SiteSearch, query: string, vector: Float32Array, probe: number, exact: ExactRankings, fusion?: HybridFusionSettings): Promise<ProbeCost> {
  // As semanticSearch reads them: the nearest `probe` shards and those of the best keyword hits.
  const keyword = (await search.keywordSearchWithMatch(query, fusionDepth(10))).hits.map((hit) => hit.index);
  const read = await search.shardsToRead(vector, probe, null, keyword);
  const dense = await search.vectorSearch(vector, fusionDepth(10), probe, null, null, keyword);
  const hits = await fusedTop(search, query, vector, probe, fusion);
  return {
    shards: read.length,
    kb: read.reduce((sum, k) => sum + search.manifest.shards[k]!.bytes, 0) / 1024,
    recall10: recall(dense, exact.dense, 10),
    recall100: recall(dense, exact.dense, fusionDepth(10)),
    kept10: hits.filter((h) => exact.fused.has(h.section)).length / Math.max(1, exact.fused.size),
    hits,
  };
}
