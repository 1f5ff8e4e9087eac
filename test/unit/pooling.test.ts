import { describe, expect, it } from 'vitest';
import { weightedMeanPool } from '../../src/embed/pooling';

function expectClose(actual: Float32Array, expected: number[]) {
  expect(actual.length).toBe(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, 6));
}

describe('weightedMeanPool', () => {
  it('weights the i-th token by i and L2-normalises (hand-computed)', () => {
    // tokens (1,0), (0,1), (1,1) with weights 1,2,3: sum = (1+3, 2+3) = (4,5); /6 -> direction (4,5)
    const hidden = new Float32Array([1, 0, 0, 1, 1, 1]);
    const norm = Math.sqrt(41);
    expectClose(weightedMeanPool(hidden, [1, 1, 1], 1, 3, 2), [4 / norm, 5 / norm]);
  });

  it('ignores right padding: weights 1..n over real tokens only', () => {
    // row 0: (3,0),(0,4) w 1,2 -> (3,8); row 1: (1,2), pad (100,100), pad
    const hidden = new Float32Array([3, 0, 0, 4, 9, 9, 1, 2, 100, 100, 100, 100]);
    const out = weightedMeanPool(hidden, [1, 1, 0, 1, 0, 0], 2, 3, 2);
    expectClose(out, [3 / Math.sqrt(73), 8 / Math.sqrt(73), 1 / Math.sqrt(5), 2 / Math.sqrt(5)]);
  });

  it('left padding with cumsum weights gives the same vector as right padding', () => {
    const tokens = [0.5, -1, 2, 0.25, -0.75, 1.5]; // three tokens of dims 2
    const right = new Float32Array([...tokens, 7, 7]);
    const left = new Float32Array([7, 7, ...tokens]);
    const a = weightedMeanPool(right, [1, 1, 1, 0], 1, 4, 2);
    const b = weightedMeanPool(left, [0, 1, 1, 1], 1, 4, 2);
    expectClose(b, [...a]);
    // arange weights under left padding would weight the tokens 2,3,4 instead: a different vector
    const arange = [0, 1, 2].map((t) => (t + 2) * tokens[2 * t]!).reduce((s, v) => s + v, 0);
    const cumsum = [0, 1, 2].map((t) => (t + 1) * tokens[2 * t]!).reduce((s, v) => s + v, 0);
    expect(arange).not.toBeCloseTo(cumsum, 3);
  });

  it('pools bracket tokens like any other: the closing bracket gets the largest weight', () => {
    // [ (1,0)  text (0,0)  ] (0,1): weights 1,2,3 -> (1,3)
    const hidden = new Float32Array([1, 0, 0, 0, 0, 1]);
    expectClose(weightedMeanPool(hidden, [1, 1, 1], 1, 3, 2), [1 / Math.sqrt(10), 3 / Math.sqrt(10)]);
  });

  it('a single token is returned normalised', () => {
    expectClose(weightedMeanPool(new Float32Array([3, 4]), [1], 1, 1, 2), [0.6, 0.8]);
  });

  it('every row has unit length', () => {
    const hidden = Float32Array.from({ length: 4 * 5 * 3 }, (_, i) => Math.sin(i));
    const out = weightedMeanPool(hidden, [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0], 4, 5, 3);
    for (let r = 0; r < 4; r++) {
      const row = out.subarray(r * 3, r * 3 + 3);
      expect(Math.hypot(...row)).toBeCloseTo(1, 6);
    }
  });

  it('four tokens per pass gives the plain one-token-at-a-time sum (rows of every length mod 4, padding on both sides)', () => {
    const [batch, seqLen, dims] = [9, 23, 7];
    const hidden = Float32Array.from({ length: batch * seqLen * dims }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
    const mask = Array.from({ length: batch * seqLen }, (_, i) => {
      const [b, t] = [Math.floor(i / seqLen), i % seqLen];
      return t >= b % 3 && t < seqLen - b ? 1 : 0;
    });
    const plain: number[] = [];
    for (let b = 0; b < batch; b++) {
      const sum = new Array<number>(dims).fill(0);
      let [weight, total] = [0, 0];
      for (let t = 0; t < seqLen; t++) {
        if (!mask[b * seqLen + t]) continue;
        total += ++weight;
        for (let d = 0; d < dims; d++) sum[d]! += weight * hidden[(b * seqLen + t) * dims + d]!;
      }
      const norm = Math.hypot(...sum.map((v) => v / total));
      plain.push(...sum.map((v) => v / total / norm));
    }
    const pooled = weightedMeanPool(hidden, mask, batch, seqLen, dims);
    plain.forEach((value, i) => expect(Math.abs(pooled[i]! - value)).toBeLessThan(1e-7));
  });

  it('rejects an all-padding row and mismatched shapes', () => {
    expect(() => weightedMeanPool(new Float32Array(4), [0, 0], 1, 2, 2)).toThrow(/no tokens/);
    expect(() => weightedMeanPool(new Float32Array(3), [1, 1], 1, 2, 2)).toThrow(/shapes/);
  });
});
