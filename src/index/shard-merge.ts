/**
 * Checks a set of shard files (./shard-file) before merging: one model, one N, one site, every
 * shard 0 … N−1 exactly once. Each mistake a CI matrix can make gets its own message.
 */
import { basename } from 'node:path';
import { SgptError } from '../errors';
import type { ModelRef } from './format';
import { ShardReader, type ShardHeader } from './shard-file';
import type { KnownVectors } from './vector-cache';

export interface MergedShards {
  model: ModelRef;
  count: number;
  /** Vectors of every shard, by text hash. */
  known: KnownVectors;
  /** Distinct texts held. */
  texts: number;
  /** Closes the shard files. */
  close(): Promise<void>;
}

const label = (h: ShardHeader) => `${h.shard.index}/${h.shard.count}`;

/** Throws the first problem of a set of headers (path, header), in the order a person would fix them. */
export function checkShardSet(files: ReadonlyArray<{ path: string; header: ShardHeader }>): void {
  if (files.length === 0) throw new SgptError('INPUT_INVALID', 'no shard files given: pass the files `sgpt-search index --shard i/N` wrote (or their folder)');
  const [first, ...rest] = files;
  const name = (path: string) => basename(path);
  for (const file of rest) {
    const [a, b] = [first!.header.model, file.header.model];
    if (a.id !== b.id || a.hash !== b.hash || a.dims !== b.dims || a.mode !== b.mode) {
      throw new SgptError('INDEX_MODEL_MISMATCH', `shard ${name(file.path)} was built with model ${b.id} (${b.mode}, ${b.dims} dims, hash ${b.hash.slice(0, 12)}…) but ${name(first!.path)} with ${a.id} (${a.mode}, ${a.dims} dims, hash ${a.hash.slice(0, 12)}…): build every shard with the same model`);
    }
    if (file.header.shard.count !== first!.header.shard.count) {
      throw new SgptError('INPUT_INVALID', `shard ${name(file.path)} is ${label(file.header)} but ${name(first!.path)} is ${label(first!.header)}: every shard of one build needs the same N`);
    }
    if (file.header.site.fingerprint !== first!.header.site.fingerprint) {
      throw new SgptError('INPUT_INVALID', `shards ${name(first!.path)} (${first!.header.site.sections} sections) and ${name(file.path)} (${file.header.site.sections} sections) were built from different versions of the site (or different --exclude): build every shard from the same site`);
    }
  }
  const byIndex = new Map<number, string>();
  for (const file of files) {
    const other = byIndex.get(file.header.shard.index);
    if (other !== undefined) throw new SgptError('INPUT_INVALID', `shard ${label(file.header)} is given twice: ${name(other)} and ${name(file.path)}`);
    byIndex.set(file.header.shard.index, file.path);
  }
  const count = first!.header.shard.count;
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new SgptError('INPUT_INVALID', `missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} (given ${files.length} of ${count})`);
}

/**
 * Opens and checks the shard files of one build. Their vectors stay on disk: `known` reads a text's
 * entry when the build asks for it (a corrupt entry is INDEX_INVALID then, naming the file). Close
 * the files with `close` once the build is written.
 */
export async function mergeShardFiles(paths: readonly string[]): Promise<MergedShards> {
  const files: ShardReader[] = [];
  try {
    for (const path of paths) files.push(await ShardReader.open(path));
    checkShardSet(files);
  } catch (error) {
    await Promise.all(files.map((file) => file.close()));
    throw error;
  }
  const byHash = new Map<string, ShardReader>();
  for (const file of files) for (const hash of file.hashes()) byHash.set(hash, file);
  return {
    model: files[0]!.header.model,
    count: files[0]!.header.shard.count,
    texts: byHash.size,
    known: { get: async (hash) => (await byHash.get(hash)?.read(hash)) ?? null },
    close: async () => void (await Promise.all(files.map((file) => file.close()))),
  };
}
