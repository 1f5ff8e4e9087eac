import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(await readCached(dir, 'k1', 3)).toBeNull(); // written for 2 texts
    expect(readdirSync(join(dir, 'embeddings'))).toEqual(['k1.bin']); // no temp files left
  });

  it('ignores a truncated or foreign file', async () => {
    await writeCached(dir, 'k2', embeddings, 2);
    const path = join(dir, 'embeddings', 'k2.bin');
    writeFileSync(path, 'SGPTEMB1 but not really');
    expect(await readCached(dir, 'k2', 2)).toBeNull();
    writeFileSync(path, 'something else');
    expect(await readCached(dir, 'k2', 2)).toBeNull();
  });
});
