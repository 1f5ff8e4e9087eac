/**
 * The bytes of one text's vectors outside an index: in the embedding cache (./vector-cache) and in
 * shard files (./shard-file). Node edge (sha256 via node:crypto, synchronously: thousands of small entries).
 *
 *   magic "SGE1", uint32 rows, uint32 dims, float32 vectors[rows × dims] (little-endian),
 *   sha256 of everything before it (32 bytes)
 *
 * The vectors are the embedder's float32 output, not int8: a build that takes them from here writes
 * the same bytes as one that embedded them. A wrong length, magic, dims or checksum, or a vector that
 * is not finite, is corrupt: decodeVectorEntry returns null and the caller embeds again.
 */
import { createHash } from 'node:crypto';

const MAGIC = 0x31454753; // "SGE1" read as a little-endian uint32
const HEADER = 12;
const CHECKSUM = 32;

export function encodeVectorEntry(rows: readonly Float32Array[], dims: number): Uint8Array {
  const bytes = new Uint8Array(HEADER + rows.length * dims * 4 + CHECKSUM);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, rows.length, true);
  view.setUint32(8, dims, true);
  rows.forEach((row, r) => {
    for (let d = 0; d < dims; d++) view.setFloat32(HEADER + (r * dims + d) * 4, row[d]!, true);
  });
  const body = bytes.subarray(0, bytes.length - CHECKSUM);
  bytes.set(createHash('sha256').update(body).digest(), body.length);
  return bytes;
}

/** The rows of an entry made with `dims`, or null when the bytes are not a sound entry. */
export function decodeVectorEntry(bytes: Uint8Array, dims: number): Float32Array[] | null {
  if (bytes.length < HEADER + CHECKSUM) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rows = view.getUint32(4, true);
  if (view.getUint32(0, true) !== MAGIC || view.getUint32(8, true) !== dims || rows < 1) return null;
  if (bytes.length !== HEADER + rows * dims * 4 + CHECKSUM) return null;
  const body = bytes.subarray(0, bytes.length - CHECKSUM);
  const sum = createHash('sha256').update(body).digest();
  if (!sum.equals(bytes.subarray(body.length))) return null;
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
