/** Public shapes of the embedding engine (the class itself lives in ./embedder). */
import type { Role, SgptOverrides } from './sgpt-settings';
import type { SliceWorkers } from './slices';

/** 'auto': WebGPU when the browser gives an adapter and `allowWebGpu` is not false, else wasm; Node: cpu. */
export type Device = 'auto' | 'webgpu' | 'wasm' | 'cpu';
/** Weights file to load: fp32 = onnx/model.onnx, q8 = onnx/model_quantized.onnx, fp16 = onnx/model_fp16.onnx. */
export type Dtype = 'fp32' | 'q8' | 'fp16';
/** Where a model runs. Here, not in ./model: the public declarations must not reach transformers.js's own, which do not type-check under skipLibCheck: false. */
export type Backend = 'cpu' | 'wasm' | 'webgpu';

/** URLs of one onnxruntime-web WASM build: its JavaScript glue and its binary. */
export interface OrtWasmFiles {
  mjs: string;
  wasm: string;
}

export interface LoadOptions {
  device?: Device;
  /** Default: the model's config.json "transformers.js_config".dtype, else fp32. */
  dtype?: Dtype;
  /** With device 'auto': try WebGPU at all (default true). */
  allowWebGpu?: boolean;
  /** Override the config.json "sgpt" settings. */
  settings?: SgptOverrides;
  /**
   * Browser only: URL folder that serves onnxruntime-web's dist files
   * (ort-wasm-simd-threaded.wasm / .mjs), e.g. '/ort/', or the two files' own URLs (a bundler may
   * have renamed them; CPU backend only). Default: the library's CDN default is left alone.
   */
  wasmPaths?: string | OrtWasmFiles;
  /** onnxruntime threads (wasm: numThreads; Node cpu: intraOpNumThreads). Default: the runtime's choice. */
  threads?: number;
  /**
   * Model sessions that embed batches in turn (default 1): a batch goes to whichever is free. In
   * Node, onnxruntime-node's `run` blocks the calling thread, so sessions there never overlap.
   */
  sessions?: number;
  /**
   * Node: threads besides the caller's that embed some of a call's slices, each with its own
   * session of the same model (`documentSessions` in ./node-sessions gives worker threads as
   * the machine's free cores allow); none: every slice on the calling thread.
   */
  sliceWorkers?: (source: string, load: WorkerLoad) => SliceWorkers;
  /**
   * The texts a first call will embed, once known (the CLI: stdin, read while the model loads).
   * With `sliceWorkers`, the threads they are worth start then, if this load is still under way,
   * so their start-up overlaps it instead of the call.
   */
  upcoming?: Promise<readonly string[]>;
  /** Download progress over all model files, in bytes (totalBytes is 0 while unknown). */
  onProgress?: (loadedBytes: number, totalBytes: number) => void;
  /** Hub-style host for hub ids (default https://huggingface.co/); tests point it at a local server. */
  remoteHost?: string;
}

/** What a worker thread loads its session with: the caller's options that shape the model's outputs. */
export type WorkerLoad = Pick<LoadOptions, 'threads' | 'dtype' | 'remoteHost'>;

export interface EmbedOptions {
  /** Sequences per model call (default 16). */
  batchSize?: number;
  /** Padded tokens per model call at most (default DEFAULT_BATCH_TOKENS); a longer sequence goes alone. */
  batchTokens?: number;
  /** Tokens shared by neighbouring chunks of a long text (default a quarter of the window). */
  overlap?: number;
  /** Aborts between batches with SgptError('ABORTED'). */
  signal?: AbortSignal;
  /**
   * Called after each batch (and each slice a worker thread embeds) with the number of input texts
   * whose chunks are all embedded, and the chunks (model windows) embedded of those known so far
   * (texts are tokenised a slice at a time, so the windows' total grows as the call goes): one long
   * text moves the second while the first waits.
   */
  onProgress?: (done: number, total: number, windows: { done: number; total: number }) => void;
  /**
   * Called as soon as some consecutive texts are all embedded (a slice of the call; slices end in
   * any order), with their rows: `owner[i]` is the call's index of the text row i belongs to, a
   * text's rows contiguous and in order. The call still returns every row at its end; this lets a
   * caller use rows (print them, store them) while the rest are embedded. The arrays are the
   * caller's own copies (changing or transferring them leaves the call's result alone).
   */
  onRows?: (rows: { owner: Int32Array; vectors: Float32Array }) => void;
}

export interface Embeddings {
  /** rows * dims, each row L2-normalised (dot product = cosine). */
  vectors: Float32Array;
  dims: number;
  rows: number;
  /** row -> index of the input text it came from (a long text gives several chunk rows, in order). */
  owner: Int32Array;
}

export type { Role };
