/**
 * The one place the worker downloads the model's and the WASM runtime's files (browser edge).
 *
 * - Once per page view: a file is fetched with one plain GET and handed to transformers.js from
 *   memory (as its `customCache`), so transformers.js never fetches it itself. Left to itself it
 *   fetched model.onnx, tokenizer.json and config.json twice from a server that compresses
 *   (no Content-Length): once with a `Range: bytes=0-0` GET to learn the size for its progress
 *   bar, which a plain server answers with the whole file, then again for the body.
 * - Once per browser: files go into the Cache API (by full URL), so a repeat visit reads them from
 *   disk (after a conditional request, when the server gave an ETag or Last-Modified); two workers on one page (two elements) take a Web Lock per URL, so the second waits for
 *   the first's copy instead of downloading its own (where the browser grants locks: see exclusive).
 * - A cache that refuses (quota, private mode) only costs the next visit a download: said once
 *   on the console, never an error.
 * - The WASM runtime is compiled as it streams (`fetchStreamed`): its Response, not its bytes (the
 *   form Chromium may code-cache with the HTTP cache's entry). The HTTP cache keeps it
 *   where the server lets it (validators or a lifetime); only where it cannot does a copy go into
 *   the Cache API (no code cache from there, but no download).
 */

import { concatBytes } from '../index/format';

const CACHE_NAME = 'sgpt-search-files-v1';

export type ByteProgress = (loaded: number, total: number) => void;

let warned = false;
function note(message: string): void {
  if (warned) return;
  warned = true;
  console.warn(`sgpt-search: ${message}`);
}

async function openCache(): Promise<Cache | null> {
  if (typeof caches === 'undefined') {
    // Only secure contexts (https, localhost) have it.
    note("the browser's Cache API is not available on this page (not https?); model files are downloaded on every visit unless the HTTP cache keeps them");
    return null;
  }
  try {
    return await caches.open(CACHE_NAME);
  } catch (error) {
    note(`the browser's Cache API is not available (${String(error)}); model files are downloaded on every visit`);
    return null;
  }
}

/**
 * One holder of `url` at a time across this origin's workers and pages, where Web Locks work.
 * They are missing on plain http and refused (SecurityError) where the browser blocks site data:
 * then the task runs unlocked, since the lock only saves a second tab its own download.
 */
async function exclusive<T>(url: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return task();
  let started = false;
  try {
    return await locks.request(`sgpt-search:${url}`, () => {
      started = true;
      return task();
    });
  } catch (error) {
    if (started) throw error;
    return task();
  }
}

async function readBody(response: Response, onProgress: ByteProgress | undefined): Promise<Uint8Array> {
  if (response.body === null || onProgress === undefined) return new Uint8Array(await response.arrayBuffer());
  const parts: Uint8Array[] = [];
  const loaded = await eachChunk(response, onProgress, (part) => parts.push(part));
  return concatBytes(parts, loaded);
}

/** Reads `response`'s body to its end, `onProgress` told the bytes so far after each chunk (and `use` given it); the bytes read. */
async function eachChunk(response: Response, onProgress: ByteProgress, use?: (part: Uint8Array) => void): Promise<number> {
  // Content-Length is the compressed size when the server compresses: then the total is unknown (0).
  const encoded = response.headers.get('content-encoding');
  const total = encoded && encoded !== 'identity' ? 0 : Number(response.headers.get('content-length') ?? 0);
  const reader = response.body!.getReader();
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return loaded;
    use?.(value);
    loaded += value.length;
    onProgress(loaded, Math.max(total, 0));
  }
}

/** Put a copy of `url` into the Cache API; a refusal only costs the next visit a download. */
async function keep(cache: Cache | null, url: string, bytes: Uint8Array, headers: Record<string, string>): Promise<void> {
  await cache?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers })).catch((error: unknown) => {
    note(`could not keep ${url} in the browser's cache (${String(error)}); it is downloaded again on the next visit`);
  });
}

export interface StoredFile {
  bytes: Uint8Array;
  /** Read from the Cache API (no network). */
  cached: boolean;
}

/**
 * A conditional GET for a kept copy that carries its server's validators (ETag, Last-Modified):
 * the answer when the file changed in place (200), else null (304, or offline: the copy stands).
 * A copy without validators stands as it is: the index build serves models at content-hashed URLs.
 */
async function changedSince(url: string, kept: Response): Promise<Response | null> {
  const etag = kept.headers.get('etag');
  const modified = kept.headers.get('last-modified');
  if (etag === null && modified === null) return null;
  try {
    const headers: Record<string, string> = {};
    if (etag !== null) headers['if-none-match'] = etag;
    if (modified !== null) headers['if-modified-since'] = modified;
    const response = await fetch(url, { cache: 'no-store', headers });
    return response.status === 200 ? response : null;
  } catch {
    return null;
  }
}

