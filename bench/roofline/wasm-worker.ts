/// <reference lib="webworker" />
/**
 * onnxruntime-web's plain WASM build in a worker, as the element runs it, for two measurements of
 * `npm run bench -- chromium-embed`; one worker per measurement, since the runtime's thread count
 * is fixed once it starts.
 * - `gemm`: the Chromium row of the roofline, the matmul rate at the model's GEMM shapes.
 * - `startup`: a model's start-up in ms: the runtime's start (WASM fetch, compile, instantiate), the
 *   session build from the model file as shipped, and the first run; with the binary streamed from
 *   its URL or handed over as bytes.
 * Answers {result} or {error}.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { DecoderShape } from './flops';
import { gemmModel } from './gemm-model';
import { gemmRateWith } from './gemm-loop';

export type WasmBenchRequest =
  | { kind: 'gemm'; ortBase: string; threads: number; shape: DecoderShape; reps: number }
  | { kind: 'startup'; ortBase: string; threads: number; model: string; wasm?: 'streamed' | 'bytes' };

export interface Startup {
  runtimeMs: number;
  sessionMs: number;
  firstRunMs: number;
}

/**
 * `wasm`: 'streamed' (the default, as the element does: onnxruntime-web compiles the binary as it
 * streams from its URL, the form Chromium may code-cache) or 'bytes' (the binary fetched first and
 * handed over as `wasmBinary`), the fetch counted in the runtime's start either way.
 */
async function startup(model: string, wasm: 'streamed' | 'bytes', wasmUrl: string): Promise<Startup> {
  let started = performance.now();
  if (wasm === 'bytes') ort.env.wasm.wasmBinary = new Uint8Array(await (await fetch(wasmUrl)).arrayBuffer());
  await (await ort.InferenceSession.create(gemmModel(8, 8))).release();
  const runtimeMs = performance.now() - started;
  const bytes = new Uint8Array(await (await fetch(model)).arrayBuffer());
  started = performance.now();
  const session = await ort.InferenceSession.create(bytes);
  const sessionMs = performance.now() - started;
  const ids = BigInt64Array.from({ length: 12 }, (_, i) => BigInt(100 + i * 37));
  started = performance.now();
  await session.run({ input_ids: new ort.Tensor('int64', ids, [1, 12]), attention_mask: new ort.Tensor('int64', new BigInt64Array(12).fill(1n), [1, 12]) });
  const firstRunMs = performance.now() - started;
  // A few more queries, as a reader's first visit runs: the code they make hot is what Chromium may cache.
  for (let i = 0; i < 10; i++) await session.run({ input_ids: new ort.Tensor('int64', ids, [1, 12]), attention_mask: new ort.Tensor('int64', new BigInt64Array(12).fill(1n), [1, 12]) });
  await session.release();
  return { runtimeMs, sessionMs, firstRunMs };
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (event: MessageEvent<WasmBenchRequest>) => {
  const request = event.data;
  try {
    ort.env.wasm.numThreads = request.threads;
    const wasm = `${request.ortBase}ort-wasm-simd-threaded.wasm`;
    ort.env.wasm.wasmPaths = { mjs: `${request.ortBase}ort-wasm-simd-threaded.mjs`, wasm };
    const result = request.kind === 'gemm' ? await gemmRateWith(ort, request.shape, 1, {}, request.reps) : await startup(request.model, request.wasm ?? 'streamed', wasm);
    scope.postMessage({ result });
  } catch (error) {
    scope.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
