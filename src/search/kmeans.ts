/**
 * Spherical k-means for an IVF (inverted file) index: cluster L2-normalised vectors by cosine,
 * keep unit-length centroids, and at query time score only the vectors of the `nprobe` clusters
 * whose centroids are nearest the query.
 *
 * Deterministic: k-means++ seeding draws from a seeded PRNG, ties go to the lower cluster id, and
 * an emptied cluster is re-seeded with the point farthest from its centroid. Training runs on a
 * seeded sample (at most `samplePerCluster` points per cluster, as Faiss does), then every vector
 * is assigned once.
 *
 * Rows are scored against the centroids a block at a time by a BlockScorer (injected: the Node
 * build runs a GEMM through onnxruntime; the default is plain JS). A scorer may round (float32), so
 * every centroid within twice its error bound of a row's best is rescored exactly (fastDot) and the
 * choice follows the exact scores: any scorer gives the same clustering bit for bit.
 */
import { SgptError } from '../errors';
import { TopK, type Scored } from './topk';

/** Mulberry32: a small, fast, seedable 32-bit PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KMeansOptions {
  /** Number of clusters (1 ≤ k ≤ rows). */
  k: number;
  /** Lloyd iterations at most (default 20); stops early when no assignment changes. */
  iterations?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Training sample size per cluster (default 256); 0 trains on all rows. */
  samplePerCluster?: number;
  /**
   * Starting centroids (k × dims, unit length) instead of k-means++ seeding: a rebuild starts from
   * the previous build's, so an unchanged site converges in one or two iterations, not twenty.
   */
  initial?: Float32Array;
  /** How blocks of rows are scored against the centroids (default jsScorer); the result does not depend on it. */
  scorer?: BlockScorer;
  /** Stops training (its reason thrown) between k-means++ centres and between iterations: a stopped build waits for one, not twenty. */
  signal?: AbortSignal;
}

/**
 * Scores a block of rows against every centroid at once (a GEMM). Scores may round: each must lie
 * within relativeError(dims) × |row| × |centroid| of fastDot's, and the centroids within twice that
 * of a row's top score are rescored with fastDot, so the clustering never depends on the scorer.
 */
export interface BlockScorer {
  /** The bound on |score − fastDot| per unit of |row| × |centroid| (0: the scores are fastDot's own). */
  relativeError(dims: number): number;
  /** Scoring against these centroids (k × dims) until they change: `count` rows (count × dims) -> count × k scores, row-major. */
  against(centroids: Float32Array, k: number, dims: number): (rows: Float32Array, count: number) => Promise<ArrayLike<number>>;
}

export interface KMeansResult {
  /** k * dims, each row unit length. */
  centroids: Float32Array;
  k: number;
  dims: number;
  /** row -> cluster id. */
  assignments: Int32Array;
  /** Lloyd iterations run. */
  iterations: number;
}

/**
 * An in-memory IVF index: the vectors regrouped so each cluster's rows are contiguous (as a static
 * index stores one shard per cluster), which keeps a probe's reads sequential.
 */
export interface IvfIndex {
  dims: number;
  /** k * dims, unit length. */
  centroids: Float32Array;
  /** Cluster c holds positions offsets[c] … offsets[c + 1] - 1 of `rows` and `vectors`. */
  offsets: Uint32Array;
  /** Position -> original row id (ascending within a cluster). */
  rows: Uint32Array;
  /** The vectors in position order. */
  vectors: Float32Array;
}

/** Plain dot product: the same summation order as VectorStore, so IVF scores equal exact ones. */
function dot(a: Float32Array, aBase: number, b: Float32Array, bBase: number, dims: number): number {
  let sum = 0;
  for (let d = 0; d < dims; d++) sum += a[aBase + d]! * b[bBase + d]!;
  return sum;
}

/** Four independent sums: ~1.8× faster in V8 (dim 256); used where only the nearest centroid matters. */
function fastDot(a: Float32Array, aBase: number, b: Float32Array, bBase: number, dims: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let d = 0;
  for (; d + 3 < dims; d += 4) {
    s0 += a[aBase + d]! * b[bBase + d]!;
    s1 += a[aBase + d + 1]! * b[bBase + d + 1]!;
    s2 += a[aBase + d + 2]! * b[bBase + d + 2]!;
    s3 += a[aBase + d + 3]! * b[bBase + d + 3]!;
  }
  for (; d < dims; d++) s0 += a[aBase + d]! * b[bBase + d]!;
  return s0 + s1 + s2 + s3;
}

