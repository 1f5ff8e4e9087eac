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
  const firsts = [...todo.values()];
  if (firsts.length > 0) {
    const fresh = await embedder.embed(firsts.map((s) => texts[s]!), 'document', {
      batchSize: options.batchSize,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    const dims = fresh.dims;
    const rows: Float32Array[][] = firsts.map(() => []);
    for (let r = 0; r < fresh.rows; r++) rows[fresh.owner[r]!]!.push(fresh.vectors.slice(r * dims, (r + 1) * dims));
    for (const [i, s] of firsts.entries()) {
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
