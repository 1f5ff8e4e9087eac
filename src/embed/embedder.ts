/**
 * SGPT bi-encoder embeddings: tokenize the bare text (no BOS), split long texts into token
 * windows within the role's budget, wrap each window in the role's bracket ids, run length-sorted
 * right-padded batches through the decoder, pool with position weights, L2-normalise.
 * Same code in Node and the browser. With several sessions (Node: one per core, each on one
 * thread), batches go to whichever session is free.
 */
import { SgptError } from '../errors';
import { DEFAULT_BATCH_SIZE, DEFAULT_BATCH_TOKENS, padBatch, planBatches } from './batch';
import { chunkTokens, chunkWindows } from './chunk';
import { nextTask } from './next-task';
import { loadEncoder, type Backend, type Encoder } from './model';
import { pieceEncoder, type Encode } from './piece-memo';
import { weightedMeanPool } from './pooling';
import { readSgptSettings, type Role, type SgptSettings } from './sgpt-settings';
import type { EmbedOptions, Embeddings, LoadOptions } from './types';
import { textBudget, wrapIds } from './wrap';

export class Embedder {
  readonly settings: SgptSettings;

  private readonly encoder: Encoder;

  /** The tokenizer's bare ids, memoised by piece where the tokenizer allows it (./piece-memo). */
  private readonly encode: Encode;

  private constructor(private readonly encoders: readonly Encoder[], settings: SgptSettings) {
    this.encoder = encoders[0]!;
    this.settings = settings;
    this.encode = pieceEncoder(this.encoder.tokenizer).encode;
  }

  /** Load a model (hub id, URL or folder); settings come from its config.json "sgpt" key, then `opts.settings`. */
  static async load(source: string, opts: LoadOptions = {}): Promise<Embedder> {
    const sessions = opts.sessions ?? 1;
    if (!Number.isInteger(sessions) || sessions < 1) throw new SgptError('INPUT_INVALID', `sessions must be a positive integer, got ${sessions}`);
    const encoders: Encoder[] = [];
    try {
      // Every session shares the first one's tokenizer (its JSON is most of a load's time).
      for (let i = 0; i < sessions; i++) encoders.push(await loadEncoder(source, opts, encoders[0]?.tokenizer));
      return new Embedder(encoders, readSgptSettings(encoders[0]!.config, opts.settings));
    } catch (error) {
      await Promise.all(encoders.map((encoder) => encoder.dispose()));
      throw error;
    }
  }

  get dims(): number {
    return this.encoder.dims;
  }

  /** The backend that runs the model: 'cpu' (Node), 'wasm' or 'webgpu'. */
  get backend(): Backend {
    return this.encoder.backend;
  }

  /** Where the model came from (folder, URL, or hub URL). */
  get modelId(): string {
    return this.encoder.modelId;
  }

  /** Bare BPE ids of a text: no BOS/EOS, no brackets, no truncation. */
  tokenize(text: string): number[] {
    return this.encode(text);
  }

  /** The sequences the model sees for one text: its chunks, each wrapped for the role. */
  sequences(text: string, role: Role, overlap?: number): number[][] {
    return this.wrapChunks(this.tokenize(text), role, overlap);
  }

  /**
   * Where each row `embed` makes of `text` for `role` lies in it: [start, end) UTF-16 offsets of
   * its token window, in row order (an edge inside a character that spans two tokens may be off
   * by that character).
   */
  windows(text: string, role: Role): Array<[number, number]> {
    const ids = this.tokenize(text);
    const windows = chunkWindows(ids.length, textBudget(this.settings, role));
    if (windows.length === 1) return [[0, text.length]];
    const offset = (tokens: number) =>
      tokens === 0 ? 0 : Math.min(text.length, this.encoder.tokenizer.decode(ids.slice(0, tokens), { skip_special_tokens: false, clean_up_tokenization_spaces: false }).length);
    return windows.map(([start, end]) => [offset(start), offset(end)]);
  }

