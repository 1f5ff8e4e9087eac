/**
 * The worker's file store with files handed over (pages opened from disk, RuntimeOptions.files):
 * every file comes from them, a file not given is missing (null, as a 404), and nothing is
 * fetched, not even a file that a server would have.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchStored, provideFiles } from '../../src/worker/file-store';

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
