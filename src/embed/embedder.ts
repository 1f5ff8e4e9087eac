/**
 * SGPT bi-encoder embeddings: tokenize the bare text (no BOS), split long texts into token
 * windows within the role's budget, wrap each window in the role's bracket ids, run length-sorted
 * right-padded batches through the decoder, pool with position weights, L2-normalise.
 * Same code in Node and the browser. A call's texts go a slice at a time (./slices); in Node,
 * worker threads (./embed-workers) may embed some of the slices while this thread embeds others.
 * With several sessions here, a slice's batches go to whichever session is free.
 */
import { isAbort, SgptError, shown } from '../errors';
import { DEFAULT_BATCH_SIZE, DEFAULT_BATCH_TOKENS } from './batch';
import { chunkWindows } from './chunk';
import { concatArrays } from './concat';
import { nextTask } from './next-task';
import { loadEncoder, type Encoder } from './model';
import { pieceEncoder, type Encode } from './piece-memo';
import { readSgptSettings, type Role, type SgptSettings } from './sgpt-settings';
import { embeddingCancelled, embedSlice, prepareSlice, sliceBounds, textSequences, tokenizeSlice, workSize, type SliceBatch, type SliceJob, type SliceRunner, type SliceVectors, type SliceWorkers } from './slices';
import type { Backend, EmbedOptions, Embeddings, LoadOptions } from './types';
import { textBudget } from './wrap';

/** Tokens decoded before a window edge when measuring what follows it: more than the bytes of any character (4), at a byte or more each. */
const SPLIT_CONTEXT = 4;

export class Embedder {
  readonly settings: SgptSettings;
  /** Set by dispose: its sessions are gone (onnxruntime's own error would dump the inputs to the console). */
  private disposed = false;

  private readonly encoder: Encoder;

  /** The tokenizer's bare ids, memoised by piece where the tokenizer allows it (./piece-memo). */
  private readonly encode: Encode;

  /** Threads that embed some of a call's slices (Node: ./embed-workers); none: all on this one. */
  private readonly workers: SliceWorkers | undefined;

  private constructor(private readonly encoders: readonly Encoder[], settings: SgptSettings, workers: SliceWorkers | undefined) {
    this.encoder = encoders[0]!;
    this.settings = settings;
    this.encode = pieceEncoder(this.encoder.tokenizer).encode;
    this.workers = workers;
  }

