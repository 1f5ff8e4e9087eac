/**
 * An embed call's work, a slice at a time: consecutive whole texts until their windows hold
 * SLICE_TOKENS tokens, each slice tokenised, chunked, wrapped, length-sorted and padded into
 * batches on its own. Slices let the next texts be tokenised, and the last batch pooled, (in Node,
 * by a worker thread: ./slice-worker-client) while the model runs this slice's next batch. The plan is a function of
 * the texts alone, so whichever thread prepares a slice makes the same batches and the vectors
 * are the same bit for bit. Pure: no DOM, no Node.
 */
import { SgptError } from '../errors';
import { padBatch, planBatches, type PaddedBatch } from './batch';
import { chunkTokens } from './chunk';
import { weightedMeanPool } from './pooling';
import type { Encode } from './piece-memo';
import type { Role, SgptSettings } from './sgpt-settings';
import { textBudget, wrapIds } from './wrap';

/**
 * Tokens a slice holds at least (but its last text's): 16 batches of DEFAULT_BATCH_TOKENS. Small
 * enough that the first slice, which nothing overlaps, is a few percent of a build's step; large
 * enough that sorting within a slice pads little more than sorting the whole call.
 */
export const SLICE_TOKENS = 16_384;

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
  /** Texts [start, end) of the call. */
  start: number;
  end: number;
  /** Each window's text, as an index into the call's texts. */
  owner: Int32Array;
  batches: SliceBatch[];
}

/** The sequences the model sees for one text's bare ids: its windows, each wrapped for the role. */
export function textSequences(ids: readonly number[], settings: SgptSettings, role: Role, overlap?: number): number[][] {
  return chunkTokens(ids, textBudget(settings, role), overlap).map((chunk) => wrapIds(chunk, settings, role));
}

/** The slice that begins at text `start` (< texts.length). */
export function prepareSlice(texts: readonly string[], start: number, encode: Encode, job: SliceJob): Slice {
  const sequences: number[][] = [];
  const owner: number[] = [];
  let tokens = 0;
  let end = start;
  while (end < texts.length && (end === start || tokens < SLICE_TOKENS)) {
    const ids = encode(texts[end]!);
    if (ids.length === 0 && job.settings.mode === 'symmetric') {
      throw new SgptError('INPUT_INVALID', `text ${end} is empty: symmetric mode has no tokens to embed`);
    }
    for (const sequence of textSequences(ids, job.settings, job.role, job.overlap)) {
      sequences.push(sequence);
      owner.push(end);
      tokens += sequence.length;
    }
    end++;
  }
  const plan = planBatches(sequences.map((s) => s.length), job.batchSize, job.batchTokens);
  const batches = plan.map((rows) => ({
    ...padBatch(rows.map((row) => sequences[row]!), job.settings.padTokenId),
    windows: Int32Array.from(rows),
  }));
  return { start, end, owner: Int32Array.from(owner), batches };
}

/** What prepares a call's slices, in order, and pools their batches' hidden states. */
export interface SliceSource {
  /** The next slice; null after the last. */
  next(): Promise<Slice | null>;
  /**
   * A batch's pooled rows (./pooling) from its hidden states, which it may take (transfer) with
   * the batch's mask; it holds few batches' hidden states at once (pooling here past that).
   */
  pool(batch: SliceBatch, hidden: Float32Array, dims: number): Promise<Float32Array>;
  /** The call is over (finished, failed or aborted): nothing more is prepared for it. */
  close(): void;
}

/** A batch's pooled rows, on this thread. */
export async function poolInThread(batch: SliceBatch, hidden: Float32Array, dims: number): Promise<Float32Array> {
  return weightedMeanPool(hidden, batch.attentionMask, batch.rows, batch.seqLen, dims);
}

/** Every slice from text `start` on, prepared on the calling thread when asked for. */
export function inThreadSlices(texts: readonly string[], encode: Encode, job: SliceJob, start = 0): SliceSource {
  let at = start;
  return {
    async next() {
      if (at >= texts.length) return null;
      const slice = prepareSlice(texts, at, encode, job);
      at = slice.end;
      return slice;
    },
    pool: poolInThread,
    close() {
      at = texts.length;
    },
  };
}

/**
 * Prepares a call's slices after its first, and pools all of its batches, somewhere else (Node: a
 * worker thread, ./slice-worker-client), or declines (null) when that would not pay for this call.
 */
export interface SliceHelper {
  /** `encode`: this thread's tokenizer, for what the helper does not (yet) take. */
  slices(texts: readonly string[], start: number, job: SliceJob, encode: Encode): SliceSource | null;
  dispose(): Promise<void>;
}

/**
 * A call's slices: the first prepared here at once (nothing could overlap it, and a helper starts
 * meanwhile), the rest by `helper` when it takes them, else here.
 */
export function callSlices(texts: readonly string[], encode: Encode, job: SliceJob, helper?: SliceHelper): SliceSource {
  if (texts.length === 0) return inThreadSlices(texts, encode, job);
  const first = prepareSlice(texts, 0, encode, job);
  const rest = first.end < texts.length ? (helper?.slices(texts, first.end, job, encode) ?? inThreadSlices(texts, encode, job, first.end)) : null;
  let given = false;
  return {
    async next() {
      if (!given) {
        given = true;
        return first;
      }
      return rest === null ? null : rest.next();
    },
    pool: (batch, hidden, dims) => (rest === null ? poolInThread(batch, hidden, dims) : rest.pool(batch, hidden, dims)),
    close() {
      rest?.close();
    },
  };
}
