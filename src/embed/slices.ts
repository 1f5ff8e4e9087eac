/**
 * An embed call's work, a slice at a time: consecutive whole texts up to SLICE_CHARS characters,
 * each slice tokenised (always on the calling thread, whose piece memo every slice then shares),
 * chunked, wrapped, length-sorted, padded into batches, run and pooled on its own. Slices are cut
 * from the texts' lengths alone, before any tokenising, so several threads (in Node, the worker
 * threads of ./embed-workers, which hold no tokenizer) can each take the next slice at once; a
 * slice's batches are a function of its texts' ids alone, so whichever thread embeds it gives the
 * same vectors bit for bit. Pure: no DOM, no Node.
 */
import { SgptError } from '../errors';
import { padBatch, planBatches, type PaddedBatch } from './batch';
import { chunkTokens } from './chunk';
import { weightedMeanPool } from './pooling';
import type { Encode } from './piece-memo';
import type { Role, SgptSettings } from './sgpt-settings';
import { textBudget, wrapIds } from './wrap';

/**
 * Characters a slice holds at most (a longer text is a slice alone): ~16 k tokens of English, 16
 * batches of DEFAULT_BATCH_TOKENS. Small enough that threads sharing a call finish close together
 * (the last slice is a few percent of a build's step); large enough that sorting within a slice
 * pads little more than sorting the whole call.
 */
export const SLICE_CHARS = 65_536;

/** How a call's texts become batches (everything but the texts and the tokenizer). */
export interface SliceJob {
  role: Role;
  settings: SgptSettings;
  overlap?: number;
  batchSize: number;
  batchTokens: number;
}

export interface SliceBatch extends PaddedBatch {
  /** Each row's window, numbered within the slice (windows are in text order). */
  windows: Int32Array;
}

export interface Slice {
  /** Each window's text, as an index into the slice's texts. */
  owner: Int32Array;
  batches: SliceBatch[];
}

/** A slice's pooled rows, in window order, and each row's text (an index into the slice's texts). */
export interface SliceVectors {
  owner: Int32Array;
  vectors: Float32Array;
}

/** A slice's texts as bare ids: every text's ids end to end, and where each text's end (transferable to a worker thread). */
export interface SliceTokens {
  ids: Int32Array;
  ends: Int32Array;
}

/** The bare ids of a slice's texts. */
export function tokenizeSlice(texts: readonly string[], encode: Encode): SliceTokens {
  const each = texts.map(encode);
  const ends = new Int32Array(each.length);
  let length = 0;
  each.forEach((ids, i) => (ends[i] = length += ids.length));
  const ids = new Int32Array(length);
  each.forEach((part, i) => ids.set(part, i === 0 ? 0 : ends[i - 1]));
  return { ids, ends };
}

/** The sequences the model sees for one text's bare ids: its windows, each wrapped for the role. */
export function textSequences(ids: readonly number[], settings: SgptSettings, role: Role, overlap?: number): number[][] {
  return chunkTokens(ids, textBudget(settings, role), overlap).map((chunk) => wrapIds(chunk, settings, role));
}

/** [start, end) of each slice of `texts`: whole texts, in order, until the next would pass SLICE_CHARS. */
export function sliceBounds(texts: readonly string[], maxChars = SLICE_CHARS): Array<[number, number]> {
  const bounds: Array<[number, number]> = [];
  let start = 0;
  let chars = 0;
  texts.forEach((text, i) => {
    if (i > start && chars + text.length > maxChars) {
      bounds.push([start, i]);
      start = i;
      chars = 0;
    }
    chars += text.length;
  });
  if (start < texts.length) bounds.push([start, texts.length]);
  return bounds;
}

/** How much work a call's texts are, for deciding how many threads it is worth. */
export function workSize(texts: readonly string[], bounds = sliceBounds(texts)): SliceWork {
  return { slices: bounds.length, chars: texts.reduce((n, text) => n + text.length, 0) };
}

