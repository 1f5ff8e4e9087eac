import { describe, expect, it } from 'vitest';
import { dequantize, dotAll, quantize } from '../../src/index/int8';
import { seededRandom } from '../../src/search/kmeans';
import { cosine } from '../support';

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
