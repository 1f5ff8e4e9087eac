/**
 * On-disk cache of corpus embeddings for repeated evals (Node only). The key hashes everything
 * the vectors depend on: the model (folder content hash, else its hub id / URL), the SGPT
 * settings in force (mode, brackets, lengths), the weights dtype, and every document text in order.
 *
 * File: "SGPTEMB2", a little-endian uint32 JSON header length, the JSON header
 * { rows, dims, texts }, zero padding to a multiple of 4, rows*dims float32, rows int32 owners,
 * then the sha256 of the key (hex, as the file is named) and everything before it, so rows swapped
 * or a file copied under another key fail it. A file that does not parse or check, holds a vector
 * that is not finite, or is of the first format ("SGPTEMB1", no checksum) is damaged: never
 * trusted, recomputed and rewritten.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Embeddings } from '../embed/types';
import { keyedChecksum } from '../index/vector-entry';

const MAGIC = 'SGPTEMB2';
const CHECKSUM = 32;

export interface CacheKeyParts {
  /** Content hash of a local model folder, else the hub id / URL it was loaded from. */
  model: string;
  /** Anything else the vectors depend on (SGPT settings, dtype, chunk overlap). */
  settings: unknown;
  texts: readonly string[];
}

export function cacheKey(parts: CacheKeyParts): string {
  const hash = createHash('sha256');
  hash.update(`model\0${parts.model}\0settings\0${JSON.stringify(parts.settings)}\0texts\0${parts.texts.length}\0`);
  for (const text of parts.texts) hash.update(`${text.length}\0${text}`);
  return hash.digest('hex');
}

function pathFor(dir: string, key: string): string {
  return join(dir, 'embeddings', `${key}.bin`);
}

function encode(key: string, embeddings: Embeddings, texts: number): Uint8Array {
  const header = Buffer.from(JSON.stringify({ rows: embeddings.rows, dims: embeddings.dims, texts }), 'utf8');
  const start = Math.ceil((MAGIC.length + 4 + header.length) / 4) * 4;
  const end = start + embeddings.rows * embeddings.dims * 4 + embeddings.rows * 4;
  const out = new Uint8Array(end + CHECKSUM);
  out.set(Buffer.from(MAGIC, 'latin1'), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  out.set(new Uint8Array(embeddings.vectors.buffer, embeddings.vectors.byteOffset, embeddings.vectors.byteLength), start);
  out.set(new Uint8Array(embeddings.owner.buffer, embeddings.owner.byteOffset, embeddings.owner.byteLength), start + embeddings.vectors.byteLength);
  out.set(keyedChecksum(out.subarray(0, end), key), end);
  return out;
}

function decode(key: string, file: Uint8Array, texts: number): Embeddings | null {
  if (file.length < MAGIC.length + 4 + CHECKSUM || Buffer.from(file.subarray(0, MAGIC.length)).toString('latin1') !== MAGIC) return null;
  const data = file.subarray(0, file.length - CHECKSUM);
  if (!keyedChecksum(data, key).equals(file.subarray(data.length))) return null;
  const headerLength = new DataView(data.buffer, data.byteOffset).getUint32(MAGIC.length, true);
  let header: { rows?: unknown; dims?: unknown; texts?: unknown };
  try {
    header = JSON.parse(Buffer.from(data.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength)).toString('utf8'));
  } catch {
    return null;
  }
  const { rows, dims } = header;
  if (!Number.isInteger(rows) || !Number.isInteger(dims) || header.texts !== texts) return null;
  const r = rows as number;
  const d = dims as number;
  const start = Math.ceil((MAGIC.length + 4 + headerLength) / 4) * 4;
  if (data.length !== start + r * d * 4 + r * 4) return null;
  // An aligned copy of its own buffer (typed-array views need a 4-byte aligned offset; Buffer.slice would not copy).
  const copy = new Uint8Array(data.subarray(start));
  const vectors = new Float32Array(copy.buffer, 0, r * d);
  const owner = new Int32Array(copy.buffer, r * d * 4, r);
  if (owner.some((o) => o < 0 || o >= texts) || !vectors.every(Number.isFinite)) return null;
  return { vectors, dims: d, rows: r, owner };
}

/**
 * Cached embeddings of `texts`; null on a miss (no such file, or no usable folder), 'damaged' for a
 * file there that is unreadable or fails its checks (the caller recomputes it, with a warning).
 */
export async function readCached(dir: string, key: string, texts: number): Promise<Embeddings | 'damaged' | null> {
  let data: Uint8Array;
  try {
    data = await readFile(pathFor(dir, key));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : 'damaged';
  }
  return decode(key, data, texts) ?? 'damaged';
}

/** Write atomically (temp file + rename) so a crash never leaves a half-written entry. */
export async function writeCached(dir: string, key: string, embeddings: Embeddings, texts: number): Promise<void> {
  const path = pathFor(dir, key);
  await mkdir(join(dir, 'embeddings'), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, encode(key, embeddings, texts));
  await rename(temp, path);
}