/**
 * A slice's batches. `first` is the call's index of its first text, for error messages (a text
 * that cannot be embedded is named by its place in the call).
 */
export function prepareSlice(tokens: SliceTokens, job: SliceJob, first = 0): Slice {
  const sequences: number[][] = [];
  const owner: number[] = [];
  tokens.ends.forEach((end, i) => {
    const ids = Array.from(tokens.ids.subarray(i === 0 ? 0 : tokens.ends[i - 1], end));
    if (ids.length === 0 && job.settings.mode === 'symmetric') {
      throw new SgptError('INPUT_INVALID', `text ${first + i} is empty: symmetric mode has no tokens to embed`);
    }
    for (const sequence of textSequences(ids, job.settings, job.role, job.overlap)) {
      sequences.push(sequence);
      owner.push(i);
    }
  });
  const plan = planBatches(sequences.map((s) => s.length), job.batchSize, job.batchTokens);
  const batches = plan.map((rows) => ({
    ...padBatch(rows.map((row) => sequences[row]!), job.settings.padTokenId),
    windows: Int32Array.from(rows),
  }));
  return { owner: Int32Array.from(owner), batches };
}

/** The error of a cancelled embedding, wherever the slice ran. */
export function embeddingCancelled(): SgptError {
  return new SgptError('ABORTED', 'embedding was cancelled');
}

/** Runs a batch through the model: last_hidden_state, flat [rows, seqLen, dims]. */
export type RunBatch = (batch: SliceBatch) => Promise<Float32Array>;

/**
 * Run a slice's batches, each through whichever of `runs` (model sessions) is free, and pool them.
 * `beforeBatch` may throw to stop (a cancelled call); `afterBatch` hears of each batch placed.
 */
export async function embedSlice(
  slice: Slice,
  runs: readonly RunBatch[],
  dims: number,
  hooks: { beforeBatch?: () => Promise<void>; afterBatch?: (batch: SliceBatch) => void } = {},
): Promise<SliceVectors> {
  const vectors = new Float32Array(slice.owner.length * dims);
  let next = 0;
  const session = async (run: RunBatch) => {
    while (next < slice.batches.length) {
      const batch = slice.batches[next++]!;
      await hooks.beforeBatch?.();
      const hidden = await run(batch);
      const pooled = weightedMeanPool(hidden, batch.attentionMask, batch.rows, batch.seqLen, dims);
      batch.windows.forEach((window, i) => vectors.set(pooled.subarray(i * dims, (i + 1) * dims), window * dims));
      hooks.afterBatch?.(batch);
    }
  };
  await Promise.all(runs.map(session));
  return { owner: slice.owner, vectors };
}

/** How much a call asks: its slices and characters (what decides the threads it is worth). */
export interface SliceWork {
  slices: number;
  chars: number;
}

/**
 * Threads besides the caller's that embed whole slices (Node: ./embed-workers); the browser has
 * none. Each slot's promise settles once its thread can take slices: the runner, or null when it
 * never will (it could not start).
 */
export interface SliceWorkers {
  /**
   * A call begins: the threads for its `slices` slices and `chars` characters (those there, and
   * those worth starting for it). Each call's runners() is followed by one idle() when it ends.
   */
  runners(work: SliceWork): Array<Promise<SliceRunner | null>>;
  /** A call of this size is coming (it is not under way yet): start the threads worth starting ahead of it. */
  warm(work: SliceWork): void;
  /** A call ended: once none is under way, idle threads may be let go after a while. */
  idle(): void;
  /** Let every thread go once it has answered what it was asked. */
  dispose(): Promise<void>;
}

export interface SliceRunner {
  /**
   * A slice (the call's texts from its index `first`, as their ids), embedded on that thread;
   * `stop` cancels it between batches (SgptError ABORTED). `tokens` may be transferred: the
   * caller does not read it again.
   */
  embed(tokens: SliceTokens, first: number, job: SliceJob, stop: AbortSignal): Promise<SliceVectors>;
}
