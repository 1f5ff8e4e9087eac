/** Messages between ./slice-worker-client and ./slice-worker (Node worker threads). */
import type { SerializedError } from '../errors';
import type { Slice, SliceJob } from './slices';

export interface SliceWorkerData {
  /** The tokenizer as transformers.js loaded it (its tokenizer.json and tokenizer_config.json). */
  tokenizerJSON: unknown;
  tokenizerConfig: object;
}

export type SliceRequest =
  /** A new call: its texts and how they become batches. */
  | { type: 'job'; id: number; texts: readonly string[]; job: SliceJob }
  /** The call's slice that begins at text `start`. */
  | { type: 'next'; id: number; start: number }
  /** A batch's pooled rows from its hidden states and mask (both transferred). */
  | { type: 'pool'; id: number; hidden: Float32Array; mask: Uint8Array; rows: number; seqLen: number; dims: number }
  /** The call is over: drop its texts. */
  | { type: 'close'; id: number };

/** One per request but 'job' and 'close', in the order of the requests; and 'ready' once, when the worker has built its tokenizer. */
export type SliceReply =
  | { type: 'ready' }
  | { type: 'slice'; id: number; slice: Slice | null }
  | { type: 'pooled'; id: number; vectors: Float32Array }
  | { type: 'error'; id: number; error: SerializedError };
