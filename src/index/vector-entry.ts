/**
 * The bytes of one text's vectors outside an index: in the embedding cache (./vector-cache) and in
 * shard files (./shard-file). Node edge (sha256 via node:crypto, synchronously: thousands of small entries).
 *
 *   magic "SGE1", uint32 rows, uint32 dims, float32 vectors[rows × dims] (little-endian),
 *   sha256 of everything before it (32 bytes)
 *
 * A keyed entry (the cache's: magic "SGE2") is bound to what it is the vectors of: its checksum
 * is the sha256 of the key's UTF-8 bytes, then everything before the checksum, so an entry copied
 * under another text's name fails it. (A shard file's entries follow their text hash in the file.)
 *
 * The vectors are the embedder's float32 output, not int8: a build that takes them from here writes
 * the same bytes as one that embedded them. A wrong length, magic, dims or checksum, or a vector that
 * is not finite, is corrupt: decodeVectorEntry returns null and the caller embeds again.
 */
import { createHash } from 'node:crypto';

const MAGIC = 0x31454753; // "SGE1" read as a little-endian uint32
const KEYED_MAGIC = 0x32454753; // "SGE2"
const HEADER = 12;
const CHECKSUM = 32;

/**
 * The checksum of `body`, bound to `key` when given: the sha256 of the key's UTF-8 bytes, then the
 * body. Only bytes made for that key pass it (also eval's embedding cache, src/eval/embedding-cache).
 */
export function keyedChecksum(body: Uint8Array, key?: string): Buffer {
  const hash = createHash('sha256');
  if (key !== undefined) hash.update(key, 'utf8');
  return hash.update(body).digest();
}

/** An entry of `rows`; with `key`, a keyed entry that only a decode with the same key accepts. */
export function encodeVectorEntry(rows: readonly Float32Array[], dims: number, key?: string): Uint8Array {
  const bytes = new Uint8Array(HEADER + rows.length * dims * 4 + CHECKSUM);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, key === undefined ? MAGIC : KEYED_MAGIC, true);
  view.setUint32(4, rows.length, true);
  view.setUint32(8, dims, true);
  rows.forEach((row, r) => {
    for (let d = 0; d < dims; d++) view.setFloat32(HEADER + (r * dims + d) * 4, row[d]!, true);
  });
  const body = bytes.subarray(0, bytes.length - CHECKSUM);
  bytes.set(keyedChecksum(body, key), body.length);
  return bytes;
}

/** Whether `bytes` begin as an unkeyed entry ("SGE1": a shard file's, or a cache entry of the format before keys). */
export function isUnkeyedEntry(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MAGIC;
}

/**
 * The rows of an entry made with `dims` (and `key`: a keyed entry with the same key), or null when
 * the bytes are not a sound entry of that kind.
 */
export function decodeVectorEntry(bytes: Uint8Array, dims: number, key?: string): Float32Array[] | null {
  if (bytes.length < HEADER + CHECKSUM) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = view.getUint32(4, true);
  if (view.getUint32(0, true) !== (key === undefined ? MAGIC : KEYED_MAGIC) || view.getUint32(8, true) !== dims || rows < 1) return null;
  if (bytes.length !== HEADER + rows * dims * 4 + CHECKSUM) return null;
  const body = bytes.subarray(0, bytes.length - CHECKSUM);
  if (!keyedChecksum(body, key).equals(bytes.subarray(body.length))) return null;
  const out: Float32Array[] = [];
  for (let r = 0; r < rows; r++) {
    const row = new Float32Array(dims);
    for (let d = 0; d < dims; d++) {
      const value = view.getFloat32(HEADER + (r * dims + d) * 4, true);
      if (!Number.isFinite(value)) return null;
      row[d] = value;
    }
    out.push(row);
  }
  return out;
}
