/**
 * `<meta name="sgpt-search-runtime" content="sgpt/">`: the runtime folder (dist/runtime's layout,
 * as `sgpt-search index` writes it), where the element reads the default model and WebGPU's
 * onnxruntime build, for a page whose bundler moved the runtime away from it. The Vite plugin
 * writes it into the pages it builds (src/vite/plugin.ts); src/runtime/defaults.ts reads it. Here,
 * below both, with nothing else: the browser runtime bundles this file alone.
 */
export const RUNTIME_META = 'sgpt-search-runtime';
