/**
 * The prebuilt runtime's defaults: onnxruntime-web's plain build (ort/), and the default model
 * (model/<name>/, where `sgpt-search index` copies it) and WebGPU's asyncify build (ort/) in the
 * runtime folder. Imported first by the entry, so it runs before the element's module defines
 * <sgpt-search> (which may upgrade elements already in the page).
 */
import { setElementDefaults } from '../element/defaults';
import { DEFAULT_MODEL } from '../embed/default-model';
import { RUNTIME_META } from '../build/runtime-meta';

// Literal on purpose: they always ship beside the bundle, and a site's bundler that understands
// `new URL('…', import.meta.url)` (Vite, webpack) emits them along with this module.
// Our own build must leave them as written (they are emitted into ort/ by vite.shared.ts).
const ortWasm = {
  mjs: new URL(/* @vite-ignore */ './ort/ort-wasm-simd-threaded.mjs', import.meta.url).href,
  wasm: new URL(/* @vite-ignore */ './ort/ort-wasm-simd-threaded.wasm', import.meta.url).href,
};
// The model and WebGPU's build may be absent, so no bundler may look for them. Their folder is the
// page's meta, else the one above the plain build's: this module's own folder unbundled. Never
// import.meta.url itself: webpack writes the build machine's file:// path in its place.
const named = document.querySelector<HTMLMetaElement>(`meta[name="${RUNTIME_META}"]`)?.content;
const folder = named ? new URL(named, document.baseURI) : new URL('../', ortWasm.mjs);
setElementDefaults({
  model: new URL(`model/${DEFAULT_MODEL}/`, folder).href,
  ortBase: new URL('ort/', folder).href,
  ortWasm,
});
