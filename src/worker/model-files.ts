/**
 * transformers.js' `customCache` in the worker: every model file it asks for comes from
 * fetchStored (one download per page view, the Cache API on repeat visits), so it never fetches a
 * file itself. A `FolderWatch` sums a load's download progress and computes the model's identity
 * hash (manifest `model.hash`) from the files it actually loaded.
 */
import { modelContentHash, sha256Hex } from '../index/format';
import { once } from '../index/reader';
import { fetchStored, type ByteProgress } from './file-store';

interface Watch {
  folder: string;
  files: Map<string, { loaded: number; total: number }>;
  digests: Map<string, Promise<string>>;
  onProgress: ByteProgress | undefined;
}

const watches = new Set<Watch>();
/** Each file once per worker, also when transformers.js asks for it again (config.json is read by config, tokenizer and model). */
const served = new Map<string, Promise<Uint8Array | null>>();

function watching(url: string): Watch | undefined {
  for (const watch of watches) if (url.startsWith(watch.folder)) return watch;
  return undefined;
}

function report(watch: Watch, url: string, loaded: number, total: number): void {
  watch.files.set(url, { loaded, total });
  let sumLoaded = 0;
  let sumTotal = 0;
  let known = true;
  for (const file of watch.files.values()) {
    sumLoaded += file.loaded;
    sumTotal += file.total;
    if (file.total === 0) known = false;
  }
  watch.onProgress?.(sumLoaded, known ? sumTotal : 0);
}

/** The CacheInterface transformers.js calls (match, put); keys are the files' full URLs. */
export const modelFileCache = {
  async match(key: string): Promise<Response | undefined> {
    if (!/^https?:\/\//.test(key)) return undefined; // transformers.js also asks for local paths: never ours
    // A failed download is forgotten: the next load tries again.
    const bytes = await once(served, key, () => {
      const watch = watching(key);
      return fetchStored(key, watch ? (loaded, total) => report(watch, key, loaded, total) : undefined).then((stored) => stored?.bytes ?? null);
    });
    if (bytes === null) return undefined; // a 404: transformers.js decides whether the file was optional
    const watch = watching(key);
    const name = watch ? key.slice(watch.folder.length) : key;
    if (watch && !watch.digests.has(name) && (name === 'config.json' || name.endsWith('.onnx'))) watch.digests.set(name, sha256Hex(bytes));
    return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-length': String(bytes.length) } });
  },
  async put(): Promise<void> {
    // fetchStored keeps the files already.
  },
};

export interface FolderWatch {
  /** modelContentHash of the files loaded from the folder so far. */
  hash(): Promise<string>;
  /** The progress callback of another file (e.g. the WASM runtime), counted with the model's. */
  track(url: string): ByteProgress;
  close(): void;
}

/** Watch the files loaded from `folder` (a URL ending in "/"): summed progress, then their hash. */
export function watchFolder(folder: string, onProgress?: ByteProgress): FolderWatch {
  const watch: Watch = { folder, files: new Map(), digests: new Map(), onProgress };
  watches.add(watch);
  return {
    async hash() {
      const digests = new Map<string, string>();
      for (const [name, digest] of watch.digests) digests.set(name, await digest);
      return modelContentHash(digests);
    },
    track(url) {
      return (loaded, total) => report(watch, url, loaded, total);
    },
    close() {
      watches.delete(watch);
      // transformers.js has the bytes by now: do not keep a second copy of the weights alive.
      for (const url of served.keys()) if (url.startsWith(folder)) served.delete(url);
    },
  };
}
