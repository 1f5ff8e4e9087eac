/**
 * `sgpt-search index --offline`: what a site needs to search when opened from disk (`file:`).
 * Every file the browser reads becomes a classic script (src/index/script-files.ts owns the
 * format): the index's files one by one (chunked as over HTTP), the model's files and
 * onnxruntime-web's plain WASM build, plus the list of them and the classic runtime
 * (sgpt-search.offline.js). The HTTP files stay as they are, so the same folder serves both.
 */
import type { OutputDir } from '../index/output-dir';
import { MANIFEST } from '../index/reader';
import { FILE_LIST, scriptPath, scriptText } from '../index/script-files';
import { encodeJson, type Manifest } from '../index/format';

/** onnxruntime-web's plain build, as the runtime ships it (ort/). */
const ORT_FILES = ['ort/ort-wasm-simd-threaded.mjs', 'ort/ort-wasm-simd-threaded.wasm'];

function script(path: string, bytes: Uint8Array): Uint8Array {
  return new TextEncoder().encode(scriptText(path, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')));
}

/**
 * Write the scripts into `out` for the index `built` (its files, read back from `out` one at a
 * time), the model at `modelUrl` (relative to the folder) and the runtime's WASM files, all already
 * put there (staged or in place). Returns the scripts' bytes.
 */
export async function writeOfflineScripts(out: OutputDir, built: { manifest: Manifest; names: readonly string[] }, modelUrl: string): Promise<number> {
  const before = out.total;
  const paths: string[] = [];
  const put = async (path: string, bytes: Uint8Array) => {
    paths.push(path);
    await out.put(scriptPath(path), script(path, bytes));
  };
  const fromDisk = [...built.names, ...out.paths().filter((path) => path.startsWith(modelUrl)).sort(), ...ORT_FILES];
  for (const path of fromDisk) await put(path, await out.read(path));
  // The scripts that name the others are put last, so commit (which places files in the order put)
  // places them after the scripts they name: a build killed during commit never leaves an offline
  // index naming scripts that are not there. The manifest as built: the copy written last also
  // names the files the build owns, which a reader ignores.
  await put(MANIFEST, encodeJson(built.manifest));
  await out.put(scriptPath(FILE_LIST), script(FILE_LIST, encodeJson(paths.sort())));
  return out.total - before;
}
