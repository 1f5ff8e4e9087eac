/// <reference lib="webworker" />
/**
 * The Chromium row of the roofline: onnxruntime-web's plain WASM build, in a worker as the
 * element runs it, at the model's GEMM shapes. One worker per thread count: the runtime's thread
 * count is fixed once it starts. Message in: {shape, threads, reps, ortBase}; out: GFLOP/s or {error}.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { DecoderShape } from './flops';
import { gemmRateWith } from './gemm-loop';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (event: MessageEvent<{ shape: DecoderShape; threads: number; reps: number; ortBase: string }>) => {
  const { shape, threads, reps, ortBase } = event.data;
  try {
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.wasmPaths = { mjs: `${ortBase}ort-wasm-simd-threaded.mjs`, wasm: `${ortBase}ort-wasm-simd-threaded.wasm` };
    scope.postMessage({ rate: await gemmRateWith(ort, shape, 1, {}, reps), isolated: scope.crossOriginIsolated });
  } catch (error) {
    scope.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
