/** The machine's matmul rate through onnxruntime-node at a decoder's weight shapes (the roofline's peak). */
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { layerGemms, type DecoderShape } from './flops';
import { gemmModel } from './gemm-model';

/** Rows of each GEMM: the padded tokens of one batch (DEFAULT_BATCH_TOKENS). */
export const GEMM_ROWS = 2048;

/** GFLOP/s of the layer's GEMMs, `sessions` sessions at once, each with `threads` (undefined: the runtime's default). */
export async function gemmRate(shape: DecoderShape, sessions: number, threads: number | undefined, reps: number): Promise<number> {
  let flops = 0;
  let seconds = 0;
  for (const [k, n] of layerGemms(shape)) {
    const options = threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 };
    const all = await Promise.all(Array.from({ length: sessions }, () => InferenceSession.create(gemmModel(k, n), options)));
    const input = new Tensor('float32', new Float32Array(GEMM_ROWS * k).fill(0.01), [GEMM_ROWS, k]);
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

