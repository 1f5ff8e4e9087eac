/**
 * SGPT-CE parity: token ids and scores equal the torch reference (model/reference_rerank.py,
 * which follows Muennighoff/sgpt's sgptce.py). Three models: the gpt2-lm fixture returns logits for
 * every position; tiny-gpt2-lm takes num_logits_to_keep, so the reranker asks for the tail only;
 * gpt-neo-lm is a GPT-Neo (GPTNeoForCausalLM, local attention window 16) with that input too.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PromptKind } from '../../src/rerank/prompt';
import { Reranker } from '../../src/rerank/reranker';

interface Case {
  model: string;
  prompt: PromptKind;
  maxLength: number;
  query: string;
  document: string;
  inputIds: number[];
  queryIds: number[];
  score: number;
}

const root = resolve(import.meta.dirname, '../..');
const { cases } = JSON.parse(readFileSync(resolve(root, 'test/parity/rerank-reference.json'), 'utf8')) as { cases: Case[] };
const models = [...new Set(cases.map((c) => c.model))];

describe('SGPT-CE reranker against the torch reference', () => {
  const loaded = new Map<string, Reranker>();
  beforeAll(async () => {
    for (const model of models) loaded.set(model, await Reranker.load(resolve(root, model)));
  });
  afterAll(async () => {
    for (const reranker of loaded.values()) await reranker.dispose();
  });

  const rerankerFor = (c: Case) => {
    const full = loaded.get(c.model)!;
    return c.maxLength === full.maxLength ? full : new Reranker(full.lm, c.maxLength);
  };

  it('covers every kind of LM export', () => {
    expect(models).toEqual(['test/fixtures/models/gpt2-lm', 'test/fixtures/models/tiny-gpt2-lm', 'test/fixtures/models/gpt-neo-lm']);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i: same model input', (_, c) => {
    const input = rerankerFor(c).input(c.query, c.document, c.prompt);
    expect(input.ids).toEqual(c.inputIds);
    expect(input.query).toEqual(c.queryIds);
  });

  it('scores every case one at a time within 1e-4', async () => {
    for (const c of cases) {
      const [score] = await rerankerFor(c).score(c.query, [c.document], { prompt: c.prompt });
      expect(Math.abs(score! - c.score)).toBeLessThan(1e-4);
    }
  });

  it.each(models)('batched scores (right padding) equal one-at-a-time scores: %s', async (model) => {
    const same = cases.filter((c) => c.model === model && c.prompt === 'asymmetric' && c.maxLength === loaded.get(model)!.maxLength);
    const reranker = loaded.get(model)!;
    const query = same[0]!.query;
    const documents = same.map((c) => c.document);
    const single: number[] = [];
    for (const document of documents) single.push(...(await reranker.score(query, [document], { batchSize: 1 })));
    const batched = await reranker.score(query, documents, { batchSize: documents.length });
    batched.forEach((score, i) => expect(Math.abs(score - single[i]!)).toBeLessThan(1e-4));
    expect(batched[0]).toBeCloseTo(same[0]!.score, 4);
  });

  it('refuses a feature model (no logits) with an actionable error', async () => {
    await expect(Reranker.load(resolve(root, 'test/fixtures/models/tiny-gpt2'))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringMatching(/no logits/),
    });
  });

  it('refuses a window wider than the model', () => {
    const lm = loaded.get(models[0]!)!.lm;
    expect(() => new Reranker(lm, lm.maxPositions + 1)).toThrow(/rerank window/);
  });
});
