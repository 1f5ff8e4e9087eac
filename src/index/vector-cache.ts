/**
 * The embedding cache a CI system keeps between builds (`sgpt-search index --cache-dir <dir>`):
 * one file per (model, mode, text), holding the text's float32 vectors (./vector-entry), at
 * `<dir>/<model hash 16>-<mode>/<text hash 2>/<text hash>.vec`. Node edge.
 *
 * The text hash is the section hash the index stores (hashes.json: heading path + text), and the
 * model hash covers config.json and the ONNX weights, so a changed model or text never matches.
 * Each entry is keyed (./vector-entry, "SGE2"): its checksum covers entryKey (cache format, model
 * hash, mode, dims, text hash), so an entry copied or written under another text's name fails it.
 * An entry that is unreadable or fails its checksum is counted as corrupt, never used, and replaced
 * when the text is embedded again; one of the first, unkeyed format ("SGE1") is never used either,
 * but replaced without being counted (older, not damaged). Entries are written to a temporary name
 * and renamed, so a killed build leaves whole entries or none. Models without a hash (hub ids, URLs) are not cached.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SgptError } from '../errors';
import type { ModelRef } from './format';
import { decodeVectorEntry, encodeVectorEntry, isUnkeyedEntry } from './vector-entry';

/** Vectors known before embedding: a text's rows by its hash (./writer asks before it embeds). */
export interface KnownVectors {
  get(hash: string): Promise<Float32Array[] | null>;
  /** Keeps freshly embedded rows (a cache does; shard files are read-only). */
  put?(hash: string, rows: readonly Float32Array[]): Promise<void>;
}

const TEXT_HASH = /^[0-9a-f]{32}$/;

/** The cache's entry format: a change re-embeds every entry written before it. */
const CACHE_FORMAT = 2;

/** What an entry at `hash` must be the vectors of; its checksum covers it. */
export function entryKey(model: ModelRef, hash: string): string {
  return `sgpt-search vector cache ${CACHE_FORMAT}\0${model.hash}\0${model.mode}\0${model.dims}\0${hash}`;
}

export class VectorCache implements KnownVectors {
  /** Entries found unreadable or corrupt in this build (recomputed). */
  corrupt = 0;
  hits = 0;
  private serial = 0;

  private constructor(private readonly dir: string, private readonly model: ModelRef) {}

  /** The cache for `model` under `dir` (created when missing); null when the model has no hash to key it by. */
  static async open(dir: string, model: ModelRef): Promise<VectorCache | null> {
    if (model.hash === '') return null;
    const folder = join(dir, `${model.hash.slice(0, 16)}-${model.mode}`);
    try {
      await mkdir(folder, { recursive: true });
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `--cache-dir ${dir}: cannot create ${folder}: ${(error as Error).message}`);
    }
    return new VectorCache(folder, model);
  }

  private path(hash: string): string {
    if (!TEXT_HASH.test(hash)) throw new SgptError('INTERNAL', `not a text hash: ${JSON.stringify(hash)}`);
    return join(this.dir, hash.slice(0, 2), `${hash}.vec`);
  }

  async get(hash: string): Promise<Float32Array[] | null> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.path(hash)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.corrupt++;
      return null;
    }
    const rows = decodeVectorEntry(bytes, this.model.dims, entryKey(this.model, hash));
    // An entry of the format before keys is not damaged, only older: embedded again without a warning.
    if (rows === null && !isUnkeyedEntry(bytes)) this.corrupt++;
    else if (rows !== null) this.hits++;
    return rows;
  }

  async put(hash: string, rows: readonly Float32Array[]): Promise<void> {
    const path = this.path(hash);
    await mkdir(join(this.dir, hash.slice(0, 2)), { recursive: true });
    const temporary = `${path}.${process.pid}.${this.serial++}.tmp`;
    await writeFile(temporary, encodeVectorEntry(rows, this.model.dims, entryKey(this.model, hash)));
    await rename(temporary, path);
  }
}