function checkShape(vectors: Float32Array, dims: number): number {
  if (!Number.isInteger(dims) || dims < 1) throw new SgptError('INPUT_INVALID', `dims must be a positive integer, got ${dims}`);
  const rows = vectors.length / dims;
  if (!Number.isInteger(rows)) throw new SgptError('INPUT_INVALID', `${vectors.length} values do not make rows of ${dims} dims`);
  return rows;
}

/** The pure default: fastDot's value for every pair (two centroids at a time), so only exact ties are rescored. */
export const jsScorer: BlockScorer = {
  relativeError: () => 0,
  against: (centroids, k, dims) => async (rows, count) => {
    const out = new Float64Array(count * k);
    for (let i = 0; i < count; i++) {
      let c = 0;
      for (; c + 1 < k; c += 2) fastDotPair(rows, i * dims, centroids, c * dims, dims, out, i * k + c);
      if (c < k) out[i * k + c] = fastDot(rows, i * dims, centroids, c * dims, dims);
    }
    return out;
  },
};

/**
 * fastDot of one row with two consecutive centroids, each pair summed in fastDot's order (so the
 * same values): the row's values are read once for both, 1.25–1.7 × the speed of two fastDot calls
 * in V8 (384 dims, 420 centroids). Into out[at] and out[at + 1].
 */
function fastDotPair(a: Float32Array, aBase: number, b: Float32Array, bBase: number, dims: number, out: Float64Array, at: number): void {
  const cBase = bBase + dims;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let t0 = 0;
  let t1 = 0;
  let t2 = 0;
  let t3 = 0;
  let d = 0;
  for (; d + 3 < dims; d += 4) {
    const x0 = a[aBase + d]!;
    const x1 = a[aBase + d + 1]!;
    const x2 = a[aBase + d + 2]!;
    const x3 = a[aBase + d + 3]!;
    s0 += x0 * b[bBase + d]!;
    s1 += x1 * b[bBase + d + 1]!;
    s2 += x2 * b[bBase + d + 2]!;
    s3 += x3 * b[bBase + d + 3]!;
    t0 += x0 * b[cBase + d]!;
    t1 += x1 * b[cBase + d + 1]!;
    t2 += x2 * b[cBase + d + 2]!;
    t3 += x3 * b[cBase + d + 3]!;
  }
  for (; d < dims; d++) {
    s0 += a[aBase + d]! * b[bBase + d]!;
    t0 += a[aBase + d]! * b[cBase + d]!;
  }
  out[at] = s0 + s1 + s2 + s3;
  out[at + 1] = t0 + t1 + t2 + t3;
}

/** Rows a scorer gets at once (a GEMM's m): 1,024 × 384 float32 in, 1,024 × k scores out. */
const SCORE_BLOCK = 1024;

/**
 * A row's nearest centroid (ties: lower id) and its fastDot with it; `second` bounds from above
 * its fastDot with any other centroid (exact when the scorer is).
 */
interface Nearest {
  best: number;
  sim: number;
  second: number;
}

/** Picks each row's nearest centroid from a scorer's block scores, as a loop of fastDot over every centroid would. */
class Picker {
  private readonly score: (rows: Float32Array, count: number) => Promise<ArrayLike<number>>;
  /** Bound on |score − fastDot| per unit of row norm: the scorer's relative error × the largest centroid norm. */
  private readonly error: number;

  constructor(scorer: BlockScorer, private readonly centroids: Float32Array, private readonly k: number, private readonly dims: number) {
    this.score = scorer.against(centroids, k, dims);
    const relative = scorer.relativeError(dims);
    let largest = 0;
    if (relative > 0) for (let c = 0; c < k; c++) largest = Math.max(largest, Math.sqrt(dot(centroids, c * dims, centroids, c * dims, dims)));
    this.error = relative * largest;
  }

