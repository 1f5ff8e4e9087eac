/**
 * Fusing a keyword (BM25) and a dense (cosine) ranking into one.
 *
 * Weighted reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009, with per-list weights):
 *
 *   score(d) = Σ_m  w_m / (k + rank_m(d))      rank_m(d) = 1 for the best item of list m
 *
 * summed over the lists that contain d (a list that lacks d adds nothing). k = 60 by default;
 * a larger k flattens the difference between top and lower ranks. Only ranks matter, so lists
 * with incomparable scores (BM25 and cosine) fuse without normalisation.
 *
 * Convex combination (Bruch, Gai & Ingber 2023, "An analysis of fusion functions for hybrid
 * retrieval"): each list's scores are min-max normalised over that list (its top N, as
 * retrieved), then
 *
 *   score(d) = Σ_m  w_m · (s_m(d) − min_m) / (max_m − min_m)
 *
 * with a document missing from list m at that list's floor (0). Unlike RRF it keeps how far
 * apart the scores are, so a confident first hit counts for more than a near tie.
 *
 * Ties are broken deterministically: higher score, then the better (smaller) best rank over all
 * lists, then the lower id (numbers numerically, strings by code unit).
 */
import { SgptError } from '../errors';

export const DEFAULT_RRF_K = 60;

/** How a keyword and a dense ranking are fused: reciprocal ranks, or a convex combination of normalised scores. */
export type FusionMethod = 'rrf' | 'convex';
export const FUSION_METHODS: readonly FusionMethod[] = ['rrf', 'convex'];

export interface HybridFusionSettings {
  method: FusionMethod;
  /** Dense share in [0, 1]; the keyword list gets 1 − semanticWeight. */
  semanticWeight: number;
}

/**
 * The product's fusion: the index writer's default manifest, the eval command's default and
 * (through the manifest) the site search. Chosen with sgpt-nano on held-out data only (its own
 * held-out pairs and SciFact's train qrels) as the weight with the best worst-case gain over BM25:
 * convex 0.1 gains on both (+0.2%, +6.5% nDCG@10), while RRF gains on SciFact train at no weight
 * above 0.01. The sweep is in public/models/sgpt-nano/README.md ("Fusion"); redo it for a new model.
 */
export const DEFAULT_FUSION: Readonly<HybridFusionSettings> = { method: 'convex', semanticWeight: 0.1 };

export interface RankedList<Id> {
  /** Ids, best first; an id repeated later in the same list is ignored. */
  ids: readonly Id[];
  /** Weight of this list (default 1); 0 drops it. */
  weight?: number;
}

export interface ScoredItem<Id> {
  id: Id;
  /** Higher is better; only differences within the same list matter. */
  score: number;
}

export interface ScoredList<Id> {
  /** Items, best first; an id repeated later in the same list is ignored. */
  items: readonly ScoredItem<Id>[];
  /** Weight of this list (default 1); 0 drops it. */
  weight?: number;
}

export interface FusionOptions {
  /** The rank constant of RRF (default 60). */
  k?: number;
  /** Keep only the best `limit` fused results (default: all). */
  limit?: number;
}

export interface FusedHit<Id> {
  id: Id;
  score: number;
}

function compareIds<Id extends string | number>(a: Id, b: Id): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function checkWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight < 0) throw new SgptError('INPUT_INVALID', `fusion weight must be a number ≥ 0, got ${weight}`);
  return weight;
}

/** Adds `score(item, rank)` of each list's items (first occurrence only) to a fused total per id, then ranks. */
function fuse<Id extends string | number, Item>(
  lists: ReadonlyArray<{ items: readonly Item[]; weight: number }>,
  idOf: (item: Item) => Id,
  contribution: (item: Item, rank: number, weight: number) => number,
  limit: number | undefined,
): FusedHit<Id>[] {
  const fused = new Map<Id, { score: number; bestRank: number }>();
  for (const { items, weight } of lists) {
    if (weight === 0) continue;
    const seen = new Set<Id>();
    let rank = 0;
    for (const item of items) {
      const id = idOf(item);
      if (seen.has(id)) continue;
      seen.add(id);
      rank++;
      const add = contribution(item, rank, weight);
      const entry = fused.get(id);
      if (entry === undefined) fused.set(id, { score: add, bestRank: rank });
      else {
        entry.score += add;
        entry.bestRank = Math.min(entry.bestRank, rank);
      }
    }
  }
  const hits = [...fused].sort(([idA, a], [idB, b]) => b.score - a.score || a.bestRank - b.bestRank || compareIds(idA, idB));
  const kept = limit === undefined ? hits : hits.slice(0, Math.max(0, limit));
  return kept.map(([id, { score }]) => ({ id, score }));
}

