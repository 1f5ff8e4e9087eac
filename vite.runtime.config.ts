/**
 * The prebuilt browser runtime (`npm run build:runtime` → dist/runtime/), for sites without a
 * bundler of their own: `sgpt-search index` copies it next to the index.
 *
 *   dist/runtime/sgpt-search.js          ES module defining <sgpt-search>, lit bundled (fixed name: the <script> src)
 *   dist/runtime/sgpt-highlight.js       the opt-in highlight-on-arrival script for the pages results link to (fixed name)
 *   dist/runtime/chunks/*-<hash>.js      the worker and its chunks (immutable names)
 *   dist/runtime/ort/                    onnxruntime-web's plain WASM build (WebGPU's asyncify build: vite.shared.ts)
 *
 * Everything is addressed relative to sgpt-search.js (base './', src/runtime/defaults.ts), so the
 * folder works under any path prefix. The default model is DEFAULT_MODEL (src/embed/default-model.ts).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { ortRuntime, workerOptions } from './vite.shared.ts';

const here = dirname(fileURLToPath(import.meta.url));
const chunkNames = { entryFileNames: 'chunks/[name]-[hash].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'chunks/[name]-[hash][extname]' };

export default defineConfig({
  root: here,
  publicDir: false,
  base: './',
  plugins: [ortRuntime({ webgpu: false })],
  worker: {
    ...workerOptions,
    rollupOptions: { output: chunkNames },
  },
  build: {
    outDir: join(here, 'dist/runtime'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    copyPublicDir: false,
    // Library mode: an app build wraps each dynamic import in Vite's preload helper, which passes
    // import.meta.url, and webpack writes the build machine's file:// path in its place.
    lib: {
      entry: { 'sgpt-search': join(here, 'src/runtime/sgpt-search.ts'), 'sgpt-highlight': join(here, 'src/runtime/highlight.ts') },
      formats: ['es'],
    },
    rollupOptions: {
      // The entry's exports (SgptSearch, …) stay importable from the module.
      preserveEntrySignatures: 'exports-only',
      // Whitespace and comments dropped, as an app build does (library mode keeps them): the
      // runtime is also served as is, and a site's Vite must not obey our own @vite-ignore. The
      // bundled libraries' licence comments stay: the runtime is copied into sites without NOTICE.md.
      output: { ...chunkNames, entryFileNames: '[name].js', minify: true, comments: { legal: true, annotation: false, jsdoc: false } },
    },
  },
});
