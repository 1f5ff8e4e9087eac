/**
 * What the demo config (vite.config.ts) and the prebuilt runtime's config (vite.runtime.config.ts)
 * share: which onnxruntime-web files ship, how they are served and emitted, and how onnxruntime-web's
 * own default .wasm URL is kept out of the bundle.
 *
 * onnxruntime-web build choice: the worker runs the plain `ort-wasm-simd-threaded` build (14 MB),
 * which is faster on CPU than the 27 MB asyncify build. WebGPU needs the asyncify build, so it is
 * shipped too, but fetched only when the worker actually runs on WebGPU (a real GPU adapter, or
 * device="webgpu"). Set SGPT_WEBGPU=0 to leave it out of a build; 'auto' then stays on WASM.
 * The jsep/jspi builds are never used.
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Plugin } from 'vite';

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const withWebGpu = process.env.SGPT_WEBGPU !== '0';

export const ortFiles = [
  'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.mjs',
  ...(withWebGpu ? ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'] : []),
];

/** Multi-threaded WASM needs cross-origin isolation (SharedArrayBuffer). */
export const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Serves /ort/<file> from node_modules in dev and preview; emits the files into <outDir>/ort/ on build. */
export function ortRuntime(): Plugin {
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

/**
 * onnxruntime-web's bundle names its default asyncify .wasm as `new URL(..., import.meta.url)`,
 * which would make Vite copy 27 MB into the build. We always set wasmPaths, so that URL is dead:
 * hide it from Vite's asset detection.
 */
export function ortNoDefaultWasm(): Plugin {
  return {
    name: 'sgpt-ort-no-default-wasm',
    transform(code, id) {
      if (!id.includes('onnxruntime-web') || !code.includes('ort-wasm-simd-threaded')) return null;
      return { code: code.replace(/new URL\((["'])(ort-wasm-simd-threaded[\w.]*\.wasm)\1,\s*import\.meta\.url\)/g, 'new URL($1$2$1, "" + import.meta.url)'), map: null };
    },
  };
}

/** Worker settings both builds need: ES module workers, without onnxruntime-web's default .wasm. */
export const workerOptions = {
  format: 'es' as const,
  plugins: () => [ortNoDefaultWasm()],
};
