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
 * apart the scores are, so a confident first hit counts for more than a near tie. A list its caller
 * knows to hold every document that scores above some floor runs from that floor instead
 * (ScoredList.floor, FusionOptions.keywordFloor): src/search/ranking gives a complete keyword list
 * BM25's 0 unless typo corrections made it, for min-max over two hits had given the second none of
 * the keyword share (lxml's "Is there a tutorial?": its tutorial second of two keyword hits, 100th
 * fused).
 *
 * Adaptive fusion: a convex combination whose dense share is decided per query,
 *
 *   w(q) = σ(c₀ + Σ_i c_i · signal_i(q))
 *
 * from signals of how far each list deserves trust (how much of the query BM25 matched and how
 * strongly, whether the two top-10s agree, how confident the dense list is, whether the query is
 * a question; FUSION_SIGNALS). A keyword-heavy query with a strong BM25 match keeps a small dense
 * share; a question whose words the documents do not use gets a large one. The coefficients are
 * fitted per model by scripts/fit-fusion.ts on development sets (cross-validation across sites
 * decides which signals the model may use; for sgpt-nano only whether the query is a question:
 * src/search/fusion-fit) and stored in the index manifest.
 *
 * Ties are broken deterministically: higher score, then the better (smaller) best rank over all
 * lists, then the lower id (numbers numerically, strings by code unit).
 */
import { SgptError } from '../errors';
import type { QueryMatch } from './bm25';
import { isQuestion } from './questions';
import { FITTED_FUSION } from './fusion-fit';

export const DEFAULT_RRF_K = 60;

/** How a keyword and a dense ranking are fused: reciprocal ranks, a convex combination of normalised scores at a fixed dense share, or at a per-query share. */
export type FusionMethod = 'rrf' | 'convex' | 'adaptive';
export const FUSION_METHODS: readonly FusionMethod[] = ['rrf', 'convex', 'adaptive'];

/** A fixed dense share. */
export interface WeightedFusion {
  method: 'rrf' | 'convex';
  /** Dense share in [0, 1]; the keyword list gets 1 − semanticWeight. */
  semanticWeight: number;
}

/** A dense share per query: σ(coefficients · [1, ...signals]) (see the top of this file). */
export interface AdaptiveFusion {
  method: 'adaptive';
  /** c₀ (bias) then one coefficient per FUSION_SIGNALS entry, in that order. */
  coefficients: readonly number[];
}

export type HybridFusionSettings = WeightedFusion | AdaptiveFusion;

/** Candidates each list contributes to a fusion: the eval runs, the site search and the in-page search all fuse the top FUSION_DEPTH of each list. */
export const FUSION_DEPTH = 100;

/**
 * The per-query signals adaptive fusion reads, in coefficient order. Each is a pure function of
 * the two lists (best first), the keyword match statistics and the query text.
 */
export const FUSION_SIGNALS = ['coverage', 'strength', 'agreement', 'denseTop', 'denseMargin', 'keywordMargin', 'question', 'length'] as const;
export type FusionSignal = (typeof FUSION_SIGNALS)[number];

const WORDS = /[\p{L}\p{N}]+/gu;
/** The top of each list that `agreement` and the margins look at. */
const SIGNAL_TOP = 10;

/**
 * - coverage: share of the query's terms found in any document (0 when it has none);
 * - strength: the best BM25 score over the query's ceiling (QueryMatch), in [0, 1);
 * - agreement: share of the keyword top 10 also in the dense top 10;
 * - denseTop: the best cosine; denseMargin: best minus 10th cosine;
 * - keywordMargin: (best − 10th BM25 score) / best;
 * - question: 1 for a question (interrogative opening or '?'), else 0;
 * - length: ln(1 + words in the query).
 */
