/**
 * IVF sharding: rows go to the shard of their nearest spherical k-means centroid (the ranking
 * code's kmeans), so a query reads only the shards whose centroids are nearest to it.
 */
import { sphericalKMeans } from '../search/kmeans';

export interface ShardAssignment {
  /** row -> shard */
  assignment: Int32Array;
  /** k * dims, unit length; empty for one shard */
  centroids: Float32Array;
}

/** `initial`: centroids to start from (the previous build's, when it had k shards too). */
export function assignShards(vectors: Float32Array, rows: number, dims: number, k: number, initial?: Float32Array): ShardAssignment {
  if (k <= 1) return { assignment: new Int32Array(rows), centroids: new Float32Array(0) };
  const result = sphericalKMeans(vectors, dims, initial === undefined ? { k } : { k, initial });
  return { assignment: result.assignments, centroids: result.centroids };
}
