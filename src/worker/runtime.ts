/**
 * Browser runtime choice, made once per worker before the model loads.
 *
 * onnxruntime-web ships two WASM builds that matter here: the plain one (14 MB, faster on CPU) and
 * the asyncify one (27 MB) that its WebGPU backend needs. We pick the plain build unless the model
 * runs on WebGPU, and always load the files from our own origin (`ortBase`), never from a CDN.
 * 'auto' picks WebGPU only for a real GPU adapter: a fallback (software) adapter is correct but
 * far slower than WASM. If the site did not ship the asyncify files, 'auto' stays on WASM.
 */
import { env } from '@huggingface/transformers';
import { Embedder } from '../embed/embedder';
import type { Device, LoadOptions } from '../embed/types';
import { SgptError } from '../errors';
import { fetchStored, fetchStreamed, provideFiles, type ByteProgress } from './file-store';
import { modelFileCache, watchFolder } from './model-files';
import type { DeviceChoice, LoadRequest, WasmBuild } from './protocol';
import { answerOnce } from './wasm-route';

export const DEFAULT_ORT_BASE = '/ort/';

/**
 * WASM threads unless a load asks otherwise. Measured under cross-origin isolation on the 2-core
 * machines here (`npm run bench -- chromium-embed`, two runs on 2026-12-01 with the load average
 * above 20): onnxruntime-web's own matmul rate at the model's shapes was 0.73x with 2 threads in
 * both, a 12-word query 2.3x and 3.5x slower, 32 synthetic documents embedded at 0.71x and 0.85x;
 * only the demo's sections went either way (0.86x, 1.32x). onnxruntime-web's own default would
 * take half the cores (up to 4) wherever the page is isolated.
 */
export const DEFAULT_WASM_THREADS = 1;

export function ortFiles(base: string, build: WasmBuild): { mjs: string; wasm: string } {
  const stem = `ort-wasm-simd-threaded${build === 'asyncify' ? '.asyncify' : ''}`;
  const folder = new URL(base, self.location.href).href;
  return { mjs: new URL(`${stem}.mjs`, folder).href, wasm: new URL(`${stem}.wasm`, folder).href };
}

interface GpuAdapterLike {
  info?: { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

async function gpuAdapter(): Promise<GpuAdapterLike | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (gpu === undefined) return null;
  try {
    return await gpu.requestAdapter();
  } catch {
    return null;
  }
}

async function reachable(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { method: 'HEAD' })).ok;
  } catch {
    return false;
  }
}

/** The device the model will run on, after checking what this browser and site can do. */
export async function resolveDevice(choice: DeviceChoice, ortBase: string): Promise<Extract<Device, 'wasm' | 'webgpu'>> {
  if (choice === 'wasm') return 'wasm';
  const adapter = await gpuAdapter();
  if (choice === 'webgpu') {
    if (adapter === null) {
      throw new SgptError('BACKEND_UNAVAILABLE', 'device="webgpu" was requested but this browser offers no WebGPU adapter; use device="auto" or "wasm"');
    }
    if (!(await reachable(ortFiles(ortBase, 'asyncify').wasm))) {
      throw new SgptError('BACKEND_UNAVAILABLE', `device="webgpu" needs onnxruntime-web's asyncify build at ${ortBase}; this site does not serve it`);
    }
    return 'webgpu';
  }
  const real = adapter !== null && !(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false);
  return real && (await reachable(ortFiles(ortBase, 'asyncify').wasm)) ? 'webgpu' : 'wasm';
}

/** A model folder URL with exactly one trailing slash. */
export function folderUrl(model: string): string {
  return `${new URL(model, self.location.href).href.replace(/\/+$/, '')}/`;
}

/** Every model file through ./model-files (fetched once, kept in the Cache API), set once per worker. */
export function serveModelFiles(): void {
  env.useCustomCache = true;
  env.customCache = modelFileCache;
}

/** Whether this worker's WASM runtime is decided: one per worker, the first load's. */
let wasmProvided = false;

