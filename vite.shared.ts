/**
 * What the demo config (vite.config.ts) and the prebuilt runtime's config (vite.runtime.config.ts)
 * share: which onnxruntime-web files ship, how they are served and emitted, and how onnxruntime-web's
 * own default .wasm URL is kept out of the bundle.
 *
 * onnxruntime-web build choice: the worker runs the plain `ort-wasm-simd-threaded` build (14 MB),
 * which is faster on CPU than the 27 MB asyncify build. WebGPU needs the asyncify build, which is
 * fetched only when the worker actually runs on WebGPU (a real GPU adapter, or device="webgpu").
 * The demo serves and builds both; the prebuilt runtime (and so the npm package) holds the plain
 * build only, and `sgpt-search index` adds the asyncify build from the installed onnxruntime-web
 * (src/build/static-site.ts). The jsep/jspi builds are never used.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Plugin } from 'vite';

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const PLAIN = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs'];
const ASYNCIFY = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.asyncify.mjs'];

/** Multi-threaded WASM needs cross-origin isolation (SharedArrayBuffer). */
export const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

type Middleware = (req: { url?: string; headers?: Record<string, string | string[] | undefined> }, res: import('node:http').ServerResponse, next: () => void) => void;

const CONTENT_TYPES: Record<string, string> = { '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.json': 'application/json' };

/**
 * Serves `<prefix><path>` from the folder `dir` (cross-origin isolated, revalidated on every use),
 * for files `allow` accepts; anything else falls through to Vite. The validators (ETag, as a
 * stock static server sends) let the browser's HTTP cache keep the WASM runtime across visits,
 * streamed from there into its compile (src/worker/file-store `fetchStreamed`).
 */
export function serveFolder(prefix: string, dir: string, allow: (path: string) => boolean = () => true): Middleware {
  return (req, res, next) => {
    const url = decodeURIComponent(req.url?.split('?')[0] ?? '');
    if (!url.startsWith(prefix)) return next();
    const path = url.slice(prefix.length);
    const file = resolve(dir, path);
    if (!allow(path) || relative(dir, file).startsWith(`..${sep}`) || !existsSync(file) || !statSync(file).isFile()) return next();
    const stat = statSync(file);
    const etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('ETag', etag);
    for (const [key, value] of Object.entries(isolation)) res.setHeader(key, value);
    if (req.headers?.['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream');
    res.setHeader('Content-Length', stat.size);
    createReadStream(file).pipe(res);
  };
}

/**
 * Serves /ort/<file> from node_modules in dev and preview; emits the files into <outDir>/ort/ on
 * build. `webgpu`: the asyncify build too.
 */
export function ortRuntime({ webgpu }: { webgpu: boolean }): Plugin {
  const ortFiles = webgpu ? [...PLAIN, ...ASYNCIFY] : PLAIN;
  const serve = serveFolder('/ort/', ortDist, (name) => ortFiles.includes(name));
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