export function reciprocalRankFusion<Id extends string | number>(
  lists: readonly RankedList<Id>[],
  options: FusionOptions = {},
): FusedHit<Id>[] {
  const k = options.k ?? DEFAULT_RRF_K;
  if (!Number.isFinite(k) || k < 0) throw new SgptError('INPUT_INVALID', `fusion k must be a number ≥ 0, got ${k}`);
  return fuse(
    lists.map((list) => ({ items: list.ids, weight: checkWeight(list.weight ?? 1) })),
    (id) => id,
    (_id, rank, weight) => weight / (k + rank),
    options.limit,
  );
}

/**
 * Min-max normalisation over one list's first occurrences: the best score maps to 1, the
 * lowest to 0 (the floor a missing document gets). A list whose scores are all equal maps to 1:
 * every item it retrieved beats what it did not.
 */
function minMax<Id>(items: readonly ScoredItem<Id>[]): Map<Id, number> {
  const first = new Map<Id, number>();
  for (const { id, score } of items) {
    if (!Number.isFinite(score)) throw new SgptError('INPUT_INVALID', `fusion scores must be finite numbers, got ${score} for ${String(id)}`);
    if (!first.has(id)) first.set(id, score);
  }
  let min = Infinity;
  let max = -Infinity;
  for (const score of first.values()) {
    min = Math.min(min, score);
    max = Math.max(max, score);
  }
  const span = max - min;
  for (const [id, score] of first) first.set(id, span > 0 ? (score - min) / span : 1);
  return first;
}

/** Weighted sum of min-max normalised scores (see the top of this file); a list lacking a document adds 0. */
export function convexCombination<Id extends string | number>(
  lists: readonly ScoredList<Id>[],
  options: Pick<FusionOptions, 'limit'> = {},
): FusedHit<Id>[] {
  return fuse(
    lists.map((list) => ({ items: [...minMax(list.items)], weight: checkWeight(list.weight ?? 1) })),
    ([id]) => id,
    ([, normalised], _rank, weight) => weight * normalised,
    options.limit,
  );
}

function checkShare(weight: number): void {
  if (!Number.isFinite(weight) || weight < 0 || weight > 1) {
    throw new SgptError('INPUT_INVALID', `hybrid fusion weight must be between 0 and 1 (dense share), got ${weight}`);
  }
}

/**
 * The usual two-list case: `weight` ∈ [0, 1] goes to the dense list and 1 − weight to the
 * keyword list, so 0.5 is plain RRF (up to a constant factor) and 1 is dense only.
 */
export function hybridFusion<Id extends string | number>(
  keyword: readonly Id[],
  dense: readonly Id[],
  weight = 0.5,
  options: FusionOptions = {},
): FusedHit<Id>[] {
  checkShare(weight);
  return reciprocalRankFusion(
    [
      { ids: keyword, weight: 1 - weight },
      { ids: dense, weight },
    ],
    options,
  );
}

/** Two-list convex combination: `weight` ∈ [0, 1] to the dense scores, 1 − weight to the keyword scores. */
export function hybridConvexFusion<Id extends string | number>(
  keyword: readonly ScoredItem<Id>[],
  dense: readonly ScoredItem<Id>[],
  weight: number,
  options: Pick<FusionOptions, 'limit'> = {},
): FusedHit<Id>[] {
  checkShare(weight);
  return convexCombination(
    [
      { items: keyword, weight: 1 - weight },
      { items: dense, weight },
    ],
    options,
  );
}

/** Fuses a keyword and a dense ranking (scores best first) as `fusion` says: what the site search and eval `hybrid` default run. */
export function fuseHybrid<Id extends string | number>(
  keyword: readonly ScoredItem<Id>[],
  dense: readonly ScoredItem<Id>[],
  fusion: HybridFusionSettings,
  options: FusionOptions = {},
): FusedHit<Id>[] {
  if (fusion.method === 'convex') return hybridConvexFusion(keyword, dense, fusion.semanticWeight, options);
  return hybridFusion(
    keyword.map((item) => item.id),
    dense.map((item) => item.id),
    fusion.semanticWeight,
    options,
  );
}