/**
 * Hand onnxruntime-web its WASM binary: files given (from disk) as bytes; otherwise as the
 * Response of its URL (./wasm-route), which it compiles as it streams (and Chromium may code-cache
 * with the HTTP cache's entry); a repeat visit downloads nothing (./file-store `fetchStreamed`).
 */
async function provideWasm(url: string, given: boolean, onProgress: ByteProgress): Promise<void> {
  const wasm = env.backends.onnx.wasm;
  if (wasm === undefined || wasmProvided) return;
  const missing = () => new SgptError('BACKEND_UNAVAILABLE', `onnxruntime-web's ${url} is missing on this site`);
  if (given) {
    const stored = await fetchStored(url, onProgress);
    if (stored === null) throw missing();
    wasm.wasmBinary = stored.bytes as Uint8Array<ArrayBuffer>;
  } else {
    const response = await fetchStreamed(url, onProgress);
    if (response.status === 404) throw missing();
    if (!response.ok) throw new SgptError('BACKEND_UNAVAILABLE', `onnxruntime-web's ${url}: HTTP ${response.status} ${response.statusText}`.trim());
    // Only a body served as application/wasm compiles as it streams: another type (a server that
    // does not know .wasm) would fail there and be fetched again, so it is handed over as bytes.
    if (response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() === 'application/wasm') answerOnce(url, response);
    else wasm.wasmBinary = new Uint8Array(await response.arrayBuffer());
  }
  wasmProvided = true;
}

/** HandlerDeps.loadEmbedder for a browser worker; the model's identity hash comes with it. */
export async function loadBrowserEmbedder(
  request: LoadRequest,
  onProgress: (loaded: number, total: number) => void,
): Promise<{ embedder: Embedder; hash: string }> {
  const runtime = request.runtime ?? {};
  const ortBase = runtime.ortBase ?? DEFAULT_ORT_BASE;
  const given = runtime.files;
  if (given !== undefined) provideFiles(given);
  // Files given (from disk): no probing fetch, and only the plain build ships.
  const device = given === undefined ? await resolveDevice(request.device ?? 'auto', ortBase) : 'wasm';
  serveModelFiles();
  const watch = watchFolder(folderUrl(request.model), onProgress);
  try {
    const build: WasmBuild = device === 'webgpu' ? 'asyncify' : (runtime.wasmBuild ?? 'plain');
    // A bundler may have renamed the plain build's files (the prebuilt runtime passes their URLs).
    let renamed = runtime.wasmBuild === undefined && device === 'wasm' ? runtime.ortWasm : undefined;
    // onnxruntime-web imports its glue: from disk only a blob URL of the given bytes can be imported.
    const glue = renamed === undefined ? undefined : given?.[renamed.mjs];
    if (renamed !== undefined && glue !== undefined) renamed = { ...renamed, mjs: URL.createObjectURL(new Blob([glue as Uint8Array<ArrayBuffer>], { type: 'text/javascript' })) };
    const wasmUrl = (renamed ?? ortFiles(ortBase, build)).wasm;
    await provideWasm(wasmUrl, given !== undefined, watch.track(wasmUrl));
    const options: LoadOptions = {
      device,
      allowWebGpu: device === 'webgpu',
      ...(request.mode === undefined ? {} : { settings: { mode: request.mode } }),
      threads: runtime.threads ?? DEFAULT_WASM_THREADS,
    };
    if (renamed !== undefined) {
      options.wasmPaths = renamed;
    } else if (runtime.wasmBuild === undefined || device === 'webgpu') {
      // The engine picks the build for the device: plain for wasm, asyncify for WebGPU.
      options.wasmPaths = ortBase;
    } else {
      // An explicit build (benchmarks compare them): set the paths ourselves, in place.
      const wasm = env.backends.onnx.wasm;
      if (wasm === undefined) throw new SgptError('BACKEND_UNAVAILABLE', 'onnxruntime-web has no WASM backend in this build');
      wasm.wasmPaths = ortFiles(ortBase, runtime.wasmBuild);
    }
    const embedder = await Embedder.load(request.model, options);
    return { embedder, hash: await watch.hash() };
  } finally {
    watch.close();
  }
}
