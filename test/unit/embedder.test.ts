// The Embedder end to end on the real tiny-gpt2 model (random weights, real code path).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkWindows } from '../../src/embed/chunk';
import { Embedder } from '../../src/embed/embedder';
import { cosine, sgptRejection } from '../support';

const TINY = path.resolve('test/fixtures/models/tiny-gpt2');

let embedder: Embedder;
beforeAll(async () => {
  embedder = await Embedder.load(TINY);
});
afterAll(() => embedder.dispose());

function row(vectors: Float32Array, dims: number, r: number): Float32Array {
  return vectors.subarray(r * dims, (r + 1) * dims);
}


async function code(promise: Promise<unknown>): Promise<string> {
  return (await sgptRejection(promise)).code;
}

/** A text of exactly n GPT-2 tokens (" x" is one token). */
const tokens = (n: number) => ' x'.repeat(n);

describe('Embedder (tiny-gpt2)', () => {
  it('reports the model and its settings', () => {
    expect(embedder.dims).toBe(64);
    expect(embedder.backend).toBe('cpu');
    expect(embedder.modelId).toBe(TINY);
    expect(embedder.settings.mode).toBe('asymmetric');
    expect(embedder.settings.maxLength).toEqual({ query: 300, document: 300 });
  });

  it('tokenizes bare text: GPT-2 ids, no BOS', () => {
    expect(embedder.tokenize('Hello world')).toEqual([15496, 995]);
    expect(embedder.tokenize(tokens(3))).toEqual([2124, 2124, 2124]);
    expect(embedder.tokenize('')).toEqual([]);
  });

  it('wraps queries in 58/60 and documents in 90/92 as ids', () => {
    expect(embedder.sequences('Hello world', 'query')).toEqual([[58, 15496, 995, 60]]);
    expect(embedder.sequences('Hello world', 'document')).toEqual([[90, 15496, 995, 92]]);
    expect(embedder.sequences('', 'query')).toEqual([[58, 60]]);
  });

  it('splits a long document into overlapping windows of 298 text tokens', () => {
    const windows = chunkWindows(700, 298);
    const sequences = embedder.sequences(tokens(700), 'document');
    expect(sequences).toHaveLength(windows.length);
    for (const sequence of sequences) {
      expect(sequence).toHaveLength(300);
      expect([sequence[0], sequence[299]]).toEqual([90, 92]);
    }
  });

  it('one unit row per chunk, owner maps rows to texts in order', async () => {
    const texts = ['first', tokens(700), 'third text'];
    const out = await embedder.embed(texts, 'document');
    const chunks = chunkWindows(700, 298).length;
    expect(out.rows).toBe(2 + chunks);
    expect(out.dims).toBe(64);
    expect(out.vectors).toHaveLength(out.rows * 64);
    expect([...out.owner]).toEqual([0, ...Array(chunks).fill(1), 2]);
    for (let r = 0; r < out.rows; r++) expect(Math.hypot(...row(out.vectors, 64, r))).toBeCloseTo(1, 5);
  });

  it('vectors do not depend on batch size, padding or input order', async () => {
    const texts = ['a short one', 'a noticeably longer text with quite a few more tokens in it', 'mid length text'];
    const together = await embedder.embed(texts, 'document', { batchSize: 16 });
    const single = await embedder.embed(texts, 'document', { batchSize: 1 });
    const reversed = await embedder.embed([...texts].reverse(), 'document');
    for (let r = 0; r < 3; r++) {
      expect(cosine(row(together.vectors, 64, r), row(single.vectors, 64, r))).toBeGreaterThan(0.99999);
      expect(cosine(row(together.vectors, 64, r), row(reversed.vectors, 64, 2 - r))).toBeGreaterThan(0.99999);
    }
  });

  it('the role changes the vector (brackets are pooled), symmetric mode differs again', async () => {
    const [query, document] = await Promise.all([
      embedder.embed(['same text'], 'query'),
      embedder.embed(['same text'], 'document'),
    ]);
    expect(cosine(query.vectors, document.vectors)).toBeLessThan(0.9999);
    const symmetric = await Embedder.load(TINY, { settings: { mode: 'symmetric' } });
    try {
      expect(symmetric.settings.maxLength).toEqual({ query: 300, document: 300 }); // the config's lengths stay
      expect(symmetric.sequences('Hello world', 'query')).toEqual([[15496, 995]]);
      const q = await symmetric.embed(['same text'], 'query');
      const d = await symmetric.embed(['same text'], 'document');
      expect(cosine(q.vectors, d.vectors)).toBeGreaterThan(0.99999);
      expect(cosine(q.vectors, query.vectors)).toBeLessThan(0.9999);
      expect(await code(symmetric.embed([''], 'document'))).toBe('INPUT_INVALID');
    } finally {
      await symmetric.dispose();
    }
    // Used after dispose: a clear error, not the runtime's (which prints the input tensors).
    const error = await sgptRejection(symmetric.embed(['same text'], 'query'));
    expect([error.code, error.message]).toEqual(['INPUT_INVALID', 'this Embedder was disposed: load another to embed']);
  });

  it('a maxLength override changes the chunking; overlap is configurable', async () => {
    const short = await Embedder.load(TINY, { settings: { maxLength: 12 } });
    try {
      expect(short.sequences(tokens(25), 'document')).toHaveLength(chunkWindows(25, 10).length);
      const out = await short.embed([tokens(25)], 'document', { overlap: 0 });
      expect(out.rows).toBe(chunkWindows(25, 10, 0).length);
    } finally {
      await short.dispose();
    }
  });

  it('embedQuery returns the query vector, trimmed, and reads a query over the budget up to it (its first window), as the element does', async () => {
    const vector = await embedder.embedQuery('where is the manual');
    const out = await embedder.embed(['where is the manual'], 'query');
    expect(cosine(vector, out.vectors)).toBeGreaterThan(0.999999);
    expect(await embedder.embedQuery(' where is the manual\n')).toEqual(vector);
    // 2,001 tokens (the audit's query): the first window's vector, not INPUT_INVALID.
    const long = await embedder.embed([tokens(2001).trim()], 'query');
    expect(long.rows).toBeGreaterThan(1);
    const rows: number[] = [];
    expect(await embedder.embedQuery(tokens(2001), { onRows: ({ owner }) => rows.push(owner.length) })).toEqual(long.vectors.slice(0, long.dims));
    expect(rows).toEqual([1]); // only the first window is run
    expect((await sgptRejection(embedder.embedQuery(3 as unknown as string))).message).toBe('the query must be a string, got 3');
  });

  it('reports progress per text, after each batch', async () => {
    const calls: Array<[number, number]> = [];
    await embedder.embed(['one', 'two two', 'three three three', 'four'], 'document', {
      batchSize: 2,
      onProgress: (done, total) => calls.push([done, total]),
    });
    expect(calls).toEqual([
      [2, 4],
      [4, 4],
    ]);
  });

  it('onRows hands over each text\'s rows once, as copies the caller may change or transfer', async () => {
    const texts = ['one', tokens(700), 'three three three'];
    const reference = await embedder.embed(texts, 'document');
    const owners: number[] = [];
    const out = await embedder.embed(texts, 'document', {
      onRows: ({ owner, vectors }) => {
        expect(vectors.length).toBe(owner.length * embedder.dims);
        owners.push(...owner);
        vectors.fill(0);
        structuredClone(vectors, { transfer: [vectors.buffer] }); // detaches it
      },
    });
    expect(owners).toEqual([...reference.owner]);
    expect(Buffer.from(out.vectors.buffer).equals(Buffer.from(reference.vectors.buffer))).toBe(true);
  });

  it('a long text counts as done only when all its chunks are; the window count moves meanwhile', async () => {
    const calls: Array<[number, number, number]> = [];
    await embedder.embed([tokens(700), 'x'], 'document', { batchSize: 1, onProgress: (done, _total, windows) => calls.push([done, windows.done, windows.total]) });
    // longest first: the three 300-token chunks, then "x"
    expect(calls).toEqual([
      [0, 1, 4],
      [0, 2, 4],
      [1, 3, 4],
      [2, 4, 4],
    ]);
  });

  it('aborts before starting and between batches with ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await code(embedder.embed(['a'], 'document', { signal: controller.signal }))).toBe('ABORTED');

    const midway = new AbortController();
    let batches = 0;
    const run = embedder.embed(['one', 'two', 'three'], 'document', {
      batchSize: 1,
      signal: midway.signal,
      onProgress: () => {
        batches++;
        midway.abort();
      },
    });
    expect(await code(run)).toBe('ABORTED');
    expect(batches).toBe(1);
  });

  it('sees an abort that arrives as a separate task (a worker cancel message) before the next batch', async () => {
    const controller = new AbortController();
    let batches = 0;
    const run = embedder.embed(
      Array.from({ length: 40 }, (_, i) => `text number ${i}`),
      'document',
      { batchSize: 1, signal: controller.signal, onProgress: () => batches++ },
    );
    setTimeout(() => controller.abort(), 0);
    expect(await code(run)).toBe('ABORTED');
    expect(batches).toBeLessThan(40);
  });

  it('rejects bad input clearly', async () => {
    expect(await code(embedder.embed(['ok', 3 as unknown as string], 'document'))).toBe('INPUT_INVALID');
    expect(await code(embedder.embed(['ok'], 'passage' as never))).toBe('INPUT_INVALID');
    expect(await code(embedder.embed(['ok'], 'document', { batchSize: 0 }))).toBe('INPUT_INVALID');
  });

  it('an empty list gives no rows', async () => {
    const out = await embedder.embed([], 'document');
    expect(out.rows).toBe(0);
    expect(out.vectors).toHaveLength(0);
  });
});
