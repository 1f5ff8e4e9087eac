// The slice worker (src/embed/slice-worker-client.ts): tokenising and pooling in a worker thread
// gives the in-thread path's vectors bit for bit, and a worker that fails is a coded error, not a hang.
import { readFileSync } from 'node:fs';
import { AutoTokenizer } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder } from '../../src/embed/embedder';
import { documentSessions } from '../../src/embed/node-sessions';
import type { TokenizerLike } from '../../src/embed/piece-memo';
import { sliceWorker, WORKER_MIN_CHARS } from '../../src/embed/slice-worker-client';
import { SLICE_TOKENS, type SliceJob } from '../../src/embed/slices';
import type { LoadOptions } from '../../src/embed/types';
import { sgptRejection } from '../support';

const SHIPPED = 'public/models/sgpt-nano';
const demo = (JSON.parse(readFileSync('demo/data/python-docs.json', 'utf8')) as Array<{ title: string; text: string }>).map(({ title, text }) => `${title}. ${text}`);
const huge = demo.slice(0, 60).join(' ');
const texts = [
  '',
  ...demo.slice(0, 120),
  huge,
  '日本語のテキスト 中文 한국어 🙂👍🏽 e\u0301 café',
  'before<|endoftext|>after',
  ' ',
  ...demo.slice(120),
  'lone surrogate \ud800 here',
  '',
];
const forced = (options: Parameters<typeof sliceWorker>[1] = {}): LoadOptions => ({ threads: 1, sessions: 1, sliceHelper: (tokenizer) => sliceWorker(tokenizer, { minChars: 0, ...options }) });
const fixture = (name: string) => new URL(`../fixtures/workers/${name}`, import.meta.url);

let plain: Embedder;
let piped: Embedder;
beforeAll(async () => {
  [plain, piped] = await Promise.all([Embedder.load(SHIPPED, { threads: 1, sessions: 1 }), Embedder.load(SHIPPED, forced())]);
});
afterAll(async () => {
  await Promise.all([plain?.dispose(), piped?.dispose()]);
});

describe('slice worker', () => {
  it('gives the in-thread vectors bit for bit, in order, over many slices (empty, huge and non-ASCII texts)', async () => {
    const tokens = texts.reduce((n, text) => n + plain.tokenize(text).length, 0);
    expect(tokens).toBeGreaterThan(4 * SLICE_TOKENS);
    for (const role of ['document', 'query'] as const) {
      const progress: number[] = [];
      const a = await plain.embed(texts, role);
      const b = await piped.embed(texts, role, { onProgress: (done) => progress.push(done) });
      expect(b.rows).toBe(a.rows);
      expect([...b.owner]).toEqual([...a.owner]);
      expect(Buffer.from(b.vectors.buffer, b.vectors.byteOffset, b.vectors.byteLength).equals(Buffer.from(a.vectors.buffer, a.vectors.byteOffset, a.vectors.byteLength))).toBe(true);
      expect(progress.at(-1)).toBe(texts.length);
      expect(progress.every((done, i) => i === 0 || done >= progress[i - 1]!)).toBe(true);
    }
  });

  it('a text the worker cannot embed fails as it does in-thread', async () => {
    const symmetric = await Embedder.load(SHIPPED, { ...forced(), settings: { mode: 'symmetric' } });
    try {
      await symmetric.embed(demo, 'document'); // the worker has started: the last slice is its
      const error = await sgptRejection(symmetric.embed([...demo, ''], 'document'));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toContain(`text ${demo.length} is empty`);
      // The worker is still there for the next call.
      expect((await symmetric.embed(demo, 'document')).rows).toBeGreaterThan(demo.length);
    } finally {
      await symmetric.dispose();
    }
  });

  // Ten times the demo: ~50 slices, so the worker (ready in milliseconds) is asked long before the call could end in-thread.
  const many = Array.from({ length: 10 }, () => demo).flat();
  for (const [name, what] of [['throws.mjs', 'failed: tokenizer exploded'], ['exits.mjs', 'exited (code 3)']] as const) {
    it(`a worker that ${name === 'throws.mjs' ? 'throws' : 'exits'} fails the call with WORKER_DIED; the next call starts a fresh one`, async () => {
      const embedder = await Embedder.load(SHIPPED, forced({ url: fixture(name) }));
      try {
        const error = await sgptRejection(embedder.embed(many, 'document'));
        expect(error.code).toBe('WORKER_DIED');
        expect(error.message).toContain(what);
        expect((await sgptRejection(embedder.embed(many, 'document'))).code).toBe('WORKER_DIED');
      } finally {
        await embedder.dispose();
      }
    });
  }

  it('a worker that cannot start leaves every call in-thread, with the same vectors', async () => {
    const embedder = await Embedder.load(SHIPPED, forced({ url: fixture('never-starts.mjs') }));
    try {
      const reference = await plain.embed(demo, 'document');
      for (let call = 0; call < 2; call++) {
        const out = await embedder.embed(demo, 'document');
        expect(Buffer.from(out.vectors.buffer).equals(Buffer.from(reference.vectors.buffer))).toBe(true);
      }
    } finally {
      await embedder.dispose();
    }
  });

  it('an aborted call stops, and the worker serves the next call', async () => {
    const controller = new AbortController();
    let batches = 0;
    const aborted = piped.embed(demo, 'document', {
      signal: controller.signal,
      onProgress: () => {
        if (++batches === 3) controller.abort();
      },
    });
    expect((await sgptRejection(aborted)).code).toBe('ABORTED');
    const again = await piped.embed(demo, 'document');
    const reference = await plain.embed(demo, 'document');
    expect(Buffer.from(again.vectors.buffer).equals(Buffer.from(reference.vectors.buffer))).toBe(true);
  });

  it("calls too small to repay a worker's start-up stay in-thread; the Node defaults use the worker from 3 cores on, and on 2 when the machine is otherwise idle", async () => {
    const helper = sliceWorker((await AutoTokenizer.from_pretrained(SHIPPED)) as unknown as TokenizerLike);
    const job: SliceJob = { role: 'document', settings: plain.settings, batchSize: 16, batchTokens: 1024 };
    const encode = (text: string) => plain.tokenize(text);
    expect(helper.slices(['a short text', 'another'], 1, job, encode)).toBeNull();
    expect(helper.slices(['x'.repeat(WORKER_MIN_CHARS - 1)], 0, job, encode)).toBeNull();
    expect(documentSessions(1, 4, 9)).toEqual({ threads: 1, sessions: 1, sliceHelper: sliceWorker });
    expect(documentSessions(1, 2, 4)).toEqual({ threads: 1, sessions: 1 }); // both cores busy
    expect(documentSessions(1, 2, 1.6)).toEqual({ threads: 1, sessions: 1 });
    expect(documentSessions(1, 2, 1)).toEqual({ threads: 1, sessions: 1, sliceHelper: sliceWorker }); // the second core free
    expect(documentSessions(1, 1, 0)).toEqual({ threads: 1, sessions: 1 });
    expect(documentSessions(2, 2, 4)).toEqual({ threads: 2, sessions: 1 });
  });
});
