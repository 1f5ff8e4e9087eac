import { describe, expect, it } from 'vitest';
import { deflateRawSync } from 'node:zlib';
import { decodeShard, encodeShard } from '../../src/index/format';
import { dequantize, dotAll, predictedCode, predictionFactor, projectionCoefficient, quantize } from '../../src/index/int8';
import { seededRandom } from '../../src/search/kmeans';
import { cosine, sgptThrow } from '../support';

function unitRows(rows: number, dims: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const v = new Float32Array(rows * dims);
  for (let r = 0; r < rows; r++) {
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      // Heavy-tailed values, like transformer hidden states with a few outlier dimensions.
      const x = (random() - 0.5) * (d % 17 === 0 ? 20 : 1);
      v[r * dims + d] = x;
      norm += x * x;
    }
    for (let d = 0; d < dims; d++) v[r * dims + d]! /= Math.sqrt(norm);
  }
  return v;
}


describe('int8 quantisation', () => {
  it('matches hand-computed codes and scale', () => {
    const q = quantize(Float32Array.from([0.5, -1, 0.25, 0, 0, 0]), 3);
    expect(Array.from(q.codes)).toEqual([64, -127, 32, 0, 0, 0]); // 0.5 / (1/127) = 63.5 rounds to 64
    expect(q.scales[0]).toBeCloseTo(1 / 127, 7);
    expect(q.scales[1]).toBe(0); // an all-zero row stays zero
    expect(Array.from(dequantize(q, 3).slice(3))).toEqual([0, 0, 0]);
  });

  it('round-trips every row with cosine ≥ 0.999 against float32', () => {
    for (const dims of [64, 256, 768]) {
      const v = unitRows(200, dims, dims);
      const back = dequantize(quantize(v, dims), dims);
      for (let r = 0; r < 200; r++) {
        expect(cosine(v.subarray(r * dims, (r + 1) * dims), back.subarray(r * dims, (r + 1) * dims))).toBeGreaterThanOrEqual(0.999);
      }
    }
  });

  it('scores a query against int8 rows like float32 dot products', () => {
    const dims = 64;
    const v = unitRows(50, dims, 7);
    const query = unitRows(1, dims, 8);
    const scores = dotAll(query, quantize(v, dims), dims);
    for (let r = 0; r < 50; r++) {
      let exact = 0;
      for (let d = 0; d < dims; d++) exact += v[r * dims + d]! * query[d]!;
      expect(Math.abs(scores[r]! - exact)).toBeLessThan(0.01);
    }
  });

  it('refuses a vector array that is not whole rows', () => {
    expect(() => quantize(new Float32Array(5), 2)).toThrow(/multiple of dims/);
  });
});

describe('shard rows stored against their centroid (format 6)', () => {
  const dims = 48;
  /** Rows near one direction, as an IVF shard's are, and that direction. */
  function cluster(rows: number): { v: Float32Array; centroid: Float32Array } {
    const centroid = unitRows(1, dims, 11);
    const noise = unitRows(rows, dims, 12);
    const v = new Float32Array(rows * dims);
    for (let r = 0; r < rows; r++) {
      let norm = 0;
      for (let d = 0; d < dims; d++) norm += (v[r * dims + d] = 0.8 * centroid[d]! + 0.6 * noise[r * dims + d]!) ** 2;
      for (let d = 0; d < dims; d++) v[r * dims + d]! /= Math.sqrt(norm);
    }
    return { v, centroid };
  }
  const shardOf = (v: Float32Array, rows: number) => ({ rows, dims, owner: Int32Array.from({ length: rows }, (_, r) => r), window: new Uint16Array(rows), ...quantize(v, dims) });

  it('decodes to exactly the codes written, with or without a centroid, and names a mismatch of layout', () => {
    const { v, centroid } = cluster(40);
    const shard = shardOf(v, 40);
    for (const c of [centroid, null]) {
      const decoded = decodeShard('vectors-0.bin', encodeShard(shard, c), dims, 40, 6, c);
      expect(decoded.codes).toEqual(shard.codes);
      expect(decoded.scales).toEqual(shard.scales);
      expect(Array.from(decoded.owner)).toEqual(Array.from(shard.owner));
    }
    // An all-zero row (scale 0) and extreme codes wrap back exactly.
    const edge = shardOf(Float32Array.from({ length: 2 * dims }, (_, i) => (i < dims ? 0 : i % 2 ? 1 : -1)), 2);
    expect(decodeShard('v', encodeShard(edge, centroid), dims, 2, 6, centroid).codes).toEqual(edge.codes);
    expect(sgptThrow(() => decodeShard('vectors-0.bin', encodeShard(shard, centroid), dims, 40, 5)).message).toMatch(/expected magic SGV2, found "SGV3"/);
  });

  it('leaves deflate less to store than the plain codes', () => {
    const { v, centroid } = cluster(200);
    const shard = shardOf(v, 200);
    expect(deflateRawSync(encodeShard(shard, centroid)).length).toBeLessThan(0.98 * deflateRawSync(encodeShard(shard, null)).length) // 0.97 × on these rows, 0.94 × on the Python docs;
    expect(projectionCoefficient(shard.codes, 0, shard.scales[0]!, centroid)).toBeGreaterThan(60); // ≈ 127 × 0.8 projection
    expect(predictedCode(predictionFactor(0, 0.01), 0.5)).toBe(0);
    expect(predictedCode(predictionFactor(127, 0.001), 0.5)).toBe(127); // clamped
    expect(predictedCode(predictionFactor(127, 0.01), -0.5)).toBe(-50);
    expect(predictionFactor(64, 0)).toBe(0); // an all-zero row
  });
});
