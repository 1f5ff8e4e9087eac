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
import type { DeviceChoice, LoadRequest, WasmBuild } from './protocol';

export const DEFAULT_ORT_BASE = '/ort/';

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

/** HandlerDeps.loadEmbedder for a browser worker. */
export async function loadBrowserEmbedder(
  request: LoadRequest,
  onProgress: (loaded: number, total: number) => void,
): Promise<Embedder> {
  const runtime = request.runtime ?? {};
  const ortBase = runtime.ortBase ?? DEFAULT_ORT_BASE;
  const device = await resolveDevice(request.device ?? 'auto', ortBase);
  const options: LoadOptions = {
    device,
    allowWebGpu: device === 'webgpu',
    onProgress,
    ...(request.mode === undefined ? {} : { settings: { mode: request.mode } }),
    ...(runtime.threads === undefined ? {} : { threads: runtime.threads }),
  };
  if (runtime.wasmBuild === undefined && device === 'wasm' && runtime.ortWasm !== undefined) {
    options.wasmPaths = runtime.ortWasm;
  } else if (runtime.wasmBuild === undefined || device === 'webgpu') {
    // The engine picks the build for the device: plain for wasm, asyncify for WebGPU.
    options.wasmPaths = ortBase;
  } else {
    // An explicit build (benchmarks compare them): set the paths ourselves, in place.
    const wasm = env.backends.onnx.wasm;
    if (wasm === undefined) throw new SgptError('BACKEND_UNAVAILABLE', 'onnxruntime-web has no WASM backend in this build');
    wasm.wasmPaths = ortFiles(ortBase, runtime.wasmBuild);
  }
  return Embedder.load(request.model, options);
}