  private wrapChunks(ids: number[], role: Role, overlap: number | undefined): number[][] {
    return chunkTokens(ids, textBudget(this.settings, role), overlap).map((chunk) => wrapIds(chunk, this.settings, role));
  }

  /**
   * One L2-normalised row per chunk; a text within the budget is one row. `owner[row]` is the
   * index of the text a row came from; a text's rows are contiguous and in order.
   */
  async embed(texts: readonly string[], role: Role, opts: EmbedOptions = {}): Promise<Embeddings> {
    if (!Array.isArray(texts)) throw new SgptError('INPUT_INVALID', 'embed expects an array of strings');
    const bad = texts.findIndex((text) => typeof text !== 'string');
    if (bad !== -1) throw new SgptError('INPUT_INVALID', `text ${bad} is not a string (${typeof texts[bad]})`);
    if (role !== 'query' && role !== 'document') {
      throw new SgptError('INPUT_INVALID', `role must be "query" or "document", got ${JSON.stringify(role)}`);
    }
    const { signal, onProgress } = opts;
    throwIfAborted(signal);

    const sequences: number[][] = [];
    const ownerList: number[] = [];
    texts.forEach((text, index) => {
      const ids = this.tokenize(text);
      if (ids.length === 0 && this.settings.mode === 'symmetric') {
        throw new SgptError('INPUT_INVALID', `text ${index} is empty: symmetric mode has no tokens to embed`);
      }
      for (const sequence of this.wrapChunks(ids, role, opts.overlap)) {
        sequences.push(sequence);
        ownerList.push(index);
      }
    });
    const owner = Int32Array.from(ownerList);
    const dims = this.dims;
    const vectors = new Float32Array(sequences.length * dims);

    // A text is done when all of its rows are; count rows left per text.
    const left = new Int32Array(texts.length);
    for (const o of owner) left[o]!++;
    let done = 0;
    let windows = 0;

    const batches = planBatches(
      sequences.map((s) => s.length),
      opts.batchSize ?? DEFAULT_BATCH_SIZE,
      opts.batchTokens ?? DEFAULT_BATCH_TOKENS,
    );
    let next = 0;
    const session = async (encoder: Encoder) => {
      while (next < batches.length) {
        const batchRows = batches[next++]!;
        // onnxruntime-web can finish a run without returning to the event loop; yield so a worker
        // sees a cancel message before the next batch.
        if (signal) await nextTask();
        throwIfAborted(signal);
        const batch = padBatch(
          batchRows.map((row) => sequences[row]!),
          this.settings.padTokenId,
        );
        const hidden = await encoder.run(batch);
        const pooled = weightedMeanPool(hidden, batch.attentionMask, batch.rows, batch.seqLen, dims);
        batchRows.forEach((row, i) => {
          vectors.set(pooled.subarray(i * dims, (i + 1) * dims), row * dims);
          if (--left[owner[row]!]! === 0) done++;
        });
        windows += batchRows.length;
        onProgress?.(done, texts.length, { done: windows, total: sequences.length });
      }
    };
    await Promise.all(this.encoders.map(session));
    return { vectors, dims, rows: sequences.length, owner };
  }

  /** The vector of one query (within the query budget: a longer query is an error, not a silent cut). */
  async embedQuery(text: string, opts: Omit<EmbedOptions, 'onProgress'> = {}): Promise<Float32Array> {
    const out = await this.embed([text], 'query', opts);
    if (out.rows !== 1) {
      throw new SgptError(
        'INPUT_INVALID',
        `query has ${this.tokenize(text).length} tokens, more than the ${textBudget(this.settings, 'query')} a query may have`,
      );
    }
    return out.vectors;
  }

  async dispose(): Promise<void> {
    await Promise.all(this.encoders.map((encoder) => encoder.dispose()));
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SgptError('ABORTED', 'embedding was cancelled');
}