  /** Scores `count` rows (count × dims in `rows`) and calls `each(i, found)` for row i of the block. */
  async block(rows: Float32Array, count: number, each: (i: number, found: Nearest) => void): Promise<void> {
    const { k, dims, centroids } = this;
    const scores = await this.score(rows, count);
    const found: Nearest = { best: 0, sim: 0, second: 0 };
    for (let i = 0; i < count; i++) {
      const base = i * dims;
      let top = -Infinity;
      for (let c = i * k; c < (i + 1) * k; c++) if (scores[c]! > top) top = scores[c]!;
      const error = this.error === 0 ? 0 : this.error * Math.sqrt(dot(rows, base, rows, base, dims));
      // The exact best scores at least its exact value − error ≥ the top's exact value − error ≥ top − 2·error.
      // NaN or infinite scores: no error bound holds, every centroid is scored again.
      const floor = Number.isFinite(top) ? top - 2 * error : -Infinity;
      found.best = 0;
      found.sim = -Infinity;
      found.second = -Infinity;
      let others = -Infinity;
      for (let c = 0; c < k; c++) {
        const score = scores[i * k + c]!;
        if (score < floor) {
          if (score > others) others = score;
          continue;
        }
        const sim = fastDot(rows, base, centroids, c * dims, dims);
        if (sim > found.sim) {
          found.second = found.sim;
          found.sim = sim;
          found.best = c;
        } else if (sim > found.second) found.second = sim;
      }
      if (others + error > found.second) found.second = others + error;
      each(i, found);
    }
  }
}

/** Scale each centroid to unit length; a zero row stays zero (the caller re-seeds it). */
function normalizeRows(data: Float32Array, rows: number, dims: number): void {
  for (let r = 0; r < rows; r++) {
    const norm = Math.sqrt(dot(data, r * dims, data, r * dims, dims));
    if (norm > 0) for (let d = 0; d < dims; d++) data[r * dims + d]! /= norm;
  }
}

/**
 * k-means++ over the sample's rows: the first centre uniformly, then each next one with probability
 * ∝ squared distance (2 − 2·cos). Each new centre is scored against every row by the scorer; only
 * a row whose distance may fall below its nearest so far (within the scorer's error) is scored
 * again with fastDot, so the distances, and the draws, are those of a plain fastDot loop.
 */
async function seedCentroids(sample: Float32Array, n: number, k: number, dims: number, random: () => number, scorer: BlockScorer, signal: AbortSignal | undefined): Promise<Float32Array> {
  const centroids = new Float32Array(k * dims);
  const nearest = new Float64Array(n).fill(Infinity);
  const relative = scorer.relativeError(dims);
  const norms = relative === 0 ? null : Float64Array.from({ length: n }, (_, i) => Math.sqrt(dot(sample, i * dims, sample, i * dims, dims)));
  let chosen = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centroids.set(sample.subarray(chosen * dims, (chosen + 1) * dims), c * dims);
    if (c === k - 1) break;
    signal?.throwIfAborted();
    const centre = centroids.subarray(c * dims, (c + 1) * dims);
    const scores = await scorer.against(centre, 1, dims)(sample, n);
    const error = relative * Math.sqrt(dot(centre, 0, centre, 0, dims));
    let total = 0;
    for (let i = 0; i < n; i++) {
      // 2 − 2·(score + error) is at most the distance fastDot gives: a row it leaves at or above its nearest keeps it.
      // (Written so that NaN scores the row as a plain loop would.)
      const above = scores[i]! + (norms === null ? 0 : error * norms[i]!);
      if (!(2 - 2 * above >= nearest[i]!)) {
        const distance = Math.max(0, 2 - 2 * fastDot(sample, i * dims, centroids, c * dims, dims));
        if (distance < nearest[i]!) nearest[i] = distance;
      }
      total += nearest[i]!;
    }
    // All remaining points coincide with a centre: take the next sample point in order.
    if (total === 0) {
      chosen = (c + 1) % n;
      continue;
    }
    let target = random() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i]!;
      if (target < 0) {
        pick = i;
        break;
      }
    }
    chosen = pick;
  }
  return centroids;
}

