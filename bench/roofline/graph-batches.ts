/**
 * The model-graph roofline's input: the engine's own windows (wrapped token ids of real text),
 * length-sorted and padded into full batches once, before any timing, so a graph run measures
 * the model's graph alone: no tokenisation, no pooling, no copies out. No Node imports: the
 * browser's worker runs it too.
 */
import type { InferenceSession as Session, Tensor as TensorType } from 'onnxruntime-common';
import { padBatch, planBatches } from '../../src/embed/batch';

/** One padded batch as plain arrays (structured-clone friendly: it crosses to workers). */
export interface GraphBatch {
  rows: number;
  seqLen: number;
  /** rows × seqLen, right-padded. */
  inputIds: Int32Array;
  attentionMask: Uint8Array;
}

/** Batches of at most `batchTokens` padded tokens, longest first, as the engine plans them but without its row cap (full batches). */
export function graphBatches(sequences: readonly (readonly number[])[], padId: number, batchTokens: number): GraphBatch[] {
  return planBatches(sequences.map((s) => s.length), Number.MAX_SAFE_INTEGER, batchTokens).map((rows) => padBatch(rows.map((r) => sequences[r]!), padId));
}

/** Real (unpadded) tokens in some batches. */
export function realTokens(batches: readonly GraphBatch[]): number {
  return batches.reduce((sum, b) => sum + b.attentionMask.reduce((n, m) => n + m, 0), 0);
}

/** What the loop needs of an onnxruntime package. */
export interface OrtTensors {
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => TensorType;
}

/** The feeds of each batch, made before timing (the model's inputs are int64). */
export function graphFeeds(ort: OrtTensors, batches: readonly GraphBatch[]): Array<Record<string, TensorType>> {
  const int64 = (data: ArrayLike<number>, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(Array.from(data, BigInt)), dims);
  return batches.map((b) => ({ input_ids: int64(b.inputIds, [b.rows, b.seqLen]), attention_mask: int64(b.attentionMask, [b.rows, b.seqLen]) }));
}

/** Runs every feed `reps` times on one session (the caller times it). */
export async function runFeeds(session: Session, feeds: ReadonlyArray<Record<string, TensorType>>, reps: number): Promise<void> {
  for (let r = 0; r < reps; r++) for (const feed of feeds) await session.run(feed);
}
