/**
 * The worker's file store with files handed over (pages opened from disk, RuntimeOptions.files):
 * every file comes from them, a file not given is missing (null, as a 404), and nothing is
 * fetched, not even a file that a server would have.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as format from '../../src/index/format';
import { fetchStored, fetchStreamed, httpReusable, provideFiles } from '../../src/worker/file-store';

vi.mock('../../src/index/format', async (original) => {
  const actual = await original<typeof import('../../src/index/format')>();
  return { ...actual, concatBytes: vi.fn(actual.concatBytes) };
});

afterEach(() => vi.unstubAllGlobals());

describe('fetchStored with files handed over', () => {
  it('serves the given bytes with their progress, answers missing for the rest, and never fetches', async () => {
    const fetch = vi.fn(async () => new Response('from the network'));
    vi.stubGlobal('fetch', fetch);
    const config = new Uint8Array([123, 125]);
    provideFiles({ 'https://sgpt-search.invalid/model/m/config.json': config });
    const progress: Array<[number, number]> = [];
    const stored = await fetchStored('https://sgpt-search.invalid/model/m/config.json', (loaded, total) => progress.push([loaded, total]));
    expect(stored).toEqual({ bytes: config, cached: true });
    expect(progress).toEqual([[2, 2]]);
    expect(await fetchStored('https://sgpt-search.invalid/model/m/generation_config.json')).toBeNull();
    expect(await fetchStored('file:///site/sgpt/ort/ort-wasm-simd-threaded.wasm')).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });
});

describe('httpReusable: whether the HTTP cache serves the file again', () => {
  it.each([
    [{ etag: '"x"' }, true],
    [{ 'last-modified': 'Tue, 01 Dec 2026 06:00:00 GMT' }, true],
    [{ 'cache-control': 'public, max-age=31536000, immutable' }, true],
    [{ expires: 'Wed, 01 Dec 2027 06:00:00 GMT' }, true],
    [{ 'cache-control': 'max-age=0' }, false],
    [{ 'cache-control': 'no-store', etag: '"x"' }, false],
    [{ 'cache-control': 'no-cache' }, false],
    [{}, false],
  ])('%j: %s', (headers, reusable) => {
    expect(httpReusable(new Headers(headers))).toBe(reusable);
  });
});

/** A Cache API over a Map, enough for file-store (open, match, put, delete). */
function memoryCaches() {
  const entries = new Map<string, { body: ArrayBuffer; headers: Headers }>();
  const cache = {
    async match(url: string) {
      const entry = entries.get(url);
      return entry && new Response(entry.body.slice(0), { headers: entry.headers });
    },
    async put(url: string, response: Response) {
      entries.set(url, { body: await response.arrayBuffer(), headers: response.headers });
    },
    async delete(url: string) {
      return entries.delete(url);
    },
  };
  return { entries, caches: { open: async () => cache } };
}

describe('fetchStreamed: the WASM runtime as a Response, for a streaming (code-cached) compile', () => {
  const URL_ = 'https://sgpt-search.invalid/ort/ort-wasm-simd-threaded.wasm';
  const body = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

  it('hands over the fetched Response itself when the HTTP cache can keep it, and keeps no copy', async () => {
    const { entries, caches } = memoryCaches();
    vi.stubGlobal('caches', caches);
    const served = new Response(body, { headers: { 'content-type': 'application/wasm', etag: '"w1"', 'content-length': String(body.length) } });
    vi.stubGlobal('fetch', vi.fn(async () => served));
    const progress: Array<[number, number]> = [];
    const response = await fetchStreamed(URL_, (loaded, total) => progress.push([loaded, total]));
    expect(response).toBe(served);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(body);
    await vi.waitFor(() => expect(progress.at(-1)).toEqual([8, 8]));
    expect(entries.size).toBe(0);
    // Its bytes were only counted for the progress bar, never gathered (a 14 MB copy a page view).
    expect(format.concatBytes).not.toHaveBeenCalled();
  });

  it('reads no second copy of the body when nobody listens for progress and the HTTP cache keeps it', async () => {
    const { caches } = memoryCaches();
    vi.stubGlobal('caches', caches);
    const served = new Response(body, { headers: { 'content-type': 'application/wasm', etag: '"w1"' } });
    const clone = vi.spyOn(served, 'clone');
    vi.stubGlobal('fetch', vi.fn(async () => served));
    expect(new Uint8Array(await (await fetchStreamed(URL_)).arrayBuffer())).toEqual(body);
    expect(clone).not.toHaveBeenCalled();
  });

  it('keeps a copy in the Cache API when the server gives nothing to revalidate, and serves it next time without a request', async () => {
    const { entries, caches } = memoryCaches();
    vi.stubGlobal('caches', caches);
    const fetch = vi.fn(async () => new Response(body, { headers: { 'content-type': 'application/wasm' } }));
    vi.stubGlobal('fetch', fetch);
    await (await fetchStreamed(URL_)).arrayBuffer();
    await vi.waitFor(() => expect(entries.has(URL_)).toBe(true));
    const progress: Array<[number, number]> = [];
    const kept = await fetchStreamed(URL_, (loaded, total) => progress.push([loaded, total]));
    expect(new Uint8Array(await kept.arrayBuffer())).toEqual(body);
    expect(kept.headers.get('content-type')).toBe('application/wasm');
    expect(progress).toEqual([[8, 8]]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('drops a copy that an older version kept of a file with validators (the HTTP cache serves it), and returns a 404 as it is', async () => {
    const { entries, caches } = memoryCaches();
    vi.stubGlobal('caches', caches);
    entries.set(URL_, { body: body.buffer.slice(0), headers: new Headers({ 'content-type': 'application/wasm', etag: '"old"' }) });
    const fetch = vi.fn(async () => new Response(body, { headers: { 'content-type': 'application/wasm', etag: '"w1"' } }));
    vi.stubGlobal('fetch', fetch);
    await (await fetchStreamed(URL_)).arrayBuffer();
    expect(fetch).toHaveBeenCalledTimes(1);
    await vi.waitFor(() => expect(entries.has(URL_)).toBe(false));
    vi.stubGlobal('fetch', vi.fn(async () => new Response('missing', { status: 404 })));
    expect((await fetchStreamed(`${URL_}.gone`)).status).toBe(404);
  });
});

describe('Web Locks, which only dedupe downloads across tabs', () => {
  const URL_ = 'https://sgpt-search.invalid/ort/ort-wasm-simd-threaded.wasm';

  it('a refused lock (a browser that blocks site data: SecurityError) still fetches the file, unlocked', async () => {
    const request = vi.fn(async () => {
      throw new DOMException('The request was denied.', 'SecurityError');
    });
    vi.stubGlobal('navigator', { locks: { request } });
    vi.stubGlobal('caches', memoryCaches().caches);
    const fetch = vi.fn(async () => new Response('wasm', { headers: { 'content-type': 'application/wasm', etag: '"w"' } }));
    vi.stubGlobal('fetch', fetch);
    expect(await (await fetchStreamed(URL_)).text()).toBe('wasm');
    expect(request).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('a failure inside the lock is the caller’s, not a reason to run it again unlocked', async () => {
    vi.stubGlobal('navigator', { locks: { request: async (_name: string, task: () => Promise<unknown>) => task() } });
    vi.stubGlobal('caches', memoryCaches().caches);
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    vi.stubGlobal('fetch', fetch);
    await expect(fetchStreamed(URL_)).rejects.toThrow('Failed to fetch');
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
