import { describe, expect, it } from 'vitest';
import { defaultModelSource } from '../../src/build/default-model';
import { modelFolderHash } from '../../src/index/model-ref';
import { FITTED_FUSION } from '../../src/search/fusion-fit';
import {
  DEFAULT_FIXED_WEIGHT,
  DEFAULT_FUSION,
  FUSION_METHODS,
  FUSION_SIGNALS,
  adaptiveWeight,
  checkCoefficients,
  convexCombination,
  fixedWeight,
  fuseHybrid,
  fusionSignals,
  hybridConvexFusion,
  hybridFusion,
  reciprocalRankFusion,
  resolveFusion,
} from '../../src/search/fusion';
import type { Bm25Result } from '../../src/search/bm25';
import { fuseRanking } from '../../src/search/ranking';

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

describe('convex combination', () => {
  it('sums weighted min-max normalised scores; a missing document is at the list floor (hand-computed)', () => {
    // keyword: a 10 -> 1, b 6 -> 0.5, c 2 -> 0; dense: c 0.9 -> 1, d 0.5 -> 0.5, a 0.1 -> 0
    const keyword = [
      { id: 'a', score: 10 },
      { id: 'b', score: 6 },
      { id: 'c', score: 2 },
    ];
    const dense = [
      { id: 'c', score: 0.9 },
      { id: 'd', score: 0.5 },
      { id: 'a', score: 0.1 },
    ];
    // w = 0.25: a 0.75·1 + 0.25·0 = 0.75; b 0.75·0.5 = 0.375; c 0 + 0.25·1 = 0.25; d 0.25·0.5 = 0.125
    const fused = hybridConvexFusion(keyword, dense, 0.25);
    expect(fused.map((hit) => hit.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(fused.map((hit) => hit.score)).toEqual([0.75, 0.375, 0.25, 0.125]);
    // w = 0.75: c 0.75; d 0.375; a 0.25; b 0.125
    expect(hybridConvexFusion(keyword, dense, 0.75).map((hit) => [hit.id, hit.score])).toEqual([
      ['c', 0.75],
      ['d', 0.375],
      ['a', 0.25],
      ['b', 0.125],
    ]);
  });

  it('keeps score gaps that ranks lose: a confident first hit beats a near tie', () => {
    const keyword = [
      { id: 'x', score: 20 },
      { id: 'y', score: 2 },
      { id: 'z', score: 0 },
    ];
    const dense = [
      { id: 'y', score: 0.51 },
      { id: 'x', score: 0.5 },
      { id: 'z', score: 0 },
    ];
    // RRF at equal weights ties x and y (ranks 1 and 2 each); convex: x 1 + 0.5/0.51 ≈ 1.98 beats y 0.1 + 1
    expect(convexCombination([{ items: keyword }, { items: dense }])[0]!.id).toBe('x');
    expect(convexCombination([{ items: keyword }, { items: dense }])[0]!.score).toBeCloseTo(1 + 0.5 / 0.51, 12);
  });

  it('maps a list of equal scores to 1, ignores repeats and zero-weight lists, applies the limit', () => {
    expect(convexCombination([{ items: [{ id: 1, score: 3 }] }, { items: [{ id: 2, score: 5 }, { id: 3, score: 5 }], weight: 0.5 }])).toEqual([
      { id: 1, score: 1 },
      { id: 2, score: 0.5 },
      { id: 3, score: 0.5 },
    ]);
    expect(convexCombination([{ items: [{ id: 'a', score: 4 }, { id: 'a', score: 9 }, { id: 'b', score: 2 }] }])).toEqual([
      { id: 'a', score: 1 },
      { id: 'b', score: 0 },
    ]);
    expect(hybridConvexFusion([{ id: 'k', score: 1 }], [{ id: 'd', score: 1 }], 0)).toEqual([{ id: 'k', score: 1 }]);
    expect(hybridConvexFusion([{ id: 'k', score: 1 }], [{ id: 'd', score: 1 }], 0.5, { limit: 1 })).toEqual([{ id: 'd', score: 0.5 }]);
  });

  it("runs a list from its floor when it says what a missing document scores: a complete keyword list's last hit keeps its share (hand-computed)", () => {
    // Two keyword hits, every match (BM25: the rest score 0): a 8 -> 1, b 4 -> 0.5 from the floor 0, not 0 from the list's last.
    const keyword = [
      { id: 'a', score: 8 },
      { id: 'b', score: 4 },
    ];
    const dense = [
      { id: 'c', score: 0.9 },
      { id: 'd', score: 0.8 },
      { id: 'b', score: 0.5 },
    ];
    // w = 0.45, dense (min-max) c 1, d 0.75, b 0: a 0.55, c 0.45, d 0.3375, b 0.55·0.5 = 0.275.
    const rounded = (hits: Array<{ id: string; score: number }>) => hits.map((hit) => [hit.id, Number(hit.score.toFixed(12))]);
    expect(rounded(hybridConvexFusion(keyword, dense, 0.45, { keywordFloor: 0 }))).toEqual([
      ['a', 0.55],
      ['c', 0.45],
      ['d', 0.3375],
      ['b', 0.275],
    ]);
    // Without it b is at the keyword list's own floor, and the dense list's: last, at 0.
    expect(rounded(hybridConvexFusion(keyword, dense, 0.45))).toEqual([
      ['a', 0.55],
      ['c', 0.45],
      ['d', 0.3375],
      ['b', 0],
    ]);
    // A floor above the list's scores changes nothing: min is the lower of the two.
    expect(convexCombination([{ items: keyword, floor: 5 }])).toEqual([
      { id: 'a', score: 1 },
      { id: 'b', score: 0 },
    ]);
    // One hit with a floor under it is a 1, as without.
    expect(convexCombination([{ items: [{ id: 'a', score: 3 }], floor: 0 }])).toEqual([{ id: 'a', score: 1 }]);
  });

  it('the product ranking reads a keyword result shorter than the depth it asked for as every match (floor 0), a full one as cut', () => {
    const keyword = { hits: [{ index: 0, score: 8 }, { index: 1, score: 4 }], corrections: [] } as unknown as Bm25Result;
    const dense = [
      { id: 1, score: 0.9 },
      { id: 2, score: 0.5 },
    ];
    const fused = (limit: number) => fuseRanking('q', keyword, dense, { method: 'convex', semanticWeight: 0.45 }, limit).map((hit) => [hit.id, Number(hit.score.toFixed(12))]);
    // 2 of 100 asked for, complete: 1 is 0.55·0.5 + 0.45·1 = 0.725, before 0 at 0.55.
    expect(fused(100)).toEqual([
      [1, 0.725],
      [0, 0.55],
      [2, 0],
    ]);
    // 2 of 2, maybe cut: 1 at the keyword list's own floor, 0.45.
    expect(fused(2)).toEqual([
      [0, 0.55],
      [1, 0.45],
    ]);
    // Hits of a misspelled word's corrections are guesses: min-max, as a cut list.
    const guessed = { ...keyword, corrections: ['lock'] } as Bm25Result;
    expect(fuseRanking('q', guessed, dense, { method: 'convex', semanticWeight: 0.45 }, 100).map((hit) => [hit.id, Number(hit.score.toFixed(12))])).toEqual([
      [0, 0.55],
      [1, 0.45],
      [2, 0],
    ]);
  });

  it('rejects bad weights and scores', () => {
    expect(() => hybridConvexFusion([], [], -0.1)).toThrow(/between 0 and 1/);
    expect(() => convexCombination([{ items: [], weight: Number.NaN }])).toThrow(/weight/);
    expect(() => convexCombination([{ items: [{ id: 'a', score: Number.NaN }] }])).toThrow(/finite/);
  });
});

describe('fuseHybrid', () => {
  const keyword = [
    { id: 'k', score: 9 },
    { id: 'both', score: 1 },
  ];
  const dense = [
    { id: 'both', score: 0.8 },
    { id: 'd', score: 0.2 },
  ];

  it('dispatches on the fusion method', () => {
    expect(fuseHybrid(keyword, dense, { method: 'rrf', semanticWeight: 0.3 })).toEqual(hybridFusion(['k', 'both'], ['both', 'd'], 0.3));
    expect(fuseHybrid(keyword, dense, { method: 'convex', semanticWeight: 0.3 })).toEqual(hybridConvexFusion(keyword, dense, 0.3));
  });

  it('has a valid product default', () => {
    expect(FUSION_METHODS).toContain(DEFAULT_FUSION.method);
    if (DEFAULT_FUSION.method === 'adaptive') checkCoefficients(DEFAULT_FUSION.coefficients);
    else expect(DEFAULT_FUSION.semanticWeight >= 0 && DEFAULT_FUSION.semanticWeight <= 1).toBe(true);
  });

  it('was fitted for the bundled default model (after changing the model, refit: scripts/fit-fusion.ts --write)', async () => {
    expect(FITTED_FUSION.modelHash).toBe(await modelFolderHash(defaultModelSource()));
  });
});

describe('adaptive fusion', () => {
  const keyword = Array.from({ length: 12 }, (_, i) => ({ id: `k${i}`, score: 12 - i })); // 12 … 1
  const dense = [{ id: 'k0', score: 0.9 }, { id: 'k5', score: 0.8 }, ...Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, score: 0.7 - i * 0.05 }))];
  const match = { terms: 4, matched: 3, ceiling: 24 };

  it('reads each signal off the lists, the keyword match and the query (hand-computed)', () => {
    expect(fusionSignals(keyword, dense, match, 'How do I read a file?')).toEqual({
      coverage: 0.75,
      strength: 0.5, // 12 / 24
      agreement: 0.2, // k0 and k5 are in both top 10s
      denseTop: 0.9,
      denseMargin: 0.9 - (0.7 - 7 * 0.05), // the 10th dense score is d7's
      keywordMargin: (12 - 3) / 12,
      question: 1,
      length: Math.log(1 + 6),
    });
    const none = fusionSignals([], [], { terms: 0, matched: 0, ceiling: 0 }, '  ');
    expect(none).toEqual({ coverage: 0, strength: 0, agreement: 0, denseTop: 0, denseMargin: 0, keywordMargin: 0, question: 0, length: 0 });
    expect(fusionSignals(keyword, dense, match, 'file reading').question).toBe(0);
    expect(fusionSignals(keyword, dense, match, 'open a file?').question).toBe(1);
  });

  it('turns the signals into a dense share with a logistic function', () => {
    const signals = fusionSignals(keyword, dense, match, 'How do I read a file?');
    const zeros = Array<number>(FUSION_SIGNALS.length + 1).fill(0);
    expect(adaptiveWeight(zeros, signals)).toBe(0.5);
    expect(adaptiveWeight([Math.log(3), ...zeros.slice(1)], signals)).toBeCloseTo(0.75, 12);
    // c_coverage = 2: z = 2 · 0.75 = 1.5
    const onCoverage = [...zeros];
    onCoverage[1 + FUSION_SIGNALS.indexOf('coverage')] = 2;
    expect(adaptiveWeight(onCoverage, signals)).toBeCloseTo(1 / (1 + Math.exp(-1.5)), 12);
  });

  it('fuses as a convex combination at that share', () => {
    const coefficients = [0.3, -1, 0.5, 2, 1, 0, -0.5, 1, 0.2];
    const query = { query: 'How do I read a file?', match };
    const w = adaptiveWeight(coefficients, fusionSignals(keyword, dense, match, query.query));
    expect(fuseHybrid(keyword, dense, { method: 'adaptive', coefficients }, { query, limit: 5 })).toEqual(hybridConvexFusion(keyword, dense, w, { limit: 5 }));
    expect(() => fuseHybrid(keyword, dense, { method: 'adaptive', coefficients })).toThrow(/needs the query/);
    // A bias far out gives one list's order (down to its last item, normalised to 0, which the other list's crumbs outrank).
    const big = [40, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(fuseHybrid(keyword, dense, { method: 'adaptive', coefficients: big }, { query }).slice(0, 11).map((h) => h.id)).toEqual(dense.slice(0, 11).map((d) => d.id));
    const small = [-40, 0, 0, 0, 0, 0, 0, 0, 0];
    expect(fuseHybrid(keyword, dense, { method: 'adaptive', coefficients: small }, { query }).slice(0, 11).map((h) => h.id)).toEqual(keyword.slice(0, 11).map((k) => k.id));
  });

  it('refuses coefficients of the wrong count or not finite', () => {
    expect(() => checkCoefficients([1, 2])).toThrow(/needs 9 finite coefficients/);
    expect(() => checkCoefficients([0, 0, 0, 0, 0, 0, 0, 0, Number.NaN])).toThrow(/finite/);
    expect(() => checkCoefficients([0, 0, 0, 0, 0, 0, 0, 0, '1'])).toThrow(/finite/);
    expect(() => checkCoefficients(Array(9).fill(0))).not.toThrow();
  });

  it('resolves what a build or a page asks for', () => {
    expect(resolveFusion(undefined, undefined)).toBe(DEFAULT_FUSION);
    expect(resolveFusion('rrf', undefined)).toEqual({ method: 'rrf', semanticWeight: DEFAULT_FIXED_WEIGHT });
    expect(resolveFusion('convex', 0.4)).toEqual({ method: 'convex', semanticWeight: 0.4 });
    expect(resolveFusion(undefined, 0.4)).toEqual(fixedWeight(DEFAULT_FUSION, 0.4));
    expect(resolveFusion('adaptive', undefined).method).toBe('adaptive');
    expect(() => resolveFusion('adaptive', 0.3)).toThrow(/chooses the semantic weight per query/);
    expect(() => resolveFusion('convex', 1.5)).toThrow(/between 0 and 1/);
    expect(fixedWeight({ method: 'adaptive', coefficients: Array(9).fill(0) }, 0.2)).toEqual({ method: 'convex', semanticWeight: 0.2 });
    expect(fixedWeight({ method: 'rrf', semanticWeight: 0.5 }, 0.2)).toEqual({ method: 'rrf', semanticWeight: 0.2 });
  });
});
