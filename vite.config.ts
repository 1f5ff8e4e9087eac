/**
 * Vite serves and builds the demo (demo/) with everything from our own origin: the model from
 * public/models and onnxruntime-web's WASM runtime under /ort/ (never a CDN).
 *
 * onnxruntime-web build choice: the worker runs the plain `ort-wasm-simd-threaded` build (14 MB),
 * which is faster on CPU than the 27 MB asyncify build. WebGPU needs the asyncify build, so it is
 * shipped too, but fetched only when the worker actually runs on WebGPU (a real GPU adapter, or
 * device="webgpu"). Set SGPT_WEBGPU=0 to leave it out of the build; 'auto' then stays on WASM.
 * The jsep/jspi builds are never used.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const withWebGpu = process.env.SGPT_WEBGPU !== '0';
/** Set by playwright.config.ts: no file watching or HMR reloads while tests (or benches) run. */
const frozen = process.env.SGPT_E2E === '1';
const ortFiles = [
  'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.mjs',
  ...(withWebGpu ? ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'] : []),
];

/** Multi-threaded WASM needs cross-origin isolation (SharedArrayBuffer). */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Serves /ort/<file> from node_modules in dev and preview; emits the files into dist/ort/ on build. */
function ortRuntime(): Plugin {
  const serve = (req: { url?: string }, res: import('node:http').ServerResponse, next: () => void) => {
    const name = req.url?.split('?')[0]?.match(/^\/ort\/([^/]+)$/)?.[1];
    if (name === undefined || !ortFiles.includes(name)) return next();
    const file = join(ortDist, name);
    res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
    res.setHeader('Content-Length', statSync(file).size);
    res.setHeader('Cache-Control', 'no-cache');
    for (const [key, value] of Object.entries(isolation)) res.setHeader(key, value);
    createReadStream(file).pipe(res);
  };
  return {
    name: 'sgpt-ort-runtime',
    configureServer(server) {
      server.middlewares.use(serve);
    },
    configurePreviewServer(server) {
      server.middlewares.use(serve);
    },
    generateBundle() {
      for (const name of ortFiles) this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: readFileSync(join(ortDist, name)) });
    },
  };
}

/** The demo fetches its documents at run time (the element's `src`), so the build copies them. */
function demoData(): Plugin {
  return {
    name: 'sgpt-demo-data',
    apply: 'build',
    generateBundle() {
      for (const name of ['python-docs.json', 'LICENSE.txt']) {
        this.emitFile({ type: 'asset', fileName: `data/${name}`, source: readFileSync(join(here, 'demo/data', name)) });
      }
    },
  };
}

/**
 * onnxruntime-web's bundle names its default asyncify .wasm as `new URL(..., import.meta.url)`,
 * which would make Vite copy 27 MB into the build. We always set wasmPaths, so that URL is dead:
 * hide it from Vite's asset detection.
 */
function ortNoDefaultWasm(): Plugin {
  return {
    name: 'sgpt-ort-no-default-wasm',
    transform(code, id) {
      if (!id.includes('onnxruntime-web') || !code.includes('ort-wasm-simd-threaded')) return null;
      return { code: code.replace(/new URL\((["'])(ort-wasm-simd-threaded[\w.]*\.wasm)\1,\s*import\.meta\.url\)/g, 'new URL($1$2$1, "" + import.meta.url)'), map: null };
    },
  };
}

export default defineConfig({
  root: join(here, 'demo'),
  publicDir: join(here, 'public'),
  // Multi-page: a missing file is a 404, not index.html (a wrong model URL must fail clearly).
  appType: 'mpa',
  plugins: [ortRuntime(), demoData()],
  worker: {
    format: 'es',
    plugins: () => [ortNoDefaultWasm()],
  },
  optimizeDeps: {
    // Pre-bundling would copy their .wasm/.mjs into .vite/deps and break their URL logic.
    exclude: ['@huggingface/transformers', 'onnxruntime-web'],
    // Crawl the worker too, so no dependency is discovered late (that reloads the page).
    entries: ['*.html', join(here, 'src/worker/worker.ts')],
  },
  server: {
    headers: isolation,
    fs: { allow: [here] },
    ...(frozen ? { hmr: false, watch: null } : {}),
  },
  preview: {
    headers: isolation,
  },
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { main: join(here, 'demo/index.html'), minimal: join(here, 'demo/minimal.html') },
    },
  },
});