export function fusionSignals<Id>(keyword: readonly ScoredItem<Id>[], dense: readonly ScoredItem<Id>[], match: QueryMatch, query: string): Record<FusionSignal, number> {
  const at = (list: readonly ScoredItem<Id>[], i: number) => list[Math.min(i, list.length - 1)]!.score;
  const denseTop = new Set(dense.slice(0, SIGNAL_TOP).map((item) => item.id));
  const keywordTop = keyword.slice(0, SIGNAL_TOP);
  const trimmed = query.trim();
  return {
    coverage: match.terms > 0 ? match.matched / match.terms : 0,
    strength: keyword.length > 0 && match.ceiling > 0 ? at(keyword, 0) / match.ceiling : 0,
    agreement: keywordTop.filter((item) => denseTop.has(item.id)).length / SIGNAL_TOP,
    denseTop: dense.length > 0 ? at(dense, 0) : 0,
    denseMargin: dense.length > 0 ? at(dense, 0) - at(dense, SIGNAL_TOP - 1) : 0,
    keywordMargin: keyword.length > 0 && at(keyword, 0) > 0 ? (at(keyword, 0) - at(keyword, SIGNAL_TOP - 1)) / at(keyword, 0) : 0,
    question: isQuestion(trimmed) ? 1 : 0,
    length: Math.log1p(trimmed.match(WORDS)?.length ?? 0),
  };
}

/** The dense share σ(c₀ + Σ c_i·signal_i) that adaptive fusion gives a query with these signals. */
export function adaptiveWeight(coefficients: readonly number[], signals: Readonly<Record<FusionSignal, number>>): number {
  checkCoefficients(coefficients);
  return adaptiveShare(
    coefficients,
    FUSION_SIGNALS.map((name) => signals[name]),
  );
}

/** σ(c₀ + Σ c_i·v_i) over signal values in FUSION_SIGNALS order, unchecked (the fitter's inner loop). */
export function adaptiveShare(coefficients: readonly number[], values: readonly number[]): number {
  let z = coefficients[0]!;
  for (let i = 0; i < values.length; i++) z += coefficients[i + 1]! * values[i]!;
  return 1 / (1 + Math.exp(-z));
}

/** Refuses coefficients that are not 1 + FUSION_SIGNALS.length finite numbers. */
export function checkCoefficients(coefficients: readonly unknown[]): void {
  if (coefficients.length !== FUSION_SIGNALS.length + 1 || !coefficients.every((c) => typeof c === 'number' && Number.isFinite(c))) {
    throw new SgptError('INPUT_INVALID', `adaptive fusion needs ${FUSION_SIGNALS.length + 1} finite coefficients (bias, ${FUSION_SIGNALS.join(', ')}), got ${JSON.stringify(coefficients)}`);
  }
}

/**
 * Adaptive fusion's coefficients for the bundled default model, fitted by scripts/fit-fusion.ts
 * on development sets only and written, with the cross-validation figures, to ./fusion-fit
 * (one command refits them for another model; see docs/INDEX-FORMAT.md "Fusion").
 */
export const ADAPTIVE_DEFAULT: readonly number[] = FITTED_FUSION.coefficients;

/**
 * The product's fusion: the index writer's default manifest, the eval `default` row, the in-page
 * search and (through the manifest) the site search. The figures are in README.md ("Evaluation").
 * Refit the coefficients for another model.
 */
export const DEFAULT_FUSION: Readonly<HybridFusionSettings> = { method: 'adaptive', coefficients: ADAPTIVE_DEFAULT };

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
  /** The score of every document the list lacks, when the list holds every document that scores above it (BM25's 0 when fewer documents match than were asked for): normalisation then runs from it, not from the list's last score. */
  floor?: number;
}

