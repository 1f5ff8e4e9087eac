/**
 * Entry of the classic runtime (`dist/runtime/sgpt-search.offline.js`, vite.offline.config.ts),
 * written by `sgpt-search index --offline` for pages opened from disk (`file:`), where Chromium
 * refuses module scripts, fetch, XHR and module workers. It is one classic script:
 *
 *   <script src="sgpt/sgpt-search.offline.js"></script>
 *   <sgpt-search index="sgpt/manifest.json"></sgpt-search>
 *
 * Every file then comes from a script next to it (src/index/script-files.ts): the index's files
 * one by one as a query needs them; the model and the WASM runtime when the model loads, handed
 * to the worker with the load. The worker is a classic worker started from a blob; a browser that
 * refuses it keeps keyword results, and the element says why semantic results are off.
 */
import { setElementDefaults } from '../element/defaults';
import { DEFAULT_MODEL } from '../embed/default-model';
import { SgptError } from '../errors';
import { FILE_LIST, scriptFileLoader, scriptLoader, scriptPath } from '../index/script-files';
import type { RuntimeOptions } from '../worker/protocol';
import OfflineWorker from '../worker/worker?worker&inline';

/** The folder of this script (the index folder: `sgpt-search index` writes the runtime there). */
const here = new URL('./', (document.currentScript as HTMLScriptElement | null)?.src ?? document.baseURI);
const load = scriptLoader(here);
/**
 * transformers.js reads a model only from an http(s) folder; from disk the worker never fetches
 * (RuntimeOptions.files), so the model's files are named under this reserved, never-resolving
 * host (RFC 2606 `.invalid`).
 */
const MODEL_HOST = 'https://sgpt-search.invalid/';

let listed: Promise<string[]> | null = null;
function fileList(): Promise<string[]> {
  listed ??= load(FILE_LIST).then((bytes) => {
    if (bytes === null) throw new SgptError('MODEL_NOT_FOUND', `${new URL(scriptPath(FILE_LIST), here).href} is missing; build the index with \`sgpt-search index --offline\``);
    return JSON.parse(new TextDecoder().decode(bytes)) as string[];
  });
  return listed;
}

/** `url` as a path inside this folder, or null when it lies elsewhere. */
function inside(url: string): string | null {
  return url.startsWith(here.href) ? decodeURIComponent(url.slice(here.href.length)) : null;
}

async function prepareLoad(model: string, runtime: RuntimeOptions): Promise<{ model: string; runtime: RuntimeOptions }> {
  const folder = inside(model.replace(/\/*$/, '/'));
  if (folder === null) throw new SgptError('MODEL_NOT_FOUND', `from disk the model must be the one beside the index (${here.href}model/…), not ${model}`);
  const paths = await fileList();
  const files: Record<string, Uint8Array> = {};
  const wanted: Array<[path: string, key: string]> = paths.filter((path) => path.startsWith(folder)).map((path) => [path, `${MODEL_HOST}${path}`]);
  for (const url of runtime.ortWasm === undefined ? [] : [runtime.ortWasm.mjs, runtime.ortWasm.wasm]) {
    const path = inside(url);
    if (path !== null && paths.includes(path)) wanted.push([path, url]);
  }
  await Promise.all(
    wanted.map(async ([path, key]) => {
      const bytes = await load(path);
      if (bytes !== null) files[key] = bytes;
    }),
  );
  return { model: `${MODEL_HOST}${folder}`, runtime: { ...runtime, files } };
}

function createWorker(): Worker {
  try {
    return new OfflineWorker({ name: 'sgpt-search' });
  } catch (error) {
    throw new SgptError('WORKER_DIED', `semantic results are off: this browser does not start a Web Worker on this page (${error instanceof Error ? error.message : String(error)}); keyword results still work`);
  }
}

setElementDefaults({
  model: new URL(`model/${DEFAULT_MODEL}/`, here).href,
  ortBase: new URL('ort/', here).href,
  ortWasm: { mjs: new URL('ort/ort-wasm-simd-threaded.mjs', here).href, wasm: new URL('ort/ort-wasm-simd-threaded.wasm', here).href },
  offline: { indexFiles: (manifestUrl) => scriptFileLoader(new URL('./', manifestUrl)), prepareLoad, createWorker },
});

export * from '../element/sgpt-search';
