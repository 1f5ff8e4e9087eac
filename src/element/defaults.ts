/**
 * Where <sgpt-search> finds its model and onnxruntime-web's files when the page does not say.
 * From source (the demo, Vite sites) both live at the site root, as vite.config.ts serves them;
 * the prebuilt runtime (src/runtime/sgpt-search.ts) points both next to its own file instead, so
 * it works under any path prefix. Read at load time, never at import time.
 */
import { DEFAULT_MODEL } from '../embed/default-model';

export interface ElementDefaults {
  /** Model folder URL (relative to the page unless absolute). */
  model: string;
  /** Folder URL serving ort-wasm-simd-threaded*.{wasm,mjs}. */
  ortBase: string;
}

const defaults: ElementDefaults = { model: `/models/${DEFAULT_MODEL}/`, ortBase: '/ort/' };

export function elementDefaults(): Readonly<ElementDefaults> {
  return defaults;
}

export function setElementDefaults(value: Partial<ElementDefaults>): void {
  Object.assign(defaults, value);
}
