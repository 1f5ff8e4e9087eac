/// <reference lib="webworker" />
/**
 * onnxruntime-web's plain WASM build in a worker, as the element runs it, for two measurements of
 * `npm run bench -- chromium-embed`; one worker per measurement, since the runtime's thread count
 * is fixed once it starts.
 * - `graph`: the Chromium model-graph peak, real tokens per second of the model's own graph on
 *   pre-padded batches (graph-batches.ts), the same measurement as Node's graph-rate.ts.
 * - `gemm`: the matmul rate at the model's GEMM shapes (models whose work is matmuls).
 * - `startup`: a model's start-up in ms: the runtime's start (WASM fetch, compile, instantiate), the
 *   session build from the model file as shipped, and the first run; with the binary streamed from
 *   its URL or handed over as bytes.
 * Answers {result} or {error}.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { DecoderShape } from './flops';
import { gemmModel } from '../../src/build/onnx-graph';
import { gemmRateWith } from './gemm-loop';
import { graphFeeds, realTokens, runFeeds, type GraphBatch } from './graph-batches';

/** A GraphBatch as a page hands it over (plain arrays). */
export interface PlainBatch {
  rows: number;
  seqLen: number;
  inputIds: number[];
  attentionMask: number[];
}

export type WasmBenchRequest =
  | { kind: 'graph'; ortBase: string; threads: number; model: string; batches: PlainBatch[]; reps: number }
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

/** Real tokens per second of the model at `model` (URL of its onnx file) on `plain` batches, timed after a warm-up. */
async function graphRate(model: string, plain: PlainBatch[], reps: number): Promise<number> {
  const session = await ort.InferenceSession.create(new Uint8Array(await (await fetch(model)).arrayBuffer()));
  try {
    const batches: GraphBatch[] = plain.map((b) => ({ rows: b.rows, seqLen: b.seqLen, inputIds: Int32Array.from(b.inputIds), attentionMask: Uint8Array.from(b.attentionMask) }));
    const feeds = graphFeeds(ort, batches);
    await runFeeds(session, feeds.slice(0, 2), 1);
    const started = performance.now();
    await runFeeds(session, feeds, reps);
    return (realTokens(batches) * reps) / ((performance.now() - started) / 1000);
  } finally {
    await session.release();
  }
}

/** The request's measurement. */
function measure(request: WasmBenchRequest, wasmUrl: string): Promise<number | Startup> {
  switch (request.kind) {
    case 'graph':
      return graphRate(request.model, request.batches, request.reps);
    case 'gemm':
      return gemmRateWith(ort, request.shape, 1, {}, request.reps);
    case 'startup':
      return startup(request.model, request.wasm ?? 'streamed', wasmUrl);
  }
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (event: MessageEvent<WasmBenchRequest>) => {
  const request = event.data;
  try {
    ort.env.wasm.numThreads = request.threads;
    const wasm = `${request.ortBase}ort-wasm-simd-threaded.wasm`;
    ort.env.wasm.wasmPaths = { mjs: `${request.ortBase}ort-wasm-simd-threaded.mjs`, wasm };
    const result = await measure(request, wasm);
    scope.postMessage({ result });
  } catch (error) {
    scope.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
