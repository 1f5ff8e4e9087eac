import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { queryCommand } from '../../src/cli/query-command';
import { Reranker } from '../../src/rerank/reranker';
import { hitText } from '../../src/rerank/hit-text';

const root = resolve(import.meta.dirname, '../..');
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'sgpt-rerank-cli-'));
  await buildSiteIndex({ site: resolve(root, 'test/fixtures/site'), out });
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe('sgpt-search query --rerank', () => {
  it('reorders the top k by the causal LM score of title + excerpt and leaves the rest', async () => {
    const query = 'how do I install the kettle';
    const plain = await querySiteIndex({ index: out, query, limit: 5 });
    const lmDir = resolve(root, 'test/fixtures/models/tiny-gpt2-lm');
    const reranked = await querySiteIndex({ index: out, query, limit: 5, rerank: { k: 3, model: lmDir } });

    const lm = await Reranker.load(lmDir);
    const expected = await lm.rerankTop(query, plain, 3, hitText);
    await lm.dispose();

    expect(reranked.map((hit) => hit.url)).toEqual(expected.items.map((hit) => hit.url));
    expect(reranked.slice(3)).toEqual(plain.slice(3));
    reranked.slice(0, 3).forEach((hit, i) => expect(hit.rerankScore).toBeCloseTo(expected.scores[i]!, 6));
    expect(reranked.slice(3).every((hit) => hit.rerankScore === undefined)).toBe(true);
  });

  it('rejects rerank options without --rerank', async () => {
    await expect(queryCommand(['--index', out, '--rerank-k', '3', 'tea'])).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });
});
