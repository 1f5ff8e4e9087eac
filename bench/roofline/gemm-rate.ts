/** The machine's matmul rate through onnxruntime-node at a decoder's weight shapes (the roofline's peak). */
import * as ort from 'onnxruntime-node';
import type { DecoderShape } from './flops';
import { gemmRateWith } from './gemm-loop';

export { GEMM_ROWS } from './gemm-loop';

/** GFLOP/s of the layer's GEMMs, `sessions` sessions at once, each with `threads` (undefined: the runtime's default); `int8`: the int8 kernel. */
export function gemmRate(shape: DecoderShape, sessions: number, threads: number | undefined, reps: number, int8 = false): Promise<number> {
  return gemmRateWith(ort, shape, sessions, threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 }, reps, int8);
}
