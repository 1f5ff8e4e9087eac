/**
 * What a static site needs next to its index to search with one <script> tag: the prebuilt browser
 * runtime (dist/runtime, from `npm run build:runtime`; shipped in the package) and the model the
 * index was built with. Shared by `sgpt-search index` and the Vite plugin (via buildSiteIndex).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { SgptError } from '../errors';
import type { OutputDir } from '../index/node-files';
import { PACKAGE_ROOT, packageFile } from './package-files';

/** The prebuilt runtime, relative to this file: the same place in this repo and in the installed package. */
export const RUNTIME_DIR = packageFile('dist/runtime/');
export const RUNTIME_ENTRY = 'sgpt-search.js';
/** onnxruntime-web's asyncify build (27 MB): only WebGPU needs it (src/worker/runtime.ts). */
const ASYNCIFY = /^ort\/ort-wasm-simd-threaded\.asyncify\./;

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

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path, base)));
    else if (entry.isFile()) files.push(relative(base, path).split(sep).join('/'));
  }
  return files.sort();
}

/** Copy `files` (relative to `from`) to `to` (relative to the output folder) through it. Returns bytes. */
async function copyAll(from: string, out: OutputDir, to: string, files: string[]): Promise<number> {
  let bytes = 0;
  for (const file of files) {
    const content = new Uint8Array(await readFile(join(from, file)));
    await out.put(`${to}${file}`, content);
    bytes += content.byteLength;
  }
  return bytes;
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
 * Put the runtime into the output folder (sgpt-search.js, chunks/, ort/), the entry last so it
 * never names chunks that are not there yet. Files of an older runtime go when the build is made
 * live, if the previous build owned them. Returns bytes.
 */
export async function writeRuntime(out: OutputDir, { webgpu = true, runtimeDir = RUNTIME_DIR }: RuntimeOptions = {}): Promise<number> {
  checkRuntime(runtimeDir);
  const files = (await listFiles(runtimeDir)).filter((file) => webgpu || !ASYNCIFY.test(file));
  const entryLast = [...files.filter((file) => file !== RUNTIME_ENTRY), RUNTIME_ENTRY];
  return copyAll(runtimeDir, out, '', entryLast);
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
async function modelFiles(source: string): Promise<string[]> {
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
  return copyAll(source, out, url, await modelFiles(source));
}