export interface FusionOptions {
  /** The rank constant of RRF (default 60). */
  k?: number;
  /** Keep only the best `limit` fused results (default: all). */
  limit?: number;
  /** A convex fusion's keyword list holds every document that matched (fewer than were asked for): the score of the others, BM25's 0 (ScoredList.floor). */
  keywordFloor?: number;
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
 * lowest to 0 (the floor a missing document gets), or `floor` when the list says what a missing
 * document scores. A list whose scores are all equal (and no lower floor) maps to 1: every item it
 * retrieved beats what it did not.
 */
function minMax<Id>(items: readonly ScoredItem<Id>[], floor = Infinity): Map<Id, number> {
  const first = new Map<Id, number>();
  for (const { id, score } of items) {
    if (!Number.isFinite(score)) throw new SgptError('INPUT_INVALID', `fusion scores must be finite numbers, got ${score} for ${String(id)}`);
    if (!first.has(id)) first.set(id, score);
  }
  let min = floor;
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
    lists.map((list) => ({ items: [...minMax(list.items, list.floor)], weight: checkWeight(list.weight ?? 1) })),
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
  options: Pick<FusionOptions, 'limit' | 'keywordFloor'> = {},
): FusedHit<Id>[] {
  checkShare(weight);
  return convexCombination(
    [
      { items: keyword, weight: 1 - weight, ...(options.keywordFloor === undefined ? {} : { floor: options.keywordFloor }) },
      { items: dense, weight },
    ],
    options,
  );
}

/** The dense share of a fixed-weight fusion (`--fusion convex|rrf` without `--weight`). */
export const DEFAULT_FIXED_WEIGHT = 0.1;

/**
 * The fusion a build or a page asks for: nothing → DEFAULT_FUSION; a weight alone → a fixed
 * share with DEFAULT_FUSION's method when it has one, else convex; 'adaptive' → DEFAULT_FUSION's
 * coefficients (a weight with it is refused: adaptive fusion chooses the weight itself).
 */
export function resolveFusion(method: FusionMethod | undefined, weight: number | undefined): HybridFusionSettings {
  if (weight !== undefined) checkShare(weight);
  if (method === 'adaptive') {
    if (weight !== undefined) throw new SgptError('INPUT_INVALID', `adaptive fusion chooses the semantic weight per query; drop the weight (${weight}) or choose convex or rrf`);
    return DEFAULT_FUSION.method === 'adaptive' ? DEFAULT_FUSION : { method: 'adaptive', coefficients: ADAPTIVE_DEFAULT };
  }
  if (method === undefined) return weight === undefined ? DEFAULT_FUSION : fixedWeight(DEFAULT_FUSION, weight);
  return { method, semanticWeight: weight ?? DEFAULT_FIXED_WEIGHT };
}

/** `base` at a fixed dense share: its own method when that takes a weight, else convex (a page's `fusion-weight` over an index). */
export function fixedWeight(base: HybridFusionSettings, weight: number): WeightedFusion {
  checkShare(weight);
  return { method: base.method === 'adaptive' ? 'convex' : base.method, semanticWeight: weight };
}

/** What adaptive fusion needs besides the two lists: the query and how well BM25 matched it. */
export interface FusionQuery {
  query: string;
  match: QueryMatch;
}

/** Fuses a keyword and a dense ranking (scores best first) as `fusion` says: what the site search, the in-page search and eval run. */
export function fuseHybrid<Id extends string | number>(
  keyword: readonly ScoredItem<Id>[],
  dense: readonly ScoredItem<Id>[],
  fusion: HybridFusionSettings,
  options: FusionOptions & { query?: FusionQuery } = {},
): FusedHit<Id>[] {
  if (fusion.method === 'adaptive') {
    if (options.query === undefined) throw new SgptError('INTERNAL', 'adaptive fusion needs the query and its keyword match');
    const { query, match } = options.query;
    return hybridConvexFusion(keyword, dense, adaptiveWeight(fusion.coefficients, fusionSignals(keyword, dense, match, query)), options);
  }
  if (fusion.method === 'convex') return hybridConvexFusion(keyword, dense, fusion.semanticWeight, options);
  return hybridFusion(
    keyword.map((item) => item.id),
    dense.map((item) => item.id),
    fusion.semanticWeight,
    options,
  );
}
