/**
 * Shard files: the vectors one machine of a fanned-out build embedded (`sgpt-search index --shard
 * i/N`), which `sgpt-search merge` combines into one index. Node edge. Layout (little-endian):
 *
 *   magic "SGS1", uint32 header bytes, header JSON (ShardHeader), then per entry:
 *   16 bytes text hash (the section hash of hashes.json, as bytes), uint32 entry bytes, one
 *   vector entry (./vector-entry: float32 rows with their own sha256)
 *
 * Shard i of N holds the site's distinct section texts at positions p (in section order) with
 * p mod N = i, so every machine, given the same site, agrees on the split without talking to the
 * others; the header's site fingerprint (over every section hash in order) proves they saw the
 * same site.
 */
import { createHash } from 'node:crypto';
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { SgptError } from '../errors';
import type { ModelRef } from './format';
import { decodeVectorEntry, encodeVectorEntry } from './vector-entry';
import { writeAll } from './write-all';

export const SHARD_FORMAT = 'sgpt-search-shard';
export const SHARD_VERSION = 1;
export const SHARD_SUFFIX = '.sgpt-shard';
const MAGIC = 0x31534753; // "SGS1" as a little-endian uint32
const TEXT_HASH = /^[0-9a-f]{32}$/;

export interface ShardHeader {
  format: typeof SHARD_FORMAT;
  version: number;
  model: ModelRef;
  shard: { index: number; count: number };
  site: { sections: number; fingerprint: string };
  entries: number;
}

/** "i/N" -> { index, count }, 0 ≤ i < N. */
export function parseShardSpec(spec: string): { index: number; count: number } {
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(spec);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new SgptError('INPUT_INVALID', `--shard must be i/N with 0 ≤ i < N (e.g. 0/4 … 3/4), got ${JSON.stringify(spec)}`);
  }
  return { index, count };
}

export function shardFileName(shard: { index: number; count: number }): string {
  return `shard-${shard.index}-of-${shard.count}${SHARD_SUFFIX}`;
}

/** sha256 over every section hash in order: equal only for the same sections of the same site. */
export function siteFingerprint(hashes: readonly string[]): string {
  return createHash('sha256').update(hashes.join('\n')).digest('hex');
}

/** Indices of the sections shard `index` of `count` embeds: the first section of every distinct text at position p ≡ index (mod count). */
export function shardSections(hashes: readonly string[], shard: { index: number; count: number }): number[] {
  const seen = new Set<string>();
  const mine: number[] = [];
  hashes.forEach((hash, section) => {
    if (seen.has(hash)) return;
    if (seen.size % shard.count === shard.index) mine.push(section);
    seen.add(hash);
  });
  return mine;
}

/** A shard file's entries: text hash -> its rows; iterated once, possibly reading the rows as it goes. */
export type ShardEntries = { readonly size: number } & (Iterable<readonly [string, readonly Float32Array[]]> | AsyncIterable<readonly [string, readonly Float32Array[]]>);

/** Write a shard file entry by entry (to a temporary name, then renamed: a killed job leaves no half file). */
export async function writeShardFile(path: string, header: Omit<ShardHeader, 'format' | 'version' | 'entries'>, vectors: ShardEntries): Promise<number> {
  const full: ShardHeader = { format: SHARD_FORMAT, version: SHARD_VERSION, ...header, entries: vectors.size };
  const json = new TextEncoder().encode(JSON.stringify(full));
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, MAGIC, true);
  new DataView(head.buffer).setUint32(4, json.length, true);
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w').catch((error: Error) => {
    throw new SgptError('INPUT_INVALID', `cannot create the shard file ${temporary}: ${error.message}`);
  });
  let bytes = 0;
  const write = async (part: Uint8Array) => {
    await writeAll(file, part, null, `the shard file ${temporary}`);
    bytes += part.length;
  };
  try {
    try {
      await write(head);
      await write(json);
      for await (const [hash, rows] of vectors) {
        if (!TEXT_HASH.test(hash)) throw new SgptError('INTERNAL', `not a text hash: ${hash}`);
        const entry = encodeVectorEntry(rows, header.model.dims);
        const prefix = new Uint8Array(20);
        prefix.set(Buffer.from(hash, 'hex'), 0);
        new DataView(prefix.buffer).setUint32(16, entry.length, true);
        await write(prefix);
        await write(entry);
      }
    } finally {
      await file.close();
    }
    await checkShardTarget(path); // again: a file may have been put there while the shard was embedded
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }); // a failed write (a full disk) leaves nothing behind
    throw error;
  }
  return bytes;
}

/**
 * Refuses (INPUT_INVALID) a `path` that holds something other than a shard file (by its magic),
 * which writing the shard there would replace: --out may hold files of the user's. Nothing there,
 * or a shard file (an earlier run's), is fine.
 */
