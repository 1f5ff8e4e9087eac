/**
 * What a static site needs next to its index to search with one <script> tag: the prebuilt browser
 * runtime (dist/runtime, from `npm run build:runtime`; shipped in the package) and the model the
 * index was built with. Shared by `sgpt-search index` and the Vite plugin (via buildSiteIndex).
 */
import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SgptError } from '../errors';

/** The prebuilt runtime, relative to this file: the same place in this repo and in the installed package. */
export const RUNTIME_DIR = fileURLToPath(new URL('../../dist/runtime/', import.meta.url));
export const RUNTIME_ENTRY = 'sgpt-search.js';
/** Hashed runtime chunks live here (vite.runtime.config.ts); older builds' chunks are removed. */
const CHUNKS = 'chunks';
/** onnxruntime-web's asyncify build (27 MB): only WebGPU needs it (src/worker/runtime.ts). */
const ASYNCIFY = /^ort[/\\]ort-wasm-simd-threaded\.asyncify\./;

export interface RuntimeOptions {
  /** Ship the asyncify build WebGPU needs (default true); without it the element stays on WASM. */
  webgpu?: boolean;
  runtimeDir?: string;
}

/**
 * The site root as seen from the index folder ("../" for <site>/sgpt, the manifest's `root`), so the
 * browser resolves page urls under any path prefix; undefined when the index is not inside the site.
 */
export function siteRootFrom(indexDir: string, site: string): string | undefined {
  const rel = relative(resolve(indexDir), resolve(site));
  if (rel === '') return './';
  const parts = rel.split(sep);
  return parts.every((part) => part === '..') ? parts.map(() => '../').join('') : undefined;
}

/** Where the model goes, relative to the index folder; the manifest names it (model.url). */
export function shippedModelUrl(id: string): string {
  return `model/${id}/`;
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path, base)));
    else if (entry.isFile()) files.push(relative(base, path));
  }
  return files.sort();
}

async function copyAll(from: string, to: string, files: string[]): Promise<number> {
  let bytes = 0;
  for (const file of files) {
    await mkdir(dirname(join(to, file)), { recursive: true });
    await copyFile(join(from, file), join(to, file));
    bytes += (await stat(join(to, file))).size;
  }
  return bytes;
}

/** Fails before any work is done when the runtime was not built, saying how to build it. */
export function checkRuntime(runtimeDir = RUNTIME_DIR): void {
  if (!existsSync(join(runtimeDir, RUNTIME_ENTRY))) {
    throw new SgptError(
      'INTERNAL',
      `the prebuilt browser runtime is missing (${join(runtimeDir, RUNTIME_ENTRY)}): run \`npm run build:runtime\` in ${dirname(dirname(runtimeDir))}, or pass --no-runtime to write the index only`,
    );
  }
}

/**
 * Copy the runtime into `out` (sgpt-search.js, chunks/, ort/); chunks of older builds go, and so
 * does a previously shipped asyncify build when WebGPU is left out. Returns bytes written.
 */
export async function writeRuntime(out: string, { webgpu = true, runtimeDir = RUNTIME_DIR }: RuntimeOptions = {}): Promise<number> {
  checkRuntime(runtimeDir);
  const all = await listFiles(runtimeDir);
  const files = webgpu ? all : all.filter((file) => !ASYNCIFY.test(file));
  const bytes = await copyAll(runtimeDir, out, files);
  for (const file of all.filter((f) => !files.includes(f))) await rm(join(out, file), { force: true });
  const current = new Set(files);
  const chunks = join(out, CHUNKS);
  for (const name of existsSync(chunks) ? await readdir(chunks) : []) {
    // Only names shaped like our hashed chunks: anything else in the folder is not ours to delete.
    if (/-[\w-]{8}\.js$/.test(name) && !current.has(join(CHUNKS, name))) await rm(join(chunks, name));
  }
  return bytes;
}

/** A model source the browser can be given a copy of: a local folder with config.json. */
export function checkShippableModel(source: string): void {
  if (!(existsSync(join(source, 'config.json')) && statSync(source).isDirectory())) {
    throw new SgptError(
      'INPUT_INVALID',
      `the model ${JSON.stringify(source)} is not a local model folder, so it cannot be copied next to the index: give --model a folder, or pass --no-model and set the element's model attribute`,
    );
  }
}

/**
 * Copy the model folder's browser files (top-level .json files and onnx/, as the model ships them:
 * int8 or fp32) to out/model/<id>/, replacing any model copied there before. Returns bytes written.
 */
export async function writeModel(source: string, out: string, id: string): Promise<number> {
  checkShippableModel(source);
  const files = (await listFiles(source)).filter((file) => /^[^/\\]+\.json$/.test(file) || /^onnx[/\\]/.test(file));
  const models = join(out, 'model');
  // Only this model belongs there: a previous build's model (another id) would be dead weight.
  await rm(models, { recursive: true, force: true });
  return copyAll(source, join(out, shippedModelUrl(id)), files);
}
