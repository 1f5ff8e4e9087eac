import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { documentText, loadBeir } from '../../src/eval/beir';
import { evaluateRun } from '../../src/eval/metrics';
import { Bm25Index } from '../../src/search/bm25';

const docs = ['cat dog', 'cat cat fish', 'bird'];
const idfCat = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5)); // df 2 of N 3
// avgdl = 2; k1 0.9, b 0.4: norm(d0, |d| 2) = 0.9, norm(d1, |d| 3) = 0.9 * (0.6 + 0.4 * 1.5) = 1.08
const scoreD0 = (idfCat * 1.9 * 1) / (1 + 0.9);
const scoreD1 = (idfCat * 1.9 * 2) / (2 + 1.08);

describe('BM25 index', () => {
  const index = Bm25Index.build(docs);

  it("scores with Lucene's idf and k1 0.9, b 0.4 (hand-computed)", () => {
    const hits = index.search('cats', 10);
    expect(hits.map((hit) => hit.index)).toEqual([1, 0]);
    expect(hits[0]!.score).toBeCloseTo(scoreD1, 12);
    expect(hits[1]!.score).toBeCloseTo(scoreD0, 12);
  });

  it('counts a repeated query term once per occurrence, as Lucene does', () => {
    expect(index.search('cat cat', 1)[0]!.score).toBeCloseTo(2 * scoreD1, 12);
  });

  it('takes k1 / b at query time', () => {
    const hits = index.search('cat', 10, { params: { k1: 1.2, b: 0.75 } });
    // norm(d1) = 1.2 * (0.25 + 0.75 * 1.5) = 1.65
    expect(hits[0]!.score).toBeCloseTo((idfCat * 2.2 * 2) / (2 + 1.65), 12);
    expect(() => index.search('cat', 1, { params: { b: 2 } })).toThrow(/b must be between 0 and 1/);
  });

  it('returns only matching documents, best k, ties to the lower position', () => {
    expect(index.search('unicorn the', 10)).toEqual([]);
    expect(index.search('cat', 0)).toEqual([]);
    const same = Bm25Index.build(['x y', 'y x', 'x y']);
    expect(same.search('x', 2).map((hit) => hit.index)).toEqual([0, 1]);
  });

  it('rejects documents that are not strings', () => {
    expect(() => Bm25Index.build(['ok', 3 as unknown as string])).toThrow(/document 1 is number/);
  });

  it('round-trips through its byte form', () => {
    const corpus = ['Generators yield values', 'A generator expression', 'Café crème', '日本語のテキスト', 'the running man runs'];
    const built = Bm25Index.build(corpus, { k1: 1.1, b: 0.3 });
    const bytes = built.encode();
    const loaded = Bm25Index.decode(bytes);
    expect(loaded.params).toEqual({ k1: 1.1, b: 0.3 });
    expect(loaded.docCount).toBe(5);
    expect(loaded.termCount).toBe(built.termCount);
    for (const query of ['generator', 'café', '本', 'run', 'gener']) {
      expect(loaded.search(query, 5, { prefix: true })).toEqual(built.search(query, 5, { prefix: true }));
    }
    expect(loaded.encode()).toEqual(bytes);
    const unstemmed = Bm25Index.decode(Bm25Index.build(corpus, { stem: false, stopWords: new Set(['a']) }).encode());
    expect(unstemmed.stem).toBe(false);
    expect([...unstemmed.stopWords]).toEqual(['a']);
    expect(unstemmed.search('the running', 5).map((hit) => hit.index)).toEqual([4]);
  });

  it('rejects corrupt bytes with INDEX_INVALID / INDEX_VERSION', () => {
    const bytes = index.encode();
    expect(() => Bm25Index.decode(new Uint8Array([1, 2, 3]))).toThrow(/bad magic/);
    expect(() => Bm25Index.decode(bytes.subarray(0, bytes.length - 1))).toThrow(expect.objectContaining({ code: 'INDEX_INVALID' }));
    const future = bytes.slice();
    future[4] = 9;
    expect(() => Bm25Index.decode(future)).toThrow(expect.objectContaining({ code: 'INDEX_VERSION' }));
    expect(() => Bm25Index.decode(Uint8Array.from([...bytes, 0]))).toThrow(/trailing bytes/);
  });

  describe('search as you type', () => {
    const typed = Bm25Index.build(['A generator yields values.', 'General relativity', 'Lists and tuples', 'running code', 'the theory']);

    it('matches the last word as a prefix', () => {
      expect(typed.search('tup', 10)).toEqual([]); // a finished word must match whole
      expect(typed.search('gener', 10, { prefix: true }).map((hit) => hit.index).sort()).toEqual([0, 1]);
      expect(typed.search('generat', 10, { prefix: true }).map((hit) => hit.index).sort()).toEqual([0, 1]); // via the stem "gener"
      expect(typed.search('tup', 10, { prefix: true }).map((hit) => hit.index)).toEqual([2]);
      expect(typed.search('running', 10, { prefix: true }).map((hit) => hit.index)).toEqual([3]); // its own stem
      expect(typed.search('the', 10, { prefix: true }).map((hit) => hit.index)).toEqual([4]); // "theori"
    });

    it('adds finished words normally and a prefix once per document', () => {
      const hits = typed.search('lists gen', 10, { prefix: true });
      expect(hits[0]!.index).toBe(2);
      // "gen" expands to "gener" only here; a finished word "gen" would match nothing.
      expect(typed.search('lists gen ', 10, { prefix: true }).map((hit) => hit.index)).toEqual([2]);
    });

    it('caps the number of expansions', () => {
      const wide = Bm25Index.build(['aa', 'ab', 'ab', 'ac']);
      expect(wide.search('a', 10, { prefix: true, maxExpansions: 1 }).map((hit) => hit.index)).toEqual([1, 2]); // "ab": most frequent
    });
  });
});

const cranfield = fileURLToPath(new URL('../../../shared/data/cranfield/beir', import.meta.url));

describe.skipIf(!existsSync(cranfield))('BM25 on Cranfield', () => {
  it('matches the shared data README within ±0.01 (k1 0.9, b 0.4: nDCG@10 0.3518, R@100 0.7213)', async () => {
    const data = await loadBeir(cranfield);
    const index = Bm25Index.build(data.corpus.map(documentText));
    const run = new Map(data.queries.map((query) => [query.id, index.search(query.text, 100).map((hit) => data.corpus[hit.index]!.id)]));
    const scores = evaluateRun(run, data.qrels);
    expect(scores.queries).toBe(225);
    expect(Math.abs(scores.ndcg10 - 0.3518)).toBeLessThan(0.01);
    expect(Math.abs(scores.recall100 - 0.7213)).toBeLessThan(0.01);
  });
});