/** A seeded sample of row ids (ascending), or all rows when the sample would not be smaller. */
function sampleRows(rows: number, size: number, random: () => number): Int32Array {
  const all = Int32Array.from({ length: rows }, (_, i) => i);
  if (size <= 0 || size >= rows) return all;
  // Partial Fisher–Yates: the first `size` entries become a uniform sample.
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(random() * (rows - i));
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, size).sort();
}

/** Which rows train k-means (a seeded sample, ascending), and the PRNG that seeding goes on with. */
export interface KMeansPlan {
  rows: number;
  k: number;
  sample: Int32Array;
  random: () => number;
}

/**
 * Step one of sphericalKMeans, for callers that keep their vectors elsewhere (a build spills them
 * to disk): the rows to gather for trainKMeans. Then assignRows over every row, in any blocks.
 */
export function planKMeans(rows: number, options: KMeansOptions): KMeansPlan {
  const { k } = options;
  if (!Number.isInteger(k) || k < 1 || k > rows) throw new SgptError('INPUT_INVALID', `k-means k must be an integer in [1, ${rows}] for ${rows} vectors, got ${k}`);
  const random = seededRandom(options.seed ?? 1);
  return { rows, k, sample: sampleRows(rows, k * (options.samplePerCluster ?? 256), random), random };
}

export interface KMeansTraining {
  /** k * dims, each row unit length. */
  centroids: Float32Array;
  /** Sample position -> cluster id, under the final centroids when `converged`. */
  labels: Int32Array;
  iterations: number;
  converged: boolean;
}

/** Step two: Lloyd iterations on the plan's sample rows, gathered in sample order (n × dims). */
export async function trainKMeans(sample: Float32Array, dims: number, plan: KMeansPlan, options: KMeansOptions): Promise<KMeansTraining> {
  const { k, random } = plan;
  const n = plan.sample.length;
  if (sample.length !== n * dims) throw new SgptError('INTERNAL', `k-means sample holds ${sample.length} values, not ${n} rows × ${dims}`);
  const maxIterations = options.iterations ?? 20;
  if (options.initial !== undefined && options.initial.length !== k * dims) {
    throw new SgptError('INPUT_INVALID', `initial centroids have ${options.initial.length} values, not k × dims = ${k * dims}`);
  }
  const scorer = options.scorer ?? jsScorer;
  const centroids = options.initial !== undefined ? Float32Array.from(options.initial) : await seedCentroids(sample, n, k, dims, random, scorer, options.signal);
  const labels = new Int32Array(n).fill(-1);
  const next = new Int32Array(n);
  const bounds = new Bounds(sample, n, dims);
  let iterations = 0;
  while (iterations < maxIterations) {
    options.signal?.throwIfAborted();
    await bounds.assign(sample, new Picker(scorer, centroids, k, dims), labels, next);
    iterations++;
    let changed = 0;
    for (let i = 0; i < n; i++) if (next[i] !== labels[i]) changed++;
    labels.set(next);
    if (changed === 0) return { centroids, labels, iterations, converged: true };
    const before = centroids.slice();
    centroids.fill(0);
    const sizes = new Int32Array(k);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      sizes[c]!++;
      const base = i * dims;
      for (let d = 0; d < dims; d++) centroids[c * dims + d]! += sample[base + d]!;
    }
    normalizeRows(centroids, k, dims);
    if (sizes.includes(0)) reseedEmpty(sample, centroids, sizes, labels, bounds.exactSims(sample, before, labels), dims, bounds);
    bounds.moved(before, centroids, k);
  }
  return { centroids, labels, iterations, converged: false };
}

/**
 * Hamerly's bounds, which make later Lloyd iterations cheap without changing their result: per
 * row, a lower bound on its cosine with its own centroid and an upper bound on its cosine with any
 * other. When centroid c moves by δ_c, a row x's cosine with it moves by at most |x|·δ_c; a row
 * whose own lower bound still beats every other upper bound (by a margin far above rounding)
 * keeps its centroid without being scored, exactly as a full pass would decide.
 */
class Bounds {
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private readonly norms: Float64Array;
  /** Per row, whether `sims` holds its exact cosine with its centroid (false: it was skipped). */
  private readonly exact: Uint8Array;
  private readonly sims: Float64Array;
  private shift: Float64Array | null = null;
  private maxShift = 0;

