import { describe, expect, it } from 'vitest';
import { VectorStore } from '../../src/search/vector-store';

const unit = (...values: number[]) => {
  const norm = Math.hypot(...values);
  return values.map((v) => v / norm);
};

/** Three documents in 2-d: a has two chunks. */
function sample() {
  const vectors = new Float32Array([...unit(1, 0), ...unit(0, 1), ...unit(1, 1), ...unit(-1, 0)]);
  const owner = new Int32Array([0, 0, 1, 2]);
  return new VectorStore(vectors, owner, 2, ['a', 'b', 'c']);
}

describe('VectorStore', () => {
  it('scores a document by its best chunk and reports which chunk', () => {
    const hits = sample().search(new Float32Array(unit(0, 1)), 3);
    expect(hits.map((h) => [h.id, h.doc, h.chunk])).toEqual([
      ['a', 0, 1],
      ['b', 1, 0],
      ['c', 2, 0],
    ]);
    expect(hits[0]!.score).toBeCloseTo(1, 6);
    expect(hits[1]!.score).toBeCloseTo(Math.SQRT1_2, 6);
    expect(hits[2]!.score).toBeCloseTo(0, 6);
  });

  it('limits to k and breaks ties by lower document index', () => {
    const store = new VectorStore(new Float32Array([1, 0, 1, 0, 0, 1]), new Int32Array([0, 1, 2]), 2, ['x', 'y', 'z']);
    expect(store.search(new Float32Array([1, 0]), 2).map((h) => h.id)).toEqual(['x', 'y']);
  });

  it('equals a brute-force max over chunks on random data', () => {
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
    const dims = 8;
    const store = VectorStore.empty(dims);
    const docs: number[][][] = [];
    for (let d = 0; d < 40; d++) {
      const chunks = Array.from({ length: 1 + (d % 4) }, () => unit(...Array.from({ length: dims }, random)));
      docs.push(chunks);
      store.set(`doc${d}`, new Float32Array(chunks.flat()));
    }
    const query = unit(...Array.from({ length: dims }, random));
    const expected = docs
      .map((chunks, doc) => {
        const scores = chunks.map((c) => c.reduce((s, v, i) => s + v * query[i]!, 0));
        const score = Math.max(...scores);
        return { doc, score, chunk: scores.indexOf(score), chunks: chunks.length };
      })
      .sort((a, b) => b.score - a.score || a.doc - b.doc)
      .slice(0, 10);
    const hits = store.search(new Float32Array(query), 10);
    expect(hits.map((h) => [h.doc, h.chunk, h.chunks])).toEqual(expected.map((e) => [e.doc, e.chunk, e.chunks]));
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 5));
  });

  it('replacing a document swaps its rows and keeps its index', () => {
    const store = sample();
    store.set('a', new Float32Array(unit(-1, 0)));
    expect(store.rows).toBe(3);
    expect(store.size).toBe(3);
    expect([...store.owner]).toEqual([1, 2, 0]);
    const hits = store.search(new Float32Array(unit(-1, 0)), 3);
    expect(hits.map((h) => [h.id, h.doc])).toEqual([
      ['a', 0],
      ['c', 2],
      ['b', 1],
    ]);
  });

  it('removing a document moves later ones down an index', () => {
    const store = sample();
    expect(store.remove('a')).toBe(true);
    expect(store.remove('a')).toBe(false);
    expect(store.ids).toEqual(['b', 'c']);
    expect([...store.owner]).toEqual([0, 1]);
    expect(store.search(new Float32Array(unit(-1, 0)), 1)).toEqual([{ doc: 1, id: 'c', score: 1, chunk: 0, chunks: 1 }]);
    store.set('d', new Float32Array(unit(1, 0)));
    expect(store.search(new Float32Array(unit(1, 0)), 1)[0]).toMatchObject({ doc: 2, id: 'd' });
  });

  it('grows past its initial capacity', () => {
    const store = VectorStore.empty(3);
    for (let i = 0; i < 100; i++) store.set(i, new Float32Array(unit(1, i, 0)));
    expect(store.rows).toBe(100);
    expect(store.search(new Float32Array(unit(1, 50, 0)), 1)[0]).toMatchObject({ id: 50, doc: 50 });
    expect(store.vectors.length).toBe(300);
  });

  it('default ids are the document indices', () => {
    const store = new VectorStore(new Float32Array([1, 0, 0, 1]), new Int32Array([1, 0]), 2);
    expect(store.ids).toEqual([0, 1]);
    expect(store.search(new Float32Array([0, 1]), 1)[0]).toMatchObject({ doc: 0, id: 0 });
  });

  it('rejects mismatched shapes, bad owners, duplicate ids and wrong query dims', () => {
    expect(() => new VectorStore(new Float32Array(3), new Int32Array(2), 2)).toThrow(/rows of 2 dims/);
    expect(() => new VectorStore(new Float32Array(4), new Int32Array([0, 5]), 2, ['a', 'b'])).toThrow(/owner 5/);
    expect(() => new VectorStore(new Float32Array(4), new Int32Array([0, 0]), 2, ['a', 'b'])).toThrow(/b has no vectors/);
    expect(() => new VectorStore(new Float32Array(4), new Int32Array([0, 1]), 2, ['a', 'a'])).toThrow(/duplicate/);
    expect(() => sample().search(new Float32Array(3), 1)).toThrow(/3 dims/);
    expect(() => sample().set('x', new Float32Array(3))).toThrow(/rows of 2 dims/);
    expect(() => sample().set('x', new Float32Array(0))).toThrow(/rows of 2 dims/);
  });

  it('an empty store returns no hits', () => {
    expect(VectorStore.empty(2).search(new Float32Array([1, 0]), 5)).toEqual([]);
  });
});
