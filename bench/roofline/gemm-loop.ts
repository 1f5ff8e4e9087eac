/**
 * The matmul rate of an onnxruntime build (onnxruntime-node, or onnxruntime-web in a browser
 * worker) at a decoder's weight shapes: the roofline's peak. No Node imports: the browser runs it.
 */
import type { InferenceSession as Session, Tensor as TensorType } from 'onnxruntime-common';
import { layerGemms, type DecoderShape } from './flops';
import { gemmModel } from '../../src/build/onnx-graph';

/** Rows of each GEMM: the padded tokens of one batch (DEFAULT_BATCH_TOKENS). */
export const GEMM_ROWS = 2048;

/** What the loop needs of an onnxruntime package. */
export interface OrtRuntime {
  InferenceSession: { create(model: Uint8Array, options?: Session.SessionOptions): Promise<Session> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => TensorType;
}

/** GFLOP/s of the layer's GEMMs, `sessions` sessions at once, each created with `options` (`int8`: gemmModel's int8 kernel). */
export async function gemmRateWith(ort: OrtRuntime, shape: DecoderShape, sessions: number, options: Session.SessionOptions, reps: number, int8 = false): Promise<number> {
  let flops = 0;
  let seconds = 0;
  for (const [k, n] of layerGemms(shape)) {
    const all = await Promise.all(Array.from({ length: sessions }, () => ort.InferenceSession.create(gemmModel(k, n, { int8 }), options)));
    const input = new ort.Tensor('float32', new Float32Array(GEMM_ROWS * k).fill(0.01), [GEMM_ROWS, k]);
    try {
      for (const session of all) await session.run({ A: input }); // warm-up
      const started = performance.now();
      await Promise.all(all.map(async (session) => {
        for (let r = 0; r < reps; r++) await session.run({ A: input });
      }));
      seconds += (performance.now() - started) / 1000;
      flops += 2 * GEMM_ROWS * k * n * reps * sessions;
    } finally {
      await Promise.all(all.map((session) => session.release()));
    }
  }
  return flops / seconds / 1e9;
}
