/** Messages between ./embed-workers and ./embed-worker (Node worker threads). */
import type { SerializedError } from '../errors';
import type { SliceJob, SliceTokens } from './slices';
import type { WorkerLoad } from './types';

export interface EmbedWorkerData {
  /** The model, as the calling thread loaded it (folder, URL or hub id). */
  source: string;
  load: WorkerLoad;
}

export type EmbedRequest =
  /** One slice: the call's texts from its index `first` (error messages name texts by that), as ids. */
  | { type: 'slice'; id: number; tokens: SliceTokens; first: number; job: SliceJob }
  /** Stop slice `id` before its next batch, or at once if not begun: it is answered ABORTED. */
  | { type: 'cancel'; id: number }
  /** Answer what was asked, then end the thread (never terminated inside onnxruntime's run). */
  | { type: 'close' };

/** 'ready' once, when the session is loaded; then one answer per slice (by id: a cancelled one may come first). */
export type EmbedReply =
  | { type: 'ready' }
  | { type: 'embedded'; id: number; owner: Int32Array; vectors: Float32Array }
  | { type: 'error'; id: number; error: SerializedError };