export async function checkShardTarget(path: string): Promise<void> {
  const there = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw new SgptError('INPUT_INVALID', `cannot check ${path}: ${error.message}`);
  });
  if (there === null) return;
  let magic = -1;
  if (there.isFile()) {
    const file = await open(path, 'r');
    try {
      const head = Buffer.alloc(4);
      if ((await file.read(head, 0, 4, 0)).bytesRead === 4) magic = head.readUInt32LE(0);
    } finally {
      await file.close();
    }
  }
  if (magic !== MAGIC) {
    throw new SgptError('INPUT_INVALID', `${path} is ${there.isFile() ? 'not a shard file' : 'not a regular file'}, and sgpt-search replaces only shard files it wrote there: nothing was changed. Move or remove it, or give --out another folder`);
  }
}

function invalid(path: string, why: string): SgptError {
  return new SgptError('INDEX_INVALID', `shard file ${basename(path)}: ${why} (truncated, corrupt or not a shard file: build that shard again)`);
}

function checkHeader(path: string, value: unknown): ShardHeader {
  const h = value as ShardHeader;
  if (typeof h !== 'object' || h === null || h.format !== SHARD_FORMAT) throw invalid(path, `its header is not a ${SHARD_FORMAT} header`);
  if (h.version !== SHARD_VERSION) throw new SgptError('INDEX_VERSION', `shard file ${basename(path)} is version ${JSON.stringify(h.version)}; this sgpt-search reads version ${SHARD_VERSION}: build the shards with the same version as the merge`);
  const m = h.model;
  const ok =
    typeof m === 'object' && m !== null && typeof m.id === 'string' && typeof m.hash === 'string' && Number.isInteger(m.dims) && m.dims > 0 && m.dims <= 65536 &&
    (m.mode === 'symmetric' || m.mode === 'asymmetric') &&
    Number.isInteger(h.shard?.count) && h.shard.count >= 1 && Number.isInteger(h.shard.index) && h.shard.index >= 0 && h.shard.index < h.shard.count &&
    Number.isInteger(h.site?.sections) && typeof h.site.fingerprint === 'string' && Number.isInteger(h.entries) && h.entries >= 0;
  if (!ok) throw invalid(path, 'its header lacks a field or has one out of range');
  return h;
}

/** Bytes read at once while scanning a shard file's entry prefixes. */
const SCAN_BLOCK = 256 * 1024;

/**
 * A shard file opened for a merge: its header checked and its entries located (each entry's
 * prefix read and its bounds checked, no text twice, nothing after the last), but no vectors held:
 * `read` reads one text's entry and checks its checksum when the build asks for it, so a merge
 * holds a block of vectors, not every shard's.
 */
export class ShardReader {
  private constructor(
    readonly path: string,
    readonly header: ShardHeader,
    private readonly file: FileHandle,
    /** Text hash -> [entry number, byte offset of its vector entry, its length]. */
    private readonly entries: Map<string, [number, number, number]>,
  ) {}

  static async open(path: string): Promise<ShardReader> {
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `cannot read shard file ${path}: ${(error as Error).message}`);
    }
    try {
      const size = (await file.stat()).size;
      const read = async (at: number, length: number) => {
        const bytes = Buffer.alloc(Math.max(0, Math.min(length, size - at)));
        await file.read(bytes, 0, bytes.length, at);
        return bytes;
      };
      const head = await read(0, 8);
      if (head.length < 8 || head.readUInt32LE(0) !== MAGIC) throw invalid(path, 'it does not start with the shard magic');
      const jsonEnd = 8 + head.readUInt32LE(4);
      if (jsonEnd > size) throw invalid(path, 'its header runs past the end');
      let parsed: unknown;
      try {
        parsed = JSON.parse((await read(8, jsonEnd - 8)).toString('utf8'));
      } catch {
        throw invalid(path, 'its header is not JSON');
      }
      const header = checkHeader(path, parsed);
      const entries = new Map<string, [number, number, number]>();
      let block = Buffer.alloc(0);
      let blockAt = 0;
      let at = jsonEnd;
      for (let e = 0; e < header.entries; e++) {
        if (at + 20 > size) throw invalid(path, `entry ${e} of ${header.entries} is missing`);
        if (at + 20 > blockAt + block.length) [block, blockAt] = [await read(at, SCAN_BLOCK), at];
        const hash = block.subarray(at - blockAt, at - blockAt + 16).toString('hex');
        const length = block.readUInt32LE(at - blockAt + 16);
        if (at + 20 + length > size) throw invalid(path, `entry ${e} runs past the end`);
        if (entries.has(hash)) throw invalid(path, `text ${hash} appears twice`);
        entries.set(hash, [e, at + 20, length]);
        at += 20 + length;
      }
      if (at !== size) throw invalid(path, `${size - at} bytes follow the last entry`);
      return new ShardReader(path, header, file, entries);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** The text hashes it holds, in file order. */
  hashes(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** The rows of a text, read and checked now; null when the file does not hold it. */
  async read(hash: string): Promise<Float32Array[] | null> {
    const entry = this.entries.get(hash);
    if (entry === undefined) return null;
    const [number, offset, length] = entry;
    const bytes = new Uint8Array(length);
    await this.file.read(bytes, 0, length, offset);
    const rows = decodeVectorEntry(bytes, this.header.model.dims);
    if (rows === null) throw invalid(this.path, `entry ${number} fails its checksum`);
    return rows;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
