import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheKey, readCached, writeCached } from '../../src/eval/embedding-cache';

const dir = mkdtempSync(join(tmpdir(), 'emb-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const embeddings = {
  vectors: Float32Array.from([0.6, 0.8, 1, 0, 0, 1]),
  dims: 2,
  rows: 3,
  owner: Int32Array.from([0, 0, 1]),
};

describe('embedding cache', () => {
  it('keys on model, settings and every text', () => {
    const base = { model: 'abc', settings: { mode: 'asymmetric' }, texts: ['a', 'b'] };
    const key = cacheKey(base);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...base })).toBe(key);
    expect(cacheKey({ ...base, model: 'abd' })).not.toBe(key);
    expect(cacheKey({ ...base, settings: { mode: 'symmetric' } })).not.toBe(key);
    expect(cacheKey({ ...base, texts: ['a', 'c'] })).not.toBe(key);
    expect(cacheKey({ ...base, texts: ['ab', ''] })).not.toBe(cacheKey({ ...base, texts: ['a', 'b'] }));
  });

  it('round-trips embeddings and misses cleanly', async () => {
    await writeCached(dir, 'k1', embeddings, 2);
    expect(await readCached(dir, 'k1', 2)).toEqual(embeddings);
    expect(await readCached(dir, 'nothing', 2)).toBeNull();
    expect(await readCached(dir, 'k1', 3)).toBe('damaged'); // written for 2 texts: the key says 3
    expect(readdirSync(join(dir, 'embeddings'))).toEqual(['k1.bin']); // no temp files left
  });

  it('calls a truncated or foreign file damaged, never trusting it', async () => {
    await writeCached(dir, 'k2', embeddings, 2);
    const path = join(dir, 'embeddings', 'k2.bin');
    writeFileSync(path, 'SGPTEMB2 but not really');
    expect(await readCached(dir, 'k2', 2)).toBe('damaged');
    writeFileSync(path, 'something else');
    expect(await readCached(dir, 'k2', 2)).toBe('damaged');
    // No folder to read (XDG_CACHE_HOME naming a file) is a miss, not damage.
    expect(await readCached(join(path, 'below-a-file'), 'k2', 2)).toBeNull();
  });

  it('checks every byte against the key: swapped rows, a copy under another key, NaN or the unchecked first format are damaged', async () => {
    await writeCached(dir, 'k3', embeddings, 2);
    const path = join(dir, 'embeddings', 'k3.bin');
    const good = readFileSync(path);
    // The audit's swap: rows 0 and 2 exchanged left every length and header sound (dense nDCG 1.0 -> 0.5655).
    const swapped = Buffer.from(good);
    const start = good.length - 32 - 3 * 2 * 4 - 3 * 4;
    swapped.copy(swapped, start, start + 16, start + 24);
    good.copy(swapped, start + 16, start, start + 8);
    expect(swapped.equals(good)).toBe(false);
    writeFileSync(path, swapped);
    expect(await readCached(dir, 'k3', 2)).toBe('damaged');
    // Another key's sound file copied under this key's name.
    writeFileSync(join(dir, 'embeddings', 'k4.bin'), good);
    expect(await readCached(dir, 'k4', 2)).toBe('damaged');
    await writeCached(dir, 'k5', { ...embeddings, vectors: Float32Array.from([NaN, 0.8, 1, 0, 0, 1]) }, 2);
    expect(await readCached(dir, 'k5', 2)).toBe('damaged');
    // A first-format file (no checksum) is not trusted.
    const first = Buffer.from(good.subarray(0, good.length - 32));
    first.write('SGPTEMB1', 0, 'latin1');
    writeFileSync(path, first);
    expect(await readCached(dir, 'k3', 2)).toBe('damaged');
    writeFileSync(path, good);
    expect(await readCached(dir, 'k3', 2)).toEqual(embeddings);
  });
});
