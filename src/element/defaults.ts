/**
 * Where <sgpt-search> finds its model and onnxruntime-web's files when the page does not say.
 * From source (the demo, Vite sites) both live at the site root, as vite.config.ts serves them;
 * the prebuilt runtime (src/runtime/sgpt-search.ts) points both next to its own file instead, so
 * it works under any path prefix. Read at load time, never at import time.
 */
import { DEFAULT_MODEL } from '../embed/default-model';
import type { OrtWasmFiles } from '../embed/types';
import type { FileLoader } from '../index/reader';
import type { WorkerLike } from '../worker/client';
import type { RuntimeOptions } from '../worker/protocol';

/**
 * How a page opened from disk gets its files with no fetch at all (set by the classic runtime,
 * src/runtime/offline.ts): the index, the model and the WASM runtime come from scripts.
 */
export interface OfflineTransport {
  /** The index's files by name, for the manifest at `manifestUrl`. */
  indexFiles(manifestUrl: URL): FileLoader;
  /** The model URL the worker loads and runtime options that carry every file's bytes. */
  prepareLoad(model: string, runtime: RuntimeOptions): Promise<{ model: string; runtime: RuntimeOptions }>;
  /** The worker, started without a fetch (a classic worker from a blob). */
  createWorker(): WorkerLike;
}

export interface ElementDefaults {
  /** Model folder URL (relative to the page unless absolute). */
  model: string;
  /** Folder URL serving ort-wasm-simd-threaded*.{wasm,mjs} (WebGPU's asyncify build is always read from here). */
  ortBase: string;
  /** The plain build's own URLs, when a bundler has renamed them (the prebuilt runtime sets these). */
  ortWasm?: OrtWasmFiles;
  offline?: OfflineTransport;
}

const defaults: ElementDefaults = { model: `/models/${DEFAULT_MODEL}/`, ortBase: '/ort/' };

export function elementDefaults(): Readonly<ElementDefaults> {
  return defaults;
}

export function setElementDefaults(value: Partial<ElementDefaults>): void {
  Object.assign(defaults, value);
}

/** The worker's runtime options from the defaults, every URL made absolute (against the page, by `absolute`). */
export function ortRuntime(value: Readonly<ElementDefaults>, absolute: (url: string) => string): RuntimeOptions {
  return {
    ortBase: absolute(value.ortBase),
    ...(value.ortWasm === undefined ? {} : { ortWasm: { mjs: absolute(value.ortWasm.mjs), wasm: absolute(value.ortWasm.wasm) } }),
  };
}
