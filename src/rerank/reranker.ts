/**
 * SGPT-CE reranking: score (query, document) pairs with a causal LM and reorder the candidates.
 * The model sits behind `CausalLm` (./causal-lm); everything here is the same in Node and in the
 * worker.
 */
import { SgptError } from '../errors';
import { padBatch, planBatches } from '../embed/batch';
import { encodePair, fitToWindow, PROMPTS, type PromptKind, type RerankInput } from './prompt';
import { orderByScore, positionsToKeep, scoreRows } from './score';
import type { LoadOptions } from '../embed/types';
import { loadCausalLm, type CausalLm } from './causal-lm';
import { nextTask } from '../embed/next-task';

/**
 * Rows per model call. One: a padded batch needs logits from its shortest row's first query
 * position on (more positions x 50257), so batching did not pay consistently in our runs
 * (bench/sections/rerank.ts: within noise on 2 busy cores, Node and Chromium), and one row per
 * call gives a newer query the most points to abort at.
 */
export const DEFAULT_RERANK_BATCH_SIZE = 1;

export interface RerankOptions {
  /** 'asymmetric' (prompt "G", default) or 'symmetric' (the question variant). */
  prompt?: PromptKind;
  batchSize?: number;
  /** Checked before and after every model call; aborting throws SgptError('ABORTED'). */
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface Reranked {
  /** Candidate indices, best first (ties: lower index first). */
  order: number[];
  /** scores[i] is the summed query log-probability given document i (closer to 0 is better). */
  scores: number[];
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SgptError('ABORTED', 'reranking was superseded by a newer request');
}

export class Reranker {
  readonly lm: CausalLm;
  /** Positions one input may use: the model's limit unless a smaller window is asked for. */
  readonly maxLength: number;

  constructor(lm: CausalLm, maxLength: number = lm.maxPositions) {
    if (!Number.isInteger(maxLength) || maxLength < 2 || maxLength > lm.maxPositions) {
      throw new SgptError('INPUT_INVALID', `rerank window must be an integer in 2..${lm.maxPositions}, got ${maxLength}`);
    }
    this.lm = lm;
    this.maxLength = maxLength;
  }

  /** Load a causal LM (hub id, URL or folder) as a reranker; `maxLength` narrows its window. */
  static async load(source: string, opts: LoadOptions & { maxLength?: number } = {}): Promise<Reranker> {
    const lm = await loadCausalLm(source, opts);
    try {
      return new Reranker(lm, opts.maxLength);
    } catch (error) {
      await lm.dispose();
      throw error;
    }
  }

  /** The exact model input for one pair (exposed for tests and debugging). */
  input(query: string, document: string, prompt: PromptKind = 'asymmetric'): RerankInput {
    return fitToWindow(encodePair((text) => this.lm.tokenize(text), PROMPTS[prompt], document, query), this.maxLength);
  }

  /** One score per document, in input order. */
  async score(query: string, documents: readonly string[], options: RerankOptions = {}): Promise<number[]> {
    const { prompt = 'asymmetric', batchSize = DEFAULT_RERANK_BATCH_SIZE, signal, onProgress } = options;
    checkAbort(signal);
    const inputs = documents.map((document) => this.input(query, document, prompt));
    const scores = new Array<number>(documents.length);
    let done = 0;
    // Right padding is safe: attention is causal and only positions of real tokens are read.
    for (const batch of planBatches(inputs.map((input) => input.ids.length), batchSize)) {
      if (done > 0) await nextTask();
      checkAbort(signal);
      const rows = batch.map((index) => inputs[index]!);
      const padded = padBatch(rows.map((row) => row.ids), this.lm.padTokenId);
      const scored = rows.map((row) => ({ length: row.ids.length, query: row.query }));
      const { logits, vocab, kept } = await this.lm.logits(padded, positionsToKeep(padded.seqLen, scored));
      checkAbort(signal);
      const batchScores = scoreRows(logits, padded.seqLen, vocab, scored, kept);
      batch.forEach((index, k) => (scores[index] = batchScores[k]!));
      done += batch.length;
      onProgress?.(done, documents.length);
    }
    return scores;
  }

  async rerank(query: string, documents: readonly string[], options: RerankOptions = {}): Promise<Reranked> {
    const scores = await this.score(query, documents, options);
    return { order: orderByScore(scores), scores };
  }

  /**
   * Reorder the first `k` items by SGPT-CE score (the rest keep their order below them);
   * `text` gives what the LM reads of an item. scores[i] belongs to the i-th returned item
   * (undefined below the top k).
   */
  async rerankTop<T>(
    query: string,
    items: readonly T[],
    k: number,
    text: (item: T) => string,
    options: RerankOptions = {},
  ): Promise<{ items: T[]; scores: (number | undefined)[] }> {
    if (!Number.isInteger(k) || k < 1) throw new SgptError('INPUT_INVALID', `rerank k must be a positive integer, got ${k}`);
    const head = items.slice(0, k);
    const { order, scores } = await this.rerank(query, head.map(text), options);
    return {
      items: [...order.map((i) => head[i]!), ...items.slice(k)],
      scores: [...order.map((i) => scores[i]), ...items.slice(k).map(() => undefined)],
    };
  }

  dispose(): Promise<void> {
    return this.lm.dispose();
  }
}