/** Whether `url` is kept in the Cache API, so that loading it downloads nothing (a repeat visit). */
export async function isStored(url: string): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  try {
    return (await (await caches.open(CACHE_NAME)).match(url)) !== undefined;
  } catch {
    return false;
  }
}

/** Files handed over with the load (pages opened from disk, RuntimeOptions.files); null: fetch them. */
let provided: Map<string, Uint8Array> | null = null;

/** From now on every file comes from `files` and nothing is fetched: a file not given is missing. */
export function provideFiles(files: Record<string, Uint8Array>): void {
  provided = new Map(Object.entries(files));
}

/**
 * The file at `url`, from the Cache API (revalidated when its server gave validators) or else
 * downloaded once and kept there; null for a 404 (optional files). Other HTTP failures throw.
 */
export async function fetchStored(url: string, onProgress?: ByteProgress): Promise<StoredFile | null> {
  if (provided !== null) {
    const bytes = provided.get(url);
    if (bytes === undefined) return null;
    onProgress?.(bytes.length, bytes.length);
    return { bytes, cached: true };
  }
  return exclusive(url, async () => {
    const cache = await openCache();
    const hit = await cache?.match(url).catch(() => undefined);
    const response = hit === undefined ? await fetch(url) : await changedSince(url, hit);
    if (response === null) {
      const bytes = new Uint8Array(await hit!.arrayBuffer());
      onProgress?.(bytes.length, bytes.length);
      return { bytes, cached: true };
    }
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText} for "${url}"`.trim());
    const bytes = await readBody(response, onProgress);
    const headers: Record<string, string> = { 'content-type': response.headers.get('content-type') ?? 'application/octet-stream', 'content-length': String(bytes.length) };
    for (const name of ['etag', 'last-modified']) {
      const value = response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    await keep(cache, url, bytes, headers);
    return { bytes, cached: false };
  });
}

/**
 * Whether the HTTP cache can serve a response with these headers on a later visit without its body
 * coming again: it may store it, and it can revalidate it (ETag, Last-Modified) or it stays fresh
 * for a while (max-age, Expires).
 */
export function httpReusable(headers: Headers): boolean {
  const control = (headers.get('cache-control') ?? '').toLowerCase();
  if (/(^|[\s,])no-store\b/.test(control)) return false;
  if (headers.has('etag') || headers.has('last-modified') || headers.has('expires')) return true;
  const maxAge = /(^|[\s,])(s-)?max-age=(\d+)/.exec(control);
  return maxAge !== null && Number(maxAge[3]) > 0;
}

/**
 * The Response of `url` for a streaming compile, its body untouched (read from a clone for the
 * progress): through the HTTP cache, or from the Cache API where a copy is kept because the
 * server gives nothing the HTTP cache could reuse (then one is kept here once it is read). A 404 is
 * returned as it is; the caller says what was missing. The URL's lock is held until the body is
 * in, so a second worker finds the kept copy (or the HTTP cache's entry) instead of downloading.
 */
export function fetchStreamed(url: string, onProgress?: ByteProgress): Promise<Response> {
  return new Promise((resolve, reject) => {
    exclusive(url, async () => {
      const cache = await openCache();
      const kept = await cache?.match(url).catch(() => undefined);
      if (kept !== undefined) {
        if (!httpReusable(kept.headers)) {
          const length = Number(kept.headers.get('content-length') ?? 0);
          onProgress?.(length, length);
          return resolve(kept);
        }
        // A copy an older version kept of a file the HTTP cache serves (with its compiled code).
        await cache!.delete(url).catch(() => false);
      }
      const response = await fetch(url);
      resolve(response);
      if (!response.ok) return;
      // A failed read is the compile's to report: it reads the same body.
      if (httpReusable(response.headers)) {
        // The HTTP cache keeps it: its bytes are only counted, for the progress bar (gathering them
        // cost a 14 MB copy on every page view, thrown away).
        if (onProgress !== undefined && response.body !== null) await eachChunk(response.clone(), onProgress).catch(() => 0);
        return;
      }
      const bytes = await readBody(response.clone(), onProgress).catch(() => null);
      const headers = { 'content-type': response.headers.get('content-type') ?? 'application/wasm', 'content-length': String(bytes?.length ?? 0) };
      if (bytes !== null) await keep(cache, url, bytes, headers);
    }).catch(reject);
  });
}