  /** Load a model (hub id, URL or folder); settings come from its config.json "sgpt" key, then `opts.settings`. */
  static async load(source: string, opts: LoadOptions = {}): Promise<Embedder> {
    const sessions = opts.sessions ?? 1;
    if (!Number.isInteger(sessions) || sessions < 1) throw new SgptError('INPUT_INVALID', `sessions must be a positive integer, got ${sessions}`);
    const { threads, dtype, remoteHost } = opts;
    const workers = opts.sliceWorkers?.(source, { ...(threads === undefined ? {} : { threads }), ...(dtype === undefined ? {} : { dtype }), ...(remoteHost === undefined ? {} : { remoteHost }) });
    // A hint, taken only while this load runs (a thread's start-up then overlaps it, which is what
    // makes it worth warming); a bad or failed one is ignored.
    let loading = true;
    opts.upcoming
      ?.then((texts) => {
        if (loading && Array.isArray(texts)) workers?.warm(workSize(texts));
      })
      .catch(() => undefined);
    const encoders: Encoder[] = [];
    try {
      // Every session shares the first one's tokenizer (its JSON is most of a load's time).
      for (let i = 0; i < sessions; i++) encoders.push(await loadEncoder(source, opts, encoders[0]?.tokenizer));
      return new Embedder(encoders, readSgptSettings(encoders[0]!.config, opts.settings), workers);
    } catch (error) {
      await Promise.all([...encoders.map((encoder) => encoder.dispose()), workers?.dispose()]);
      throw error;
    } finally {
      loading = false;
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
    return textSequences(this.tokenize(text), this.settings, role, overlap);
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
    const decoded = (from: number, to: number) => from === to ? 0 : this.encoder.tokenizer.decode(ids.slice(from, to), { skip_special_tokens: false, clean_up_tokenization_spaces: false }).length;
    // Each edge's offset is the one before plus what the tokens between decode to, both decoded
    // from a few tokens back so that a character split at the earlier edge is counted as the
    // whole prefix would count it: the length of the prefix decoded, in linear time (decoding
    // every prefix afresh was quadratic: a 1.25 MB section took 124 s).
    const offsets = new Map<number, number>([[0, 0]]);
    let edge = 0;
    let chars = 0;
    for (const next of [...new Set(windows.flat())].sort((a, b) => a - b)) {
      if (next === 0) continue;
      const from = Math.max(0, edge - SPLIT_CONTEXT);
      chars += decoded(from, next) - decoded(from, edge);
      offsets.set(next, chars);
      edge = next;
    }
    return windows.map(([start, end]) => [Math.min(text.length, offsets.get(start)!), Math.min(text.length, offsets.get(end)!)]);
  }

  /**
   * One L2-normalised row per chunk; a text within the budget is one row. `owner[row]` is the
   * index of the text a row came from; a text's rows are contiguous and in order.
   */
  embed(texts: readonly string[], role: Role, opts: EmbedOptions = {}): Promise<Embeddings> {
    return this.embedEncoded(texts, role, opts, this.encode);
  }

  /** `embed`, each text read as `encode` gives its ids. */
  private async embedEncoded(texts: readonly string[], role: Role, opts: EmbedOptions, encode: Encode): Promise<Embeddings> {
    if (this.disposed) throw new SgptError('INPUT_INVALID', 'this Embedder was disposed: load another to embed');
    if (!Array.isArray(texts)) throw new SgptError('INPUT_INVALID', 'embed expects an array of strings');
    const bad = texts.findIndex((text) => typeof text !== 'string');
    if (bad !== -1) throw new SgptError('INPUT_INVALID', `text ${bad} is not a string (${typeof texts[bad]})`);
    if (role !== 'query' && role !== 'document') {
      throw new SgptError('INPUT_INVALID', `role must be "query" or "document", got ${JSON.stringify(role)}`);
    }
    const { signal, onProgress, onRows } = opts;
    throwIfAborted(signal);
    const job: SliceJob = {
      role,
      settings: this.settings,
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      batchTokens: opts.batchTokens ?? DEFAULT_BATCH_TOKENS,
      ...(opts.overlap === undefined ? {} : { overlap: opts.overlap }),
    };
    const dims = this.dims;
    const bounds = sliceBounds(texts);
    const results: SliceVectors[] = new Array(bounds.length);
    const windows = { done: 0, total: 0 };
    let done = 0;
    const report = () => onProgress?.(done, texts.length, { ...windows });
    const embedded = (k: number) => onRows?.({ owner: results[k]!.owner.map((o) => o + bounds[k]![0]), vectors: results[k]!.vectors.slice() });
    let next = 0;
    // The first failure anywhere (a bad text, a worker that died, a cancel) stops every thread
    // taking slices and cancels the slices under way; of those that happened, the earliest
    // slice's is thrown (a cancel by `signal` before any). A slice cancelled before it reached a
    // bad text of its own does not report it, so with several bad texts the one named may be a
    // later one than a single thread would name.
    const failures: Array<{ error: unknown; slice: number }> = [];
    const stop = new AbortController();
    const fail = (error: unknown, slice: number) => {
      failures.push({ error, slice });
      stop.abort();
    };
    const cancelled = () => fail(embeddingCancelled(), -1);
    signal?.addEventListener('abort', cancelled, { once: true });
    const take = () => (stop.signal.aborted || next >= bounds.length ? -1 : next++);
    const runs = this.encoders.map((encoder) => (batch: SliceBatch) => encoder.run(batch));
    const here = async () => {
      for (let k = take(); k !== -1; k = take()) {
        const [start, end] = bounds[k]!;
        try {
          const slice = prepareSlice(tokenizeSlice(texts.slice(start, end), encode), job, start);
          windows.total += slice.owner.length;
          // A text is done when all of its windows are; count windows left per text.
          const left = new Int32Array(end - start);
          for (const o of slice.owner) left[o]!++;
          results[k] = await embedSlice(slice, runs, dims, {
            beforeBatch: async () => {
              // onnxruntime-web can finish a run without returning to the event loop; yield so a
              // worker sees a cancel message before the next batch.
              if (signal) await nextTask();
              if (stop.signal.aborted) throw STOPPED;
            },
            afterBatch: (batch) => {
              for (const window of batch.windows) if (--left[slice.owner[window]!]! === 0) done++;
              windows.done += batch.rows;
              report();
            },
          });
          embedded(k);
        } catch (error) {
          if (error !== STOPPED) fail(error, k);
          return;
        }
      }
    };
    // A thread holds no tokenizer: this one tokenises its slices, between its own batches. So that
    // the thread never waits for that, it is sent its next slice while it embeds one; near the end
    // (fewer slices left than a second round for every thread), one at a time, so that the last
    // slices spread over every thread.
    const away = async (runner: SliceRunner, threads: number) => {
      const send = async (ahead: boolean) => {
        const more = () => (ahead && bounds.length - next < 2 * (threads + 1) ? -1 : take());
        for (let k = more(); k !== -1; k = more()) {
          const [start, end] = bounds[k]!;
          try {
            const out = await runner.embed(tokenizeSlice(texts.slice(start, end), encode), start, job, stop.signal);
            results[k] = out;
            done += end - start;
            windows.total += out.owner.length;
            windows.done += out.owner.length;
            report();
            embedded(k);
          } catch (error) {
            // A slice cancelled because another failed is not a failure of its own.
            if (!(stop.signal.aborted && isAbort(error))) fail(error, k);
            return;
          }
        }
      };
      await Promise.all([send(false), send(true)]);
    };
    let ended = () => {};
    const hereEnded = new Promise<null>((resolve) => (ended = () => resolve(null)));
    // A thread still starting when this one has finished its last slice is not waited for.
    const slots = this.workers?.runners(workSize(texts, bounds)) ?? [];
    const helpers = slots.map(async (ready) => {
      const runner = await Promise.race([ready, hereEnded]);
      if (runner !== null) await away(runner, slots.length);
    });
    try {
      await Promise.all([here().finally(ended), ...helpers]);
    } finally {
      signal?.removeEventListener('abort', cancelled);
      this.workers?.idle();
    }
    if (failures.length > 0) throw failures.reduce((a, b) => (b.slice < a.slice ? b : a)).error;
    return {
      vectors: concatArrays(results.map((r) => r.vectors), Float32Array),
      dims,
      rows: windows.total,
      owner: concatArrays(results.map((r, k) => r.owner.map((o) => o + bounds[k]![0])), Int32Array),
    };
  }

  /**
   * The vector of one query, as every search reads it (the element's worker, the CLI's `query`,
   * SiteIndex): the text trimmed and, past the model's query budget (sgpt-nano's 298 tokens),
   * read up to it, its first window. A query that long is text pasted in: the keyword half of a
   * search still reads all of it, and its start says what it is about; refusing it would fail
   * the search the element answers. Only that window is run: the rest of the ids are cut before
   * chunking (a window is a run of ids, so this is the first row `embed` would give).
   */
  async embedQuery(text: string, opts: Omit<EmbedOptions, 'onProgress'> = {}): Promise<Float32Array> {
    if (typeof text !== 'string') throw new SgptError('INPUT_INVALID', `the query must be a string, got ${shown(text)}`);
    const budget = textBudget(this.settings, 'query');
    const out = await this.embedEncoded([text.trim()], 'query', opts, (t) => this.encode(t).slice(0, budget));
    return out.vectors.slice(0, out.dims);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.encoders.map((encoder) => encoder.dispose()), this.workers?.dispose()]);
  }
}

/** Thrown inside a slice on this thread when another failure has stopped the call. */
const STOPPED = Symbol('stopped');

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw embeddingCancelled();
}
