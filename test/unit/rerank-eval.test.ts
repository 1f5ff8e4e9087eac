import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BeirDataset } from '../../src/eval/beir';
import type { EvalContext } from '../../src/eval/methods';
import { findMethod } from '../../src/eval/registry';
import { Reranker } from '../../src/rerank/reranker';

const root = resolve(import.meta.dirname, '../..');

describe('eval method "rerank"', () => {
  let reranker: Reranker;
  beforeAll(async () => {
    reranker = await Reranker.load(resolve(root, 'test/fixtures/models/gpt2-lm'));
  });
  afterAll(() => reranker?.dispose());

  it("reorders the top k of the product's hybrid by SGPT-CE score and keeps the rest below", async () => {
    const corpus = [
      { id: 'a', title: 'Mars', text: 'The red planet has two moons.' },
      { id: 'b', title: '', text: 'Neptune is the farthest planet from the Sun.' },
      { id: 'c', title: 'Tatooine', text: 'A desert world with twin suns.' },
      { id: 'd', title: 'Venus', text: 'The hottest planet.' },
    ];
    const dataset: BeirDataset = {
      dir: 'memory',
      split: 'test',
      corpus,
      queries: [{ id: 'q', text: 'which planet is farthest?' }],
      qrels: new Map([['q', new Map([['b', 1]])]]),
      unknownDocs: 0,
    };
    const hybrid = ['c', 'a', 'b', 'd'];
    const ctx = {
      dataset,
      settings: { depth: 100, k1: 0.9, b: 0.4, fusionWeight: 0.5, rrfK: 60, rerankK: 3 },
      reranker: async () => reranker,
      run: async (name: string) => {
        expect(name).toBe('default'); // the product's ranking
        return new Map([['q', hybrid]]);
      },
      log: () => undefined,
    } as unknown as EvalContext;

    const run = await findMethod('rerank').run(ctx);

    // Each document as the element reads one given in the page: title, newline, text.
    const texts = ['Tatooine\nA desert world with twin suns.', 'Mars\nThe red planet has two moons.', 'Neptune is the farthest planet from the Sun.'];
    const scores = await reranker.score('which planet is farthest?', texts);
    const expected = [0, 1, 2].sort((x, y) => scores[y]! - scores[x]! || x - y).map((i) => hybrid[i]);
    expect(run.get('q')).toEqual([...expected, 'd']);
    expect(new Set(scores).size).toBe(3); // distinct scores: the order above is the scores' order
  });
});
