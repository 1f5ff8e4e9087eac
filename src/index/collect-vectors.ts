/**
 * The vectors of a build's sections: each text's rows from the embedding cache or shard files
 * (`known`, exact float32), else from the previous index (int8, dequantised), else embedded now,
 * once per distinct text, and handed to `known` to keep. No fs here.
 */
import type { EmbedOptions, Embeddings, Role } from '../embed/types';
import type { KnownVectors } from './vector-cache';

/** What the builders need of an Embedder (src/embed/embedder). */
export interface DocumentEmbedder {
  readonly dims: number;
  embed(texts: string[], role: Role, opts?: EmbedOptions): Promise<Embeddings>;
}

/** Texts per embed call: the cache fills as the build goes, and the progress total grows by slice. */
const EMBED_SLICE = 1024;

export interface CollectOptions {
  /** Vectors of the previous index by text hash (same model and mode). */
  previous?: ReadonlyMap<string, Float32Array[]>;
  known?: KnownVectors;
  batchSize?: number;
  onProgress?: EmbedOptions['onProgress'];
  signal?: AbortSignal;
}

export interface Collected {
  /** Per text, its rows (one per window). */
  rowsOf: Float32Array[][];
  /** Texts embedded now, taken from `known`, taken from the previous index. */
  embedded: number;
  known: number;
  reused: number;
}

export async function collectVectors(
  texts: readonly string[],
  hashes: readonly string[],
  embedder: DocumentEmbedder,
  options: CollectOptions = {},
): Promise<Collected> {
  type Source = 'known' | 'reused' | 'embedded';
  const byHash = new Map<string, { rows: Float32Array[]; source: Source }>();
  const todo = new Map<string, number>(); // hash -> the first text with it
  for (let s = 0; s < texts.length; s++) {
    const hash = hashes[s]!;
    if (byHash.has(hash) || todo.has(hash)) continue;
    const fromKnown = (await options.known?.get(hash)) ?? null;
    const fromPrevious = fromKnown === null ? (options.previous?.get(hash) ?? null) : null;
    if (fromKnown !== null) byHash.set(hash, { rows: fromKnown, source: 'known' });
    else if (fromPrevious !== null) byHash.set(hash, { rows: fromPrevious, source: 'reused' });
    else todo.set(hash, s);
  }
  // Embedded a slice at a time, each slice kept (cached) before the next: a killed build keeps
  // what it embedded, and only one slice's activations and vectors are in flight.
  const firsts = [...todo.values()];
  let windowsDone = 0;
  for (let start = 0; start < firsts.length; start += EMBED_SLICE) {
    const slice = firsts.slice(start, start + EMBED_SLICE);
    const fresh = await embedder.embed(slice.map((s) => texts[s]!), 'document', {
      batchSize: options.batchSize,
      signal: options.signal,
      onProgress: (done, _total, windows) => options.onProgress?.(start + done, firsts.length, { done: windowsDone + windows.done, total: windowsDone + windows.total }),
    });
    windowsDone += fresh.rows;
    const dims = fresh.dims;
    const rows: Float32Array[][] = slice.map(() => []);
    for (let r = 0; r < fresh.rows; r++) rows[fresh.owner[r]!]!.push(fresh.vectors.slice(r * dims, (r + 1) * dims));
    for (const [i, s] of slice.entries()) {
      byHash.set(hashes[s]!, { rows: rows[i]!, source: 'embedded' });
      await options.known?.put?.(hashes[s]!, rows[i]!);
    }
  }
  const counts: Record<Source, number> = { known: 0, reused: 0, embedded: 0 };
  const rowsOf = hashes.map((hash) => {
    const entry = byHash.get(hash)!;
    counts[entry.source]++;
    return entry.rows;
  });
  return { rowsOf, ...counts };
}
