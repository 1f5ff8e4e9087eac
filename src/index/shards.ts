/**
 * IVF sharding: rows go to the shard of their nearest spherical k-means centroid (the ranking
 * code's kmeans), so a query reads only the shards whose centroids are nearest to it. The rows are
 * read from a RowStore a block at a time: k-means trains on its seeded sample (gathered once; at
 * most 256 rows per shard, fewer on big sites: samplePerClusterFor), then every row is assigned block
 * by block, so memory holds the sample, not the site's vectors. The same rows in any store give
 * the same shards.
 */
import { assignRows, planKMeans, trainKMeans, type BlockScorer, type KMeansOptions } from '../search/kmeans';
import { DEFAULT_ROW_BLOCK, gatherRows, type RowStore } from './row-store';

export interface ShardAssignment {
  /** row -> shard */
  assignment: Int32Array;
  /** k * dims, unit length; empty for one shard */
  centroids: Float32Array;
}

/**
 * Rows k-means trains on at most while each shard still gets 39 (below which Faiss warns that
 * k-means lacks points): with k ≈ √rows on big sites, 256 per shard (Faiss' default) made the
 * sample nearly every row, the build's largest allocation (float32, rows × dims) and most of its
 * time. Sites up to about this many rows train on all of them, as before; up to k = 420 shards
 * (~176k rows) the sample stays this size, then grows as 39·√rows.
 */
const SAMPLE_ROWS = 16_384;

/** The fewest rows per shard k-means trains on (Faiss warns below 39 points per centroid); the writer makes no more shards than rows / MIN_SHARD_ROWS. */
export const MIN_SHARD_ROWS = 39;

/**
 * Shards k-means makes at most while its sample stays SAMPLE_ROWS (420); past √rows = 420 (~176k
 * rows), √rows. A pass costs sample × shards, so this bounds the build's clustering time as the
 * √rows cap alone did before version 7's finer shards.
 */
export function maxShards(rows: number): number {
  return Math.max(Math.floor(Math.sqrt(rows)), Math.floor(SAMPLE_ROWS / MIN_SHARD_ROWS));
}

/** Training points per shard: Faiss' 256, fewer when k × 256 would pass SAMPLE_ROWS, never under MIN_SHARD_ROWS. */
function samplePerClusterFor(k: number): number {
  return Math.max(MIN_SHARD_ROWS, Math.min(256, Math.floor(SAMPLE_ROWS / k)));
}

/** How assignShards runs: the previous build's centroids to start from, rows read at once, how rows are scored. */
export interface ShardOptions {
  /** Centroids to start from (the previous build's, when it had k shards too). */
  initial?: Float32Array;
  /** Rows read from the store at once when assigning (default DEFAULT_ROW_BLOCK). */
  block?: number;
  /** k-means' block scorer (default: the pure JS one); the shards do not depend on it. */
  scorer?: BlockScorer;
  /** Stops the clustering between iterations (KMeansOptions) and between blocks of rows assigned. */
  signal?: AbortSignal;
}

/** `positions[r]`: where row r is in `store`. */
export async function assignShards(store: RowStore, positions: Int32Array, k: number, { initial, block = DEFAULT_ROW_BLOCK, scorer, signal }: ShardOptions = {}): Promise<ShardAssignment> {
  const rows = positions.length;
  const assignment = new Int32Array(rows);
  if (k <= 1) return { assignment, centroids: new Float32Array(0) };
  const options: KMeansOptions = { k, samplePerCluster: samplePerClusterFor(k), ...(initial === undefined ? {} : { initial }), ...(scorer === undefined ? {} : { scorer }), ...(signal === undefined ? {} : { signal }) };
  const plan = planKMeans(rows, options);
  const { dims } = store;
  const trained = await trainKMeans(await gatherRows(store, plan.sample.map((r) => positions[r]!), block), dims, plan, options);
  // Trained on every row and converged: the last pass already assigned them to these centroids.
  if (plan.sample.length === rows && trained.converged) assignment.set(trained.labels);
  else {
    for (let first = 0; first < rows; first += block) {
      signal?.throwIfAborted();
      const count = Math.min(block, rows - first);
      await assignRows(await gatherRows(store, positions.subarray(first, first + count), block), count, trained.centroids, dims, assignment.subarray(first, first + count), scorer);
    }
  }
  return { assignment, centroids: trained.centroids };
}
