/**
 * Weighted reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009, with per-list weights):
 *
 *   score(d) = Σ_m  w_m / (k + rank_m(d))      rank_m(d) = 1 for the best item of list m
 *
 * summed over the lists that contain d (a list that lacks d adds nothing). k = 60 by default;
 * a larger k flattens the difference between top and lower ranks. Only ranks matter, so lists
 * with incomparable scores (BM25 and cosine) fuse without normalisation.
 *
 * Ties are broken deterministically: higher score, then the better (smaller) best rank over all
 * lists, then the lower id (numbers numerically, strings by code unit).
 */
import { SgptError } from '../errors';

export const DEFAULT_RRF_K = 60;

export interface RankedList<Id> {
  /** Ids, best first; an id repeated later in the same list is ignored. */
  ids: readonly Id[];
  /** Weight of this list (default 1); 0 drops it. */
  weight?: number;
}

export interface FusionOptions {
  /** The rank constant (default 60). */
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

export function reciprocalRankFusion<Id extends string | number>(
  lists: readonly RankedList<Id>[],
  options: FusionOptions = {},
): FusedHit<Id>[] {
  const k = options.k ?? DEFAULT_RRF_K;
  if (!Number.isFinite(k) || k < 0) throw new SgptError('INPUT_INVALID', `fusion k must be a number ≥ 0, got ${k}`);
  const fused = new Map<Id, { score: number; bestRank: number }>();
  for (const list of lists) {
    const weight = list.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0) throw new SgptError('INPUT_INVALID', `fusion weight must be a number ≥ 0, got ${weight}`);
    if (weight === 0) continue;
    const seen = new Set<Id>();
    let rank = 0;
    for (const id of list.ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      rank++;
      const entry = fused.get(id);
      if (entry === undefined) fused.set(id, { score: weight / (k + rank), bestRank: rank });
      else {
        entry.score += weight / (k + rank);
        entry.bestRank = Math.min(entry.bestRank, rank);
      }
    }
  }
  const hits = [...fused].sort(
    ([idA, a], [idB, b]) => b.score - a.score || a.bestRank - b.bestRank || compareIds(idA, idB),
  );
  const kept = options.limit === undefined ? hits : hits.slice(0, Math.max(0, options.limit));
  return kept.map(([id, { score }]) => ({ id, score }));
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
  if (!Number.isFinite(weight) || weight < 0 || weight > 1) {
    throw new SgptError('INPUT_INVALID', `hybrid fusion weight must be between 0 and 1 (dense share), got ${weight}`);
  }
  return reciprocalRankFusion(
    [
      { ids: keyword, weight: 1 - weight },
      { ids: dense, weight },
    ],
    options,
  );
}
