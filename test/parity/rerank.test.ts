/**
 * SGPT-CE parity: token ids and scores equal the torch reference (model/reference_rerank.py,
 * which follows Muennighoff/sgpt's sgptce.py) on the gpt2-lm fixture.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromptKind } from '../../src/rerank/prompt';
import { Reranker } from '../../src/rerank/reranker';

interface Case {
  prompt: PromptKind;
  maxLength: number;
  query: string;
  document: string;
  inputIds: number[];
  queryIds: number[];
  score: number;
}

const root = resolve(import.meta.dirname, '../..');
const reference = JSON.parse(readFileSync(resolve(root, 'test/parity/rerank-reference.json'), 'utf8')) as {
  model: string;
  cases: Case[];
};

describe('SGPT-CE reranker against the torch reference', () => {
  let full: Reranker;
  beforeAll(async () => {
    full = await Reranker.load(resolve(root, reference.model));
  });
  afterAll(() => full?.dispose());

  const windowed = (maxLength: number) => (maxLength === full.maxLength ? full : new Reranker(full.lm, maxLength));

  it.each(reference.cases.map((c, i) => [i, c] as const))('case %i: same model input', (_, c) => {
    const input = windowed(c.maxLength).input(c.query, c.document, c.prompt);
    expect(input.ids).toEqual(c.inputIds);
    expect(input.query).toEqual(c.queryIds);
  });

  it('scores every case one at a time within 1e-4', async () => {
    for (const c of reference.cases) {
      const [score] = await windowed(c.maxLength).score(c.query, [c.document], { prompt: c.prompt });
      expect(Math.abs(score! - c.score)).toBeLessThan(1e-4);
    }
  });

  it('batched scores (right padding) equal one-at-a-time scores', async () => {
    const cases = reference.cases.filter((c) => c.prompt === 'asymmetric' && c.maxLength === full.maxLength);
    const query = cases[0]!.query;
    const documents = cases.map((c) => c.document);
    const single: number[] = [];
    for (const document of documents) single.push(...(await full.score(query, [document], { batchSize: 1 })));
    const batched = await full.score(query, documents, { batchSize: documents.length });
    batched.forEach((score, i) => expect(Math.abs(score - single[i]!)).toBeLessThan(1e-4));
    expect(batched[0]).toBeCloseTo(cases[0]!.score, 4);
  });

  it('refuses a feature model (no logits) with an actionable error', async () => {
    await expect(Reranker.load(resolve(root, 'public/models/tiny-gpt2'))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/no logits/),
    });
  });

  it('refuses a window wider than the model', () => {
    expect(() => new Reranker(full.lm, full.lm.maxPositions + 1)).toThrow(/rerank window/);
  });
});
