/**
 * An unchanged rebuild's vector files, kept as the previous build stored them. When a build's
 * sections are the previous build's (the same model and mode, the same texts in the same order,
 * this format version, as many shards), every row comes from the previous index and keeps its
 * shard (the clustering is kept, as the writer's keptClustering does), so each shard holds the
 * same rows (sections and windows, in row order) with the previous build's own int8 codes and
 * scales against the same centroid: its content, and so its gzip, is the previous file's. Those
 * files are checked against the manifest (length and sha256) and written again as they are: no
 * row is decoded, held as float32, requantised, encoded or compressed. The reader's loader reads;
 * no fs here.
 */
import { decodeShardOwners, fileContent, FORMAT_VERSION, type FileRef, type ShardRef } from './format';
import type { IndexReader } from './reader';
import { SectionShards } from './section-shards';

/** A build's vector files: the IVF shards and their centroids (null with one shard). */
export interface VectorFiles {
  /** Vector rows in all. */
  rows: number;
  shards: ShardRef[];
  centroids: FileRef | null;
  /** Per section, the shards holding its rows (for its bucket entry and the filter table). */
  shardsOf: SectionShards;
}

/**
 * The previous build's vector files when this build would write them byte for byte, each checked;
 * null when anything differs or a file is missing or damaged (the build then collects its vectors,
 * reusing the rows it can read, and writes the files anew). The caller has checked the model.
 * `previousHashes`: the previous sections' text hashes as this build's (null: unreadable);
 * `shardCount(rows)`: the shards this build makes of that many rows. Each shard's row owners are
 * read (gunzipped, codes left alone) for the sections' shard lists.
 */
export async function keptVectors(previous: IndexReader, previousHashes: readonly string[] | null, hashes: readonly string[], shardCount: (rows: number) => number): Promise<VectorFiles | null> {
  const { manifest } = previous;
  const rows = manifest.counts.vectors;
  if (manifest.version !== FORMAT_VERSION || previousHashes === null || previousHashes.length !== hashes.length) return null;
  if (previousHashes.some((hash, s) => hash !== hashes[s])) return null;
  if (shardCount(rows) !== manifest.shards.length || manifest.shards.reduce((sum, ref) => sum + ref.rows, 0) !== rows) return null;
  const shardsOf = new SectionShards(hashes.length);
  try {
    if (manifest.centroids !== null) await previous.storedFile(manifest.centroids);
    for (const [k, ref] of manifest.shards.entries()) {
      const stored = await previous.storedFile(ref);
      const owners = decodeShardOwners(ref.name, await fileContent(ref.name, stored), manifest.model.dims, hashes.length);
      for (const section of owners) shardsOf.add(section, k);
    }
  } catch {
    return null;
  }
  return { rows, shards: manifest.shards, centroids: manifest.centroids, shardsOf };
}

/**
 * Hands each kept file to `emit` as stored, shards then centroids (as a build writes them). Read
 * and checked again rather than held since the check: memory holds one file at a time.
 */
export async function emitKeptVectors(previous: IndexReader, kept: VectorFiles, emit: (name: string, bytes: Uint8Array) => Promise<void>): Promise<void> {
  for (const ref of [...kept.shards, ...(kept.centroids === null ? [] : [kept.centroids])]) await emit(ref.name, await previous.storedFile(ref));
}
