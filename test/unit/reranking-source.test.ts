/** RerankingSource: the inner stages pass, then the reordered one; a reranker that cannot load names rerank-model. */
import { describe, expect, it } from 'vitest';
import { SgptError } from '../../src/errors';
import { RerankingSource } from '../../src/element/reranking-source';
import type { SearchSource, SearchStage } from '../../src/element/source';

const hit = (id: string) => ({ id, title: id, excerpt: '', score: 1 });
const inner: SearchSource = {
  async *search(): AsyncIterable<SearchStage> {
    yield { stage: 'keyword', results: [hit('a'), hit('b')], keywordMatch: true };
    yield { stage: 'semantic', results: [hit('a'), hit('b'), hit('c')], keywordMatch: true };
  },
};

async function stages(source: SearchSource): Promise<string[]> {
  const seen: string[] = [];
  for await (const stage of source.search('q', 8, new AbortController().signal)) seen.push(`${stage.stage}:${stage.results.map((h) => h.id).join('')}`);
  return seen;
}

describe('RerankingSource', () => {
  it("yields the inner stages, then the top k in the reranker's order", async () => {
    const client = { rerank: async () => ({ query: 'q', order: [2, 0, 1], scores: [0.1, 0.2, 0.9], ms: 1 }) };
    expect(await stages(new RerankingSource(inner, client, { model: '/m-lm/' }))).toEqual(['keyword:ab', 'semantic:abc', 'reranked:cab']);
  });

  it('the reordered stage says, as the one it reorders does, that no document holds the query\'s words', async () => {
    const meaningOnly: SearchSource = {
      async *search(): AsyncIterable<SearchStage> {
        yield { stage: 'keyword', results: [], keywordMatch: false };
        yield { stage: 'semantic', results: [hit('a'), hit('b')], keywordMatch: false };
      },
    };
    const client = { rerank: async () => ({ query: 'q', order: [1, 0], scores: [0.1, 0.2], ms: 1 }) };
    const seen: string[] = [];
    for await (const stage of new RerankingSource(meaningOnly, client, { model: '/m-lm/' }).search('q', 8, new AbortController().signal)) seen.push(`${stage.stage}:${stage.keywordMatch}`);
    expect(seen).toEqual(['keyword:false', 'semantic:false', 'reranked:false']);
  });

  it('a reranker that cannot load says rerank needs a causal LM and where to name one; the other stages came first', async () => {
    const client = { rerank: async () => Promise.reject(new SgptError('MODEL_NOT_FOUND', 'model file not found: /m-lm/config.json')) };
    const seen: string[] = [];
    const error = await (async () => {
      try {
        for await (const stage of new RerankingSource(inner, client, { model: '/m-lm/' }).search('q', 8, new AbortController().signal)) seen.push(stage.stage);
      } catch (caught) {
        return caught as SgptError;
      }
      throw new Error('expected a failure');
    })();
    expect(seen).toEqual(['keyword', 'semantic']);
    expect([error.code, error.message]).toEqual(['MODEL_NOT_FOUND', 'rerank needs a causal LM at /m-lm/ (set rerank-model, or put the model\'s "-lm" sibling next to it): model file not found: /m-lm/config.json']);
  });
});
