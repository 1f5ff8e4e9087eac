/**
 * The vectors of a build's sections: each text's rows from the embedding cache or shard files
 * (`known`, exact float32), else from the previous index (int8, dequantised, streamed a shard at
 * a time), else embedded now, once per distinct text, and handed to `known` to keep. Rows go into
 * a RowStore as they come (./row-store: in memory, or a temporary file that bounds the build's
 * memory); each text gets the positions of its rows there. No fs here.
 */
import type { EmbedOptions, Embeddings, Role } from '../embed/types';
import { MemoryRowStore, type RowStore } from './row-store';
import type { KnownVectors } from './vector-cache';

/** What the builders need of an Embedder (src/embed/embedder). */
export interface DocumentEmbedder {
  readonly dims: number;
  embed(texts: string[], role: Role, opts?: EmbedOptions): Promise<Embeddings>;
}

/** Texts per embed call: the cache fills as the build goes, and the progress total grows by slice. */
const EMBED_SLICE = 1024;

/**
 * The previous index's rows (same model and mode), streamed: `take` gets each row of a wanted text,
 * in the index's order, with its shard there and its window number (null in an index before
 * version 5, whose SGV1 shards have none).
 */
export interface PreviousRows {
  each(wanted: ReadonlySet<string>, take: (hash: string, row: Float32Array, shard: number, window: number | null) => Promise<void>): Promise<void>;
}

export interface CollectOptions {
  previous?: PreviousRows;
  known?: KnownVectors;
  /** Where the rows go (default: a new in-memory store). */
  store?: RowStore;
  batchSize?: number;
  onProgress?: EmbedOptions['onProgress'];
  signal?: AbortSignal;
}

export interface Collected {
  store: RowStore;
  /** Per text, the store positions of its rows (one per window); texts with one hash share the array. */
  rowsOf: number[][];
  /** Per store position, the previous index's shard the row came from; -1 for rows from elsewhere. */
  previousShard: Int32Array;
  /** Texts embedded now, taken from `known`, taken from the previous index. */
  embedded: number;
  known: number;
  reused: number;
}

/**
 * The texts at some positions, asked for in ascending order within and across calls: a site build
 * reads them from its pages when they are to be embedded (./page-source), keeping no array of them.
 */
export type TextSource = (positions: readonly number[]) => Promise<string[]>;

export async function collectVectors(
  texts: TextSource,
  hashes: readonly string[],
  embedder: DocumentEmbedder,
  options: CollectOptions = {},
): Promise<Collected> {
  type Source = 'known' | 'reused' | 'embedded';
  const store = options.store ?? new MemoryRowStore(embedder.dims);
  const byHash = new Map<string, { rows: number[]; source: Source }>();
  const firstOf = new Map<string, number>(); // hash -> the first text with it, in text order
  hashes.forEach((hash, s) => {
    if (!firstOf.has(hash)) firstOf.set(hash, s);
  });
  const wanted = new Set<string>();
  for (const hash of firstOf.keys()) {
    const fromKnown = (await options.known?.get(hash)) ?? null;
    if (fromKnown === null) wanted.add(hash);
    else {
      const first = await store.append(fromKnown);
      byHash.set(hash, { rows: fromKnown.map((_, r) => first + r), source: 'known' });
    }
  }
  const previousShard: number[] = []; // by store position, filled up to the last row from the previous index
  if (wanted.size > 0 && options.previous !== undefined) {
    const found = new Map<string, PreviousRow[]>();
    await options.previous.each(wanted, async (hash, row, shard, window) => {
      const position = await store.append([row]);
      while (previousShard.length < position) previousShard.push(-1);
      previousShard.push(shard);
      const rows = found.get(hash) ?? [];
      rows.push({ position, shard, window });
      found.set(hash, rows);
    });
    // A text whose rows are not whole is embedded again; its rows stay in the store, unused.
    for (const [hash, rows] of found) {
      const ordered = inWindowOrder(rows);
      if (ordered !== null) byHash.set(hash, { rows: ordered, source: 'reused' });
    }
  }
  // Embedded a slice at a time, each slice kept (cached) before the next: a killed build keeps
  // what it embedded, and only one slice's activations and vectors are in flight.
  const firsts = [...wanted].filter((hash) => !byHash.has(hash)).map((hash) => firstOf.get(hash)!);
  let windowsDone = 0;
  for (let start = 0; start < firsts.length; start += EMBED_SLICE) {
    const slice = firsts.slice(start, start + EMBED_SLICE);
    const fresh = await embedder.embed(await texts(slice), 'document', {
      batchSize: options.batchSize,
      signal: options.signal,
      onProgress: (done, _total, windows) => options.onProgress?.(start + done, firsts.length, { done: windowsDone + windows.done, total: windowsDone + windows.total }),
    });
    windowsDone += fresh.rows;
    const dims = fresh.dims;
    const rows: Float32Array[][] = slice.map(() => []);
    for (let r = 0; r < fresh.rows; r++) rows[fresh.owner[r]!]!.push(fresh.vectors.subarray(r * dims, (r + 1) * dims));
    for (const [i, s] of slice.entries()) {
      const first = await store.append(rows[i]!);
      byHash.set(hashes[s]!, { rows: rows[i]!.map((_, r) => first + r), source: 'embedded' });
      await options.known?.put?.(hashes[s]!, rows[i]!);
    }
  }
  const counts: Record<Source, number> = { known: 0, reused: 0, embedded: 0 };
  const rowsOf = hashes.map((hash) => {
    const entry = byHash.get(hash)!;
    counts[entry.source]++;
    return entry.rows;
  });
  return { store, rowsOf, previousShard: Int32Array.from({ length: store.rows }, (_, p) => previousShard[p] ?? -1), ...counts };
}

interface PreviousRow {
  position: number;
  shard: number;
  window: number | null;
}

/**
 * A text's rows from the previous index in window order, or null when they are not whole. With
 * window numbers (version 5): sorted by them, and every window 0 … n−1 there once (an unreadable
 * shard leaves gaps). Without (SGV1 shards): a section's rows were written in order within a shard,
 * so only rows that all sit in one shard are in order.
 */
function inWindowOrder(rows: PreviousRow[]): number[] | null {
  if (rows[0]!.window === null) return rows.every((row) => row.shard === rows[0]!.shard) ? rows.map((row) => row.position) : null;
  rows.sort((a, b) => a.window! - b.window!);
  return rows.every((row, k) => row.window === k) ? rows.map((row) => row.position) : null;
}
