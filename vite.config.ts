/**
 * Vite serves and builds the demo (demo/) with everything from our own origin: the model from
 * public/models and onnxruntime-web's WASM runtime under /ort/ (never a CDN). Which onnxruntime-web
 * files ship, and why, is in vite.shared.ts (shared with vite.runtime.config.ts, the prebuilt runtime).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { isolation, ortRuntime, serveFolder, workerOptions } from './vite.shared.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** Set by playwright.config.ts: no file watching or HMR reloads while tests (or benches) run. */
const frozen = process.env.SGPT_E2E === '1';

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
 * Tests only: the random-weight plumbing models live in test/fixtures/models (they do not ship),
 * served at /models/ beside public/models.
 */
function fixtureModels(): Plugin {
  return {
    name: 'sgpt-fixture-models',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use(serveFolder('/models/', join(here, 'test/fixtures/models')));
    },
  };
}

export default defineConfig({
  root: join(here, 'demo'),
  publicDir: join(here, 'public'),
  // Multi-page: a missing file is a 404, not index.html (a wrong model URL must fail clearly).
  appType: 'mpa',
  plugins: [ortRuntime({ webgpu: true }), demoData(), ...(frozen ? [fixtureModels()] : [])],
  worker: workerOptions,
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
    // Not dist/ itself: emptyOutDir would delete dist/runtime (the prebuilt runtime, vite.runtime.config.ts).
    outDir: join(here, 'dist/demo'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { main: join(here, 'demo/index.html'), minimal: join(here, 'demo/minimal.html') },
    },
  },
});
