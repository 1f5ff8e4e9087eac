/**
 * The prebuilt runtime's defaults: the ORT files and the default model sit next to the bundle
 * (dist/runtime/ort/, and model/<name>/ where `sgpt-search index` copies the model), resolved
 * against this bundle's own URL. Imported first by the entry, so it runs before the element's
 * module defines <sgpt-search> (which may upgrade elements already in the page).
 */
import { setElementDefaults } from '../element/defaults';
import { DEFAULT_MODEL } from '../embed/default-model';

// Through a variable: these may be absent (a site's own model; WebGPU's build), so no bundler may look for them.
const bundle = import.meta.url;
setElementDefaults({
  model: new URL(`model/${DEFAULT_MODEL}/`, bundle).href,
  ortBase: new URL('ort/', bundle).href,
  // Literal on purpose: they always ship beside the bundle, and a site's bundler that understands
  // `new URL('…', import.meta.url)` (Vite, webpack, Parcel) copies them along with this module.
  // Our own build must leave them as written (they are emitted into ort/ by vite.shared.ts).
  ortWasm: {
    mjs: new URL(/* @vite-ignore */ './ort/ort-wasm-simd-threaded.mjs', import.meta.url).href,
    wasm: new URL(/* @vite-ignore */ './ort/ort-wasm-simd-threaded.wasm', import.meta.url).href,
  },
});
