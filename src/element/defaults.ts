/**
 * Where <sgpt-search> finds its model and onnxruntime-web's files when the page does not say.
 * From source (the demo, Vite sites) both live at the site root, as vite.config.ts serves them;
 * the prebuilt runtime (src/runtime/sgpt-search.ts) points both next to its own file instead, so
 * it works under any path prefix. Read at load time, never at import time.
 */
import { DEFAULT_MODEL } from '../embed/default-model';
import type { OrtWasmFiles } from '../embed/types';
import type { RuntimeOptions } from '../worker/protocol';

export interface ElementDefaults {
  /** Model folder URL (relative to the page unless absolute). */
  model: string;
  /** Folder URL serving ort-wasm-simd-threaded*.{wasm,mjs} (WebGPU's asyncify build is always read from here). */
  ortBase: string;
  /** The plain build's own URLs, when a bundler has renamed them (the prebuilt runtime sets these). */
  ortWasm?: OrtWasmFiles;
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
