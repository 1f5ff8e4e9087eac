import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reranker } from '../../src/rerank/reranker';

const root = resolve(import.meta.dirname, '../..');

describe('cancelling a rerank', () => {
  let reranker: Reranker;
  beforeAll(async () => {
    reranker = await Reranker.load(resolve(root, 'test/fixtures/models/gpt2-lm'));
  });
  afterAll(() => reranker?.dispose());

  it('stops between batches with ABORTED and scores nothing more', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const run = reranker.score('tea', ['a', 'bb', 'ccc', 'dddd'], {
      signal: controller.signal,
      onProgress: (done) => {
        progress.push(done);
        controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(progress).toEqual([1]);
  });

  it('lets an abort sent as a later task land before the next batch (as a worker cancel message does)', async () => {
    const controller = new AbortController();
    const progress: number[] = [];
    const run = reranker.score('tea', ['a', 'bb', 'ccc'], { signal: controller.signal, onProgress: (done) => progress.push(done) });
    setTimeout(() => controller.abort(), 0);
    await expect(run).rejects.toMatchObject({ code: 'ABORTED' });
    expect(progress.length).toBeLessThan(3);
  });

  it('refuses to start when already aborted', async () => {
    await expect(reranker.score('tea', ['a'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});