  constructor(sample: Float32Array, private readonly n: number, private readonly dims: number) {
    this.lower = new Float64Array(n);
    this.upper = new Float64Array(n);
    this.sims = new Float64Array(n);
    this.exact = new Uint8Array(n);
    this.norms = Float64Array.from({ length: n }, (_, i) => Math.sqrt(dot(sample, i * dims, sample, i * dims, dims)));
  }

  /** Each row's nearest centroid (ties: lower id) into `next`; rows the bounds settle keep `labels`, the rest are scored in blocks. */
  async assign(sample: Float32Array, picker: Picker, labels: Int32Array, next: Int32Array): Promise<void> {
    const { dims, shift } = this;
    const open = new Int32Array(this.n);
    let count = 0;
    for (let i = 0; i < this.n; i++) {
      const own = labels[i]!;
      if (shift !== null && own >= 0) {
        this.lower[i]! -= this.norms[i]! * shift[own]!;
        this.upper[i]! += this.norms[i]! * this.maxShift;
        if (this.lower[i]! > this.upper[i]! + BOUND_MARGIN) {
          next[i] = own;
          this.exact[i] = 0;
          continue;
        }
      }
      open[count++] = i;
    }
    const rows = new Float32Array(Math.min(count, SCORE_BLOCK) * dims);
    for (let first = 0; first < count; first += SCORE_BLOCK) {
      const ids = open.subarray(first, Math.min(count, first + SCORE_BLOCK));
      // A run of consecutive rows (every row, on the first pass) is scored in place.
      const block = ids[ids.length - 1]! - ids[0]! === ids.length - 1 ? sample.subarray(ids[0]! * dims, (ids[0]! + ids.length) * dims) : gatherRows(sample, ids, dims, rows);
      await picker.block(block, ids.length, (j, { best, sim, second }) => {
        const i = ids[j]!;
        next[i] = best;
        this.sims[i] = sim;
        this.lower[i] = sim;
        this.upper[i] = second;
        this.exact[i] = 1;
      });
    }
  }

  /** Every row's cosine with its centroid among `centroids`, as a full pass computes it (for re-seeding). */
  exactSims(sample: Float32Array, centroids: Float32Array, labels: Int32Array): Float64Array {
    for (let i = 0; i < this.n; i++) {
      if (this.exact[i]) continue;
      this.sims[i] = fastDot(sample, i * this.dims, centroids, labels[i]! * this.dims, this.dims);
      this.exact[i] = 1;
    }
    return this.sims;
  }

  /** A row moved to another centroid outside assign (re-seeding): score it in full next time. */
  forget(i: number): void {
    this.lower[i] = -Infinity;
  }

  /** The centroids moved from `before` to `after`. */
  moved(before: Float32Array, after: Float32Array, k: number): void {
    const shift = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let d = 0; d < this.dims; d++) sum += (after[c * this.dims + d]! - before[c * this.dims + d]!) ** 2;
      shift[c] = Math.sqrt(sum);
    }
    this.shift = shift;
    this.maxShift = Math.max(...shift);
  }
}

/** How much a bound must win by: far above the rounding of a float64 dot product of float32 values (~1e-13). */
const BOUND_MARGIN = 1e-7;

/**
 * Step three: the nearest centroid of each of `count` contiguous rows (ties: lower id) into `out`.
 * When the sample was every row and training converged, its labels are already this answer.
 */
export async function assignRows(vectors: Float32Array, count: number, centroids: Float32Array, dims: number, out: Int32Array, scorer: BlockScorer = jsScorer): Promise<void> {
  const picker = new Picker(scorer, centroids, centroids.length / dims, dims);
  for (let first = 0; first < count; first += SCORE_BLOCK) {
    const size = Math.min(SCORE_BLOCK, count - first);
    await picker.block(vectors.subarray(first * dims, (first + size) * dims), size, (i, found) => (out[first + i] = found.best));
  }
}

