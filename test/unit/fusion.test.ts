import { describe, expect, it } from 'vitest';
import { hybridFusion, reciprocalRankFusion } from '../../src/search/fusion';

describe('reciprocal-rank fusion', () => {
  it('sums w / (k + rank) over the lists (hand-computed, k = 60)', () => {
    const fused = reciprocalRankFusion([{ ids: ['a', 'b', 'c'] }, { ids: ['c', 'a'], weight: 2 }]);
    // a: 1/61 + 2/62; c: 1/63 + 2/61; b: 1/62
    expect(fused.map((hit) => hit.id)).toEqual(['c', 'a', 'b']);
    expect(fused[0]!.score).toBeCloseTo(1 / 63 + 2 / 61, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 61 + 2 / 62, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / 62, 12);
  });

  it('uses the given k and limit', () => {
    const fused = reciprocalRankFusion([{ ids: [7, 8] }, { ids: [8] }], { k: 0, limit: 1 });
    // 8: 1/2 + 1/1 = 1.5 beats 7: 1/1
    expect(fused).toEqual([{ id: 8, score: 1.5 }]);
  });

  it('breaks ties by best rank, then by id', () => {
    // x and y tie on score (1/61 + 1/62 each); both have best rank 1, so the lower id wins.
    expect(reciprocalRankFusion([{ ids: ['y', 'x'] }, { ids: ['x', 'y'] }]).map((hit) => hit.id)).toEqual(['x', 'y']);
    // An exact tie with different best ranks: p at rank 1 with weight 1 -> 1/61;
    // q at rank 2 of a weight-62/61 list -> (62/61)/62 = 1/61. The better best rank (p) wins.
    const tie = reciprocalRankFusion([{ ids: ['p'] }, { ids: ['a', 'q'], weight: 62 / 61 }]);
    expect(tie.find((hit) => hit.id === 'p')!.score).toBe(tie.find((hit) => hit.id === 'q')!.score);
    expect(tie.map((hit) => hit.id)).toEqual(['a', 'p', 'q']);
    expect(reciprocalRankFusion([{ ids: [10, 9] }, { ids: [9, 10] }]).map((hit) => hit.id)).toEqual([9, 10]);
  });

  it('ignores a repeated id and zero-weight lists', () => {
    expect(reciprocalRankFusion([{ ids: ['a', 'a', 'b'] }])).toEqual([
      { id: 'a', score: 1 / 61 },
      { id: 'b', score: 1 / 62 },
    ]);
    expect(reciprocalRankFusion([{ ids: ['a'], weight: 0 }, { ids: ['b'] }]).map((hit) => hit.id)).toEqual(['b']);
  });

  it('hybrid: weight is the dense share', () => {
    expect(hybridFusion(['k'], ['d'], 0.75).map((hit) => hit.id)).toEqual(['d', 'k']);
    expect(hybridFusion(['k'], ['d'], 0.25).map((hit) => hit.id)).toEqual(['k', 'd']);
    expect(hybridFusion(['k'], ['d'], 1)).toEqual([{ id: 'd', score: 1 / 61 }]);
  });

  it('rejects bad weights and k', () => {
    expect(() => hybridFusion([], [], 1.5)).toThrow(/between 0 and 1/);
    expect(() => reciprocalRankFusion([{ ids: [1], weight: -1 }])).toThrow(/weight/);
    expect(() => reciprocalRankFusion([], { k: Number.NaN })).toThrow(/k must/);
  });
});
