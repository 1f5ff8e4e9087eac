import { describe, expect, it } from 'vitest';
import { dcgAt, evaluateRun, mrrAt, ndcgAt, recallAt } from '../../src/eval/metrics';

const judged = new Map([
  ['a', 3],
  ['b', 1],
  ['c', 0],
  ['d', 2],
]);
const ranking = ['c', 'a', 'x', 'd'];

describe('metrics', () => {
  it('DCG: gain / log2(rank + 1)', () => {
    expect(dcgAt([3, 2, 1], 10)).toBeCloseTo(3 + 2 / Math.log2(3) + 1 / 2, 12);
    expect(dcgAt([3, 2, 1], 1)).toBe(3);
  });

  it('nDCG@k uses graded gains and the ideal from all judged documents with score > 0', () => {
    const dcg = 3 / Math.log2(3) + 2 / Math.log2(5);
    const ideal = 3 + 2 / Math.log2(3) + 1 / 2;
    expect(ndcgAt(ranking, judged, 10)).toBeCloseTo(dcg / ideal, 12);
    expect(ndcgAt(ranking, judged, 10)).toBeCloseTo(0.5783754, 6);
    // @2: only "a" counts; the ideal is cut at 2 as well.
    expect(ndcgAt(ranking, judged, 2)).toBeCloseTo(3 / Math.log2(3) / (3 + 2 / Math.log2(3)), 12);
    expect(ndcgAt(['a', 'd', 'b'], judged, 10)).toBeCloseTo(1, 12);
    expect(ndcgAt(['a'], new Map([['a', 0]]), 10)).toBe(0);
  });

  it('Recall@k counts judgements with score > 0', () => {
    expect(recallAt(ranking, judged, 100)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranking, judged, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAt([], judged, 100)).toBe(0);
  });

  it('MRR@k: reciprocal rank of the first relevant document within k', () => {
    expect(mrrAt(ranking, judged, 10)).toBe(0.5);
    expect(mrrAt(ranking, judged, 1)).toBe(0);
    expect(mrrAt(['c'], judged, 10)).toBe(0);
  });

  it('averages over queries with a relevant document; unanswered queries score 0', () => {
    const qrels = new Map([
      ['q1', judged],
      ['q2', new Map([['e', 0]])],
      ['q3', new Map([['f', 1]])],
    ]);
    const scores = evaluateRun(new Map([['q1', ranking], ['q2', ['e']]]), qrels);
    expect(scores.queries).toBe(2);
    expect(scores.ndcg10).toBeCloseTo(0.5783754 / 2, 6);
    expect(scores.recall100).toBeCloseTo(1 / 3, 12);
    expect(scores.mrr10).toBeCloseTo(0.25, 12);
    expect(evaluateRun(new Map(), new Map())).toEqual({ ndcg10: 0, recall100: 0, mrr10: 0, queries: 0 });
  });
});
