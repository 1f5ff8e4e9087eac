import { beforeAll, describe, expect, it } from 'vitest';
import { decodeCentroids, encodeCentroids } from '../../src/index/format';
import { sphericalKMeans } from '../../src/search/kmeans';
import { autoShards, defaultProbe } from '../../src/index/writer';
import { clusteredData } from '../fixtures/clustered-vectors';
import { sgptThrow } from '../support';

describe('defaultProbe', () => {
  it('reads an eighth of the shards, at least 12 and at most 24, never more than there are', () => {
    expect([1, 2, 11, 12, 40, 96, 97, 120, 156, 192, 193, 440, 1300].map(defaultProbe)).toEqual([1, 2, 11, 12, 12, 12, 13, 15, 20, 24, 24, 24, 24]);
  });
});

describe('autoShards', () => {
  it('makes shards of ~16 KiB of vectors, at least 39 rows each, at most 420 of them (√rows past 176k rows)', () => {
    expect(autoShards(30, 256)).toBe(1);
    expect(autoShards(100, 256)).toBe(2); // 26 KiB, 39 rows each at most
    expect(autoShards(6572, 256)).toBe(106);
    expect(autoShards(80_000, 256)).toBe(420); // 1,289 by size
    expect(autoShards(250_000, 256)).toBe(500); // √rows
  });
});

describe('centroids file (version 7: int8)', () => {
  const dims = 32;
  let centroids: Float32Array = new Float32Array(0);
  beforeAll(async () => {
    ({ centroids } = await sphericalKMeans(clusteredData(400, 1, dims, { clusters: 8 }).vectors, dims, { k: 8 }));
  });

  it('stores a byte per value and a scale per centroid; decoded, each centroid keeps its direction and its nearest rank', () => {
    const bytes = encodeCentroids(centroids, 8, dims);
    expect(bytes.length).toBe(12 + 8 * 4 + 8 * dims);
    const decoded = decodeCentroids('centroids', bytes, 8, dims);
    for (let k = 0; k < 8; k++) {
      const a = centroids.subarray(k * dims, (k + 1) * dims);
      const b = decoded.subarray(k * dims, (k + 1) * dims);
      const dot = a.reduce((sum, x, d) => sum + x * b[d]!, 0);
      const norm = Math.sqrt(b.reduce((sum, x) => sum + x * x, 0));
      expect(dot / norm).toBeGreaterThan(0.9999);
    }
    // The writer codes its shards against these values: encoding them again gives the same bytes.
    expect(encodeCentroids(decoded, 8, dims)).toEqual(bytes);
  });

  it('refuses a float32 file under version 7, a negative or NaN scale, and a wrong length, naming the file', () => {
    const bytes = encodeCentroids(centroids, 8, dims);
    const v6 = new Uint8Array(12 + 4 * 8 * dims);
    v6.set(new TextEncoder().encode('SGC1'));
    v6.set(bytes.subarray(4, 12), 4);
    expect(sgptThrow(() => decodeCentroids('centroids.x.bin', v6, 8, dims)).message).toMatch(/centroids\.x\.bin: expected magic SGC2/);
    expect(decodeCentroids('centroids.x.bin', v6, 8, dims, 6)).toHaveLength(8 * dims);
    const negative = bytes.slice();
    new DataView(negative.buffer).setFloat32(12, -1, true);
    expect(sgptThrow(() => decodeCentroids('centroids.x.bin', negative, 8, dims)).code).toBe('INDEX_INVALID');
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(16, Number.NaN, true);
    expect(sgptThrow(() => decodeCentroids('centroids.x.bin', nan, 8, dims)).message).toMatch(/scale/);
    expect(sgptThrow(() => decodeCentroids('centroids.x.bin', bytes.subarray(0, bytes.length - 1), 8, dims)).message).toMatch(/expected/);
  });
});