/** Cluster L2-normalised `vectors` (rows × dims) by cosine. */
export async function sphericalKMeans(vectors: Float32Array, dims: number, options: KMeansOptions): Promise<KMeansResult> {
  const rows = checkShape(vectors, dims);
  const plan = planKMeans(rows, options);
  const everyRow = plan.sample.length === rows;
  const sample = everyRow ? vectors : gatherRows(vectors, plan.sample, dims);
  const { centroids, labels, iterations, converged } = await trainKMeans(sample, dims, plan, options);
  const assignments = new Int32Array(rows);
  // Trained on every row and converged: the last pass already assigned them to these centroids.
  if (everyRow && converged) assignments.set(labels);
  else await assignRows(vectors, rows, centroids, dims, assignments, options.scorer);
  return { centroids, k: plan.k, dims, assignments, iterations };
}

/** Rows `ids` of `vectors`, in that order, into `out` (default: a new array). */
function gatherRows(vectors: Float32Array, ids: Int32Array, dims: number, out = new Float32Array(ids.length * dims)): Float32Array {
  ids.forEach((row, i) => out.set(vectors.subarray(row * dims, (row + 1) * dims), i * dims));
  return out.subarray(0, ids.length * dims);
}

/** Give each empty cluster the sample point worst served by its centroid (lowest cosine; ties: lower position). */
function reseedEmpty(sample: Float32Array, centroids: Float32Array, sizes: Int32Array, labels: Int32Array, sims: Float64Array, dims: number, bounds: Bounds): void {
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c]! > 0) continue;
    let worst = -1;
    for (let i = 0; i < labels.length; i++) {
      if (sizes[labels[i]!]! > 1 && (worst === -1 || sims[i]! < sims[worst]!)) worst = i;
    }
    if (worst === -1) return;
    centroids.set(sample.subarray(worst * dims, (worst + 1) * dims), c * dims);
    sizes[labels[worst]!]!--;
    sizes[c] = 1;
    labels[worst] = c;
    sims[worst] = 1;
    bounds.forget(worst);
  }
}

/** The `nprobe` clusters whose centroids have the highest cosine with `query`, best first (ties: lower id). */
export function probe(query: Float32Array, centroids: Float32Array, dims: number, nprobe: number): number[] {
  const k = checkShape(centroids, dims);
  if (query.length !== dims) throw new SgptError('INPUT_INVALID', `query has ${query.length} dims, the centroids ${dims}`);
  const top = new TopK(Math.max(0, Math.min(nprobe, k)));
  for (let c = 0; c < k; c++) top.push(c, fastDot(query, 0, centroids, c * dims, dims));
  return top.result().map((hit) => hit.index);
}

/** Cluster `vectors` with spherical k-means and regroup them by cluster. */
export async function buildIvf(vectors: Float32Array, dims: number, options: KMeansOptions): Promise<IvfIndex & { iterations: number }> {
  const { centroids, assignments, k, iterations } = await sphericalKMeans(vectors, dims, options);
  const offsets = new Uint32Array(k + 1);
  for (const c of assignments) offsets[c + 1]!++;
  for (let c = 0; c < k; c++) offsets[c + 1]! += offsets[c]!;
  const fill = offsets.slice(0, k);
  const rows = new Uint32Array(assignments.length);
  const grouped = new Float32Array(vectors.length);
  assignments.forEach((c, row) => {
    const position = fill[c]!++;
    rows[position] = row;
    grouped.set(vectors.subarray(row * dims, (row + 1) * dims), position * dims);
  });
  return { dims, centroids, offsets, rows, vectors: grouped, iterations };
}

/**
 * IVF search: exact cosine over the rows of the `nprobe` nearest clusters only. `index` is the
 * original row; ties go to the lower row, as in exact search, so probing every cluster gives
 * exactly the exact-search result.
 */
export function ivfSearch(ivf: IvfIndex, query: Float32Array, nprobe: number, k: number): Scored[] {
  const { dims, vectors, offsets, rows } = ivf;
  const top = new TopK(k);
  for (const c of probe(query, ivf.centroids, dims, nprobe)) {
    for (let position = offsets[c]!; position < offsets[c + 1]!; position++) {
      top.push(rows[position]!, dot(query, 0, vectors, position * dims, dims));
    }
  }
  return top.result();
}
