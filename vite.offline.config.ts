/**
 * The classic runtime for pages opened from disk (`npm run build:runtime` →
 * dist/runtime/sgpt-search.offline.js; src/runtime/offline.ts): one IIFE script with lit and the
 * worker inside (a classic worker, started from a blob), since `file:` pages may run neither
 * module scripts nor module workers. Built after vite.runtime.config.ts, into the same folder.
 * The WASM runtime and the model are not in it: `sgpt-search index --offline` writes them as
 * scripts (src/build/offline-site.ts).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { workerOptions } from './vite.shared.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** The module worker's file that src/worker/client.ts names for the HTTP runtime: this runtime starts its own inline worker instead. */
function dropModuleWorker(): Plugin {
  return {
    name: 'sgpt-drop-module-worker',
    generateBundle(_options, bundle) {
      for (const name of Object.keys(bundle)) if (name.startsWith('assets/')) delete bundle[name];
    },
  };
}

export default defineConfig({
  root: here,
  publicDir: false,
  base: './',
  plugins: [dropModuleWorker()],
  // Only the HTTP runtime's worker URL (client.ts defaultWorker, never called here) reads it.
  define: { 'import.meta.url': 'self.location.href' },
  worker: { ...workerOptions, format: 'iife' },
  build: {
    outDir: join(here, 'dist/runtime'),
    emptyOutDir: false,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    modulePreload: false,
    copyPublicDir: false,
    lib: { entry: join(here, 'src/runtime/offline.ts'), formats: ['iife'], name: 'SgptSearch', fileName: () => 'sgpt-search.offline.js' },
  },
});
