import { describe, expect, it } from 'vitest';
import { TopK, topK } from '../../src/search/topk';

/** Reference: full sort, higher score first, then lower index. */
function bruteForce(scores: number[], k: number) {
  return scores
    .map((score, index) => ({ index, score }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k);
}

/** Small deterministic PRNG so failures reproduce. */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('topK', () => {
  it('hand-checked: best first, ties by lower index', () => {
    expect(topK([0.1, 0.9, 0.5, 0.9, 0.2], 3)).toEqual([
      { index: 1, score: 0.9 },
      { index: 3, score: 0.9 },
      { index: 2, score: 0.5 },
    ]);
  });

  it('k larger than n returns everything sorted; k = 0 returns nothing', () => {
    expect(topK([1, 3, 2], 10).map((s) => s.index)).toEqual([1, 2, 0]);
    expect(topK([1, 3, 2], 0)).toEqual([]);
    expect(topK([], 5)).toEqual([]);
  });

  it('equals a brute-force sort on random data with many ties', () => {
    const random = lcg(42);
    for (let trial = 0; trial < 200; trial++) {
      const n = Math.floor(random() * 300);
      // few distinct values -> plenty of ties; some trials continuous
      const levels = trial % 2 === 0 ? 5 : 0;
      const scores = Array.from({ length: n }, () => (levels ? Math.floor(random() * levels) / levels : random() * 2 - 1));
      const k = Math.floor(random() * 20);
      expect(topK(scores, k)).toEqual(bruteForce(scores, k));
    }
  });

  it('handles all-equal scores and negative infinity', () => {
    expect(topK([0, 0, 0, 0], 2).map((s) => s.index)).toEqual([0, 1]);
    expect(topK([-Infinity, -1, -Infinity], 3).map((s) => s.index)).toEqual([1, 0, 2]);
  });

  it('rejects NaN scores and bad k', () => {
    expect(() => topK([0.5, Number.NaN], 1)).toThrow(/NaN/);
    expect(() => new TopK(-1)).toThrow(/k must be/);
    expect(() => new TopK(1.5)).toThrow(/k must be/);
  });

  it('the streaming selector accepts indices in any order', () => {
    const selector = new TopK(2);
    for (const [index, score] of [
      [7, 0.5],
      [2, 0.5],
      [9, 0.8],
      [1, 0.1],
    ] as const)
      selector.push(index, score);
    expect(selector.result()).toEqual([
      { index: 9, score: 0.8 },
      { index: 2, score: 0.5 },
    ]);
  });
});
