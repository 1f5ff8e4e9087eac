/**
 * What a static site needs next to its index to search with one <script> tag: the prebuilt browser
 * runtime (dist/runtime, from `npm run build:runtime`; shipped in the package) and the model the
 * index was built with. Shared by `sgpt-search index` and the Vite plugin (via buildSiteIndex).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { SgptError } from '../errors';
import type { OutputDir } from '../index/output-dir';
import { PACKAGE_ROOT, packageFile } from './package-files';

/** The prebuilt runtime, relative to this file: the same place in this repo and in the installed package. */
export const RUNTIME_DIR = packageFile('dist/runtime/');
export const RUNTIME_ENTRY = 'sgpt-search.js';
/** The classic runtime for pages opened from disk (vite.offline.config.ts): copied only for --offline builds. */
export const OFFLINE_RUNTIME = 'sgpt-search.offline.js';
/** onnxruntime-web's asyncify build (27 MB): only WebGPU needs it (src/worker/runtime.ts). */
const ASYNCIFY = /^ort\/ort-wasm-simd-threaded\.asyncify\./;
const ASYNCIFY_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
/** The plain build's glue, which the runtime ships: equal bytes say the installed onnxruntime-web is the one the runtime was built with. */
const PLAIN_GLUE = 'ort-wasm-simd-threaded.mjs';

export interface RuntimeOptions {
  /**
   * Add the asyncify build WebGPU needs (default true), from the installed onnxruntime-web (the
   * package does not ship it); without it the element stays on WASM.
   */
  webgpu?: boolean;
  runtimeDir?: string;
  /** onnxruntime-web's dist folder (default: the installed package's). */
  ortDir?: string;
  /** Why the WebGPU build was left out, when it was wanted. */
  onWarning?: (message: string) => void;
  /** Also the classic runtime for pages opened from disk (default false; src/build/offline-site.ts writes the rest). */
  offline?: boolean;
}

function installedOrtDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve(`onnxruntime-web/${PLAIN_GLUE}`));
  } catch {
    return undefined;
  }
}

/** The asyncify files to copy from `ortDir`, or why not: they must come from the onnxruntime-web the runtime was built with. */
async function webGpuFiles(runtimeDir: string, ortDir: string | undefined): Promise<string | null> {
  if (ortDir === undefined || !ASYNCIFY_FILES.every((file) => existsSync(join(ortDir, file)))) {
    return 'onnxruntime-web (a dependency of sgpt-search) is not installed where Node can resolve it';
  }
  const [built, installed] = await Promise.all([readFile(join(runtimeDir, 'ort', PLAIN_GLUE)).catch(() => null), readFile(join(ortDir, PLAIN_GLUE))]);
  if (built === null || !built.equals(installed)) return `the installed onnxruntime-web (${ortDir}) is not the version the runtime was built with; rebuild it with \`npm run build\``;
  return null;
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

/** Files under `dir`, relative and '/'-separated, sorted (links to files followed). */
export async function listFiles(dir: string, base = dir): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path, base)));
    // Model folders may link shared files (one tokenizer.json for several models): copy what they point to.
    else if (entry.isFile() || (entry.isSymbolicLink() && statSync(path).isFile())) files.push(relative(base, path).split(sep).join('/'));
  }
  return files.sort();
}

/** Fails before any work is done when the runtime was not built, saying how to build it. */
export function checkRuntime(runtimeDir = RUNTIME_DIR): void {
  if (!existsSync(join(runtimeDir, RUNTIME_ENTRY))) {
    throw new SgptError(
      'INTERNAL',
      `the prebuilt browser runtime is missing (${join(runtimeDir, RUNTIME_ENTRY)}): run \`npm run build\` in ${PACKAGE_ROOT}, or pass --no-runtime to write the index only`,
    );
  }
}

/**
 * The runtime's files as writeRuntime writes them (sgpt-search.js, chunks/, ort/): path in the
 * output folder -> the file it is copied from, the entry last. The Vite dev server serves the same.
 */
export async function runtimeFiles({ webgpu = true, runtimeDir = RUNTIME_DIR, ortDir = installedOrtDir(), onWarning, offline = false }: RuntimeOptions = {}): Promise<Map<string, string>> {
  checkRuntime(runtimeDir);
  const files = new Map<string, string>();
  if (webgpu) {
    const problem = await webGpuFiles(runtimeDir, ortDir);
    if (problem === null) for (const file of ASYNCIFY_FILES) files.set(`ort/${file}`, join(ortDir!, file));
    else onWarning?.(`WebGPU's runtime (onnxruntime-web's asyncify build) left out, the element will run on WASM: ${problem}`);
  }
  const runtime = (await listFiles(runtimeDir)).filter((file) => !ASYNCIFY.test(file) && (offline || file !== OFFLINE_RUNTIME));
  for (const file of [...runtime.filter((file) => file !== RUNTIME_ENTRY), RUNTIME_ENTRY]) files.set(file, join(runtimeDir, file));
  return files;
}

/** Copy `files` (path in the output folder -> source file) through it, in their order. Returns bytes. */
async function copyAll(out: OutputDir, files: ReadonlyMap<string, string>): Promise<number> {
  let bytes = 0;
  for (const [to, from] of files) {
    const content = new Uint8Array(await readFile(from));
    await out.put(to, content);
    bytes += content.byteLength;
  }
  return bytes;
}

/**
 * Put the runtime into the output folder (runtimeFiles), the entry last so it never names chunks
 * that are not there yet. Files of an older runtime go when the build is made live, if the
 * previous build owned them. Returns bytes.
 */
export async function writeRuntime(out: OutputDir, options: RuntimeOptions = {}): Promise<number> {
  return copyAll(out, await runtimeFiles(options));
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

/** The model folder's browser files: top-level .json files and onnx/, as the model ships them (int8 or fp32). */
/** The model folder's files a browser reads (its JSON files and onnx/), relative and '/'-separated; refuses a model that is not a local folder. */
export async function modelFiles(source: string): Promise<string[]> {
  checkShippableModel(source);
  return (await listFiles(source)).filter((file) => /^[^/]+\.json$/.test(file) || file.startsWith('onnx/'));
}

/**
 * Where the model goes, relative to the index folder (the manifest's model.url):
 * model/<first 16 hex of the sha256 over its files>/<id>/, a new folder whenever the model changes,
 * so a build never rewrites the model a live manifest names.
 */
export async function shippedModelUrl(source: string, id: string): Promise<string> {
  const hash = createHash('sha256');
  for (const file of await modelFiles(source)) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(source, file)));
  }
  return `model/${hash.digest('hex').slice(0, 16)}/${id}/`;
}

/** Copy the model's browser files to `url` (from shippedModelUrl) in the output folder. Returns bytes. */
export async function writeModel(source: string, out: OutputDir, url: string): Promise<number> {
  return copyAll(out, new Map((await modelFiles(source)).map((file) => [`${url}${file}`, join(source, file)])));
}
