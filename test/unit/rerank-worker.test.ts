/** The worker's `rerank` request, driven through WorkerHandler in Node with the real models. */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder } from '../../src/embed/embedder';
import { Reranker } from '../../src/rerank/reranker';
import { WorkerHandler } from '../../src/worker/handler';
import type { Response } from '../../src/worker/protocol';

const root = resolve(import.meta.dirname, '../..');
const LM = resolve(root, 'test/fixtures/models/tiny-gpt2-lm');
const texts = [
  'Tea\nBoil water, then steep the leaves for three minutes.',
  'Coffee\nGrind the beans and pour hot water over them.',
  'Kettles\nA kettle heats water for tea.',
];

describe('worker rerank request', () => {
  const responses: Response[] = [];
  let handler: WorkerHandler;
  let direct: Reranker;
  beforeAll(async () => {
    handler = new WorkerHandler((response) => responses.push(response), {
      loadEmbedder: (request) => Embedder.load(request.model).then((embedder) => ({ embedder, hash: '' })),
      loadReranker: (model) => Reranker.load(model),
    });
    await handler.handle({ id: 1, type: 'load', model: resolve(root, 'test/fixtures/models/tiny-gpt2') });
    direct = await Reranker.load(LM);
  });
  afterAll(() => direct?.dispose());

  const answer = (id: number) => responses.find((r) => r.id === id && r.type !== 'progress');

  it('answers with the reranker\'s order and scores', async () => {
    await handler.handle({ id: 2, type: 'rerank', model: LM, query: 'how to make tea', texts });
    const response = answer(2);
    expect(response?.type).toBe('result');
    const expected = await direct.rerank('how to make tea', texts);
    const result = (response as { result: { order: number[]; scores: number[] } }).result;
    expect(result.order).toEqual(expected.order);
    result.scores.forEach((score, i) => expect(score).toBeCloseTo(expected.scores[i]!, 6));
  });

  it('a cancel that arrives while it runs answers ABORTED', async () => {
    const running = handler.handle({ id: 3, type: 'rerank', model: LM, query: 'kettle', texts });
    await handler.handle({ id: 4, type: 'cancel', target: 3 });
    await running;
    expect(answer(3)).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
  });

  it('rejects a malformed rerank request', async () => {
    await handler.handle({ id: 5, type: 'rerank', model: LM, query: 'tea', texts: [1, 2] });
    expect(answer(5)).toMatchObject({ type: 'error', error: { code: 'INPUT_INVALID', message: 'rerank needs a texts array of strings' } });
  });
});
