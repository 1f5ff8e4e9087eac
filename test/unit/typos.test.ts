import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Bm25Index, ChunkedBm25, decodeChunk, decodeHead, encodeHead } from '../../src/search/bm25';
import { DocumentSearch } from '../../src/search/document-search';
import {
  ChunkedTypos,
  MAX_CORRECTIONS,
  TypoTable,
  allowedEdits,
  decodeTypoFile,
  decodeTypoHead,
  editDistance,
  encodeTypoFile,
  encodeTypoHead,
  splitTypoGroups,
  typoGroups,
  typoKeys,
  type TypoFileEntry,
} from '../../src/search/typos';

const distance = (a: string, b: string, max = 9) => editDistance([...a], [...b], max);

/** Optimal string alignment distance, the textbook full table (no early exit). */
function reference(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/** A table split into files (as a site index ships it), with the files each lookup read. */
function chunked(wordDocs: Map<string, number>, fileBytes: number) {
  const files = splitTypoGroups(typoGroups(wordDocs), fileBytes);
  const entries: TypoFileEntry[] = decodeTypoHead(encodeTypoHead(files.map((f, i) => ({ letter: f.letter, length: f.length, file: `typos-${i}`, bytes: f.bytes.length }))), 'typos');
  const read: number[] = [];
  let heads = 0;
  const table = new ChunkedTypos(
    async () => (heads++, entries),
    async (i) => (read.push(i), decodeTypoFile(files[i]!.bytes, `typos-${i}`, entries[i]!, entries[i + 1] ?? null)),
  );
  return { files, entries, read, table, heads: () => heads };
}

describe('edit distance', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours as one edit each (hand-checked)', () => {
    expect(distance('python', 'python')).toBe(0);
    expect(distance('pyhton', 'python')).toBe(1); // swap
    expect(distance('pythn', 'python')).toBe(1); // deletion
    expect(distance('pythoon', 'python')).toBe(1); // insertion
    expect(distance('pithon', 'python')).toBe(1); // substitution
    expect(distance('ca', 'abc')).toBe(3); // OSA, not unrestricted Damerau (which gives 2)
    expect(distance('kitten', 'sitting')).toBe(3);
    expect(distance('straße', 'strasse')).toBe(2); // code points, not bytes
  });

  it('stops early past max, answering max + 1, and agrees with the full table below it', () => {
    expect(distance('generator', 'xyz', 2)).toBe(3);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é'), maxLength: 9 }), fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'é'), maxLength: 9 }), fc.integer({ min: 0, max: 3 }), (a, b, max) => {
        expect(distance(a, b, max)).toBe(Math.min(reference(a, b), max + 1));
      }),
    );
  });
});

describe('typo table', () => {
  it('allows no edit below 5 letters, one up to 8, two from 9', () => {
    expect([4, 5, 8, 9, 20].map(allowedEdits)).toEqual([0, 1, 1, 2, 2]);
    expect(typoKeys('wall')).toEqual([]);
  });

  it('reads the word\'s first letter at L − d … L + d and its second letter at L − 1 … L', () => {
    expect(typoKeys('pyhton')).toEqual([
      { letter: 'p', length: 5 },
      { letter: 'p', length: 6 },
      { letter: 'p', length: 7 },
      { letter: 'y', length: 5 },
      { letter: 'y', length: 6 },
    ]);
    expect(typoKeys('generation').filter((k) => k.letter === 'g').map((k) => k.length)).toEqual([8, 9, 10, 11, 12]);
  });

  const words = new Map([
    ['python', 40],
    ['pythons', 2],
    ['generator', 30],
    ['generators', 12],
    ['generate', 20],
    ['iterator', 25],
    ['iterators', 9],
    ['typhon', 1],
    ['cat', 5],
  ]);
  const table = new TypoTable(typoGroups(words));

  it('corrects to the nearest words, the most common first, never to the word itself', () => {
    expect(table.corrections('pyhton')).toEqual(['python']);
    expect(table.corrections('pythn')).toEqual(['python']);
    expect(table.corrections('genrators')).toEqual(['generators']); // one edit beats "generator" (two)
    expect(table.corrections('generatr')).toEqual(['generator', 'generate']); // both one edit; 30 > 20 documents
    expect(table.corrections('python')).toEqual(['pythons']); // never the word itself
    expect(table.corrections('itterators')).toEqual(['iterators']);
    expect(table.corrections('pyth')).toEqual([]); // too short to correct
    expect(table.corrections('xpython')).toEqual(['python']); // a stray first letter
    expect(table.corrections('ypthon')).toEqual(['python']); // first two letters swapped
    expect(table.corrections('bython')).toEqual([]); // a wrong first letter is not corrected
  });

  it('equals a brute-force search over every word (first letter kept, or the first two swapped / a stray first letter)', async () => {
    const vocabulary = fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'ä'), minLength: 3, maxLength: 10 }), { minLength: 1, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(vocabulary, fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'ä'), minLength: 0, maxLength: 11 }), fc.integer({ min: 8, max: 400 }), async (list, word, fileBytes) => {
        const docs = new Map(list.map((w, i) => [w, 1 + (i % 7)]));
        const letters = [...word];
        const max = allowedEdits(letters.length);
        const near = [...docs]
          .filter(([w]) => w !== word && max > 0)
          .filter(([w]) => {
            const [first] = [...w];
            const length = [...w].length;
            return first === letters[0] || (first === letters[1] && (length === letters.length || length === letters.length - 1));
          })
          .map(([w, n]) => ({ w, n, d: reference(w, word) }))
          .filter((c) => c.d <= max);
        const best = Math.min(...near.map((c) => c.d));
        const expected = near
          .filter((c) => c.d === best)
          .sort((a, b) => b.n - a.n || (a.w < b.w ? -1 : 1))
          .slice(0, MAX_CORRECTIONS)
          .map((c) => c.w);
        expect(new TypoTable(typoGroups(docs)).corrections(word)).toEqual(expected);
        expect(await chunked(docs, fileBytes).table.corrections(word)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('a split table reads only the files of the word\'s groups', async () => {
    const many = new Map<string, number>();
    for (const letter of 'abcdefghijklmnopqrstuvwxyz') for (let n = 0; n < 40; n++) many.set(`${letter}${'x'.repeat(n % 8)}word${n}`, 1 + n);
    many.set('python', 50);
    const { files, read, table: split } = chunked(many, 512);
    expect(files.length).toBeGreaterThan(20);
    expect(await split.corrections('pyhton')).toEqual(['python']);
    expect(read.length).toBeGreaterThan(0);
    // Two letters' groups at three lengths each: at most two files per letter at this size.
    expect(read.length).toBeLessThanOrEqual(4);
  });

  it('refuses a corrupt, misordered or misplaced file with INDEX_INVALID naming it', () => {
    const groups = typoGroups(words);
    const bytes = encodeTypoFile(groups);
    const first = groups[0]!;
    expect(decodeTypoFile(bytes, 'typos-0', first, null)).toEqual(groups);
    expect(() => decodeTypoFile(bytes.subarray(0, bytes.length - 1), 'typos-0', first, null)).toThrow(/typos-0.*(truncated|trailing)/);
    expect(() => decodeTypoFile(bytes, 'typos-0', { letter: 'a', length: 3 }, null)).toThrow(/typos-0: groups are out of order or do not start at the head's key/);
    expect(() => decodeTypoFile(bytes, 'typos-0', first, { letter: 'g', length: 8 })).toThrow(/belongs to the next file/);
    expect(() => decodeTypoFile(Uint8Array.of(1, 2, 3, 4, 5), 'typos-0', first, null)).toThrow(/bad magic bytes/);
    const wrong = encodeTypoFile([{ ...groups[0]!, words: ['zzz'], docs: [1] }]);
    expect(() => decodeTypoFile(wrong, 'typos-0', first, null)).toThrow(/word "zzz" is not in group/);
    const head = encodeTypoHead([
      { letter: 'b', length: 3, file: 'x', bytes: 1 },
      { letter: 'a', length: 3, file: 'y', bytes: 1 },
    ]);
    expect(() => decodeTypoHead(head, 'typos')).toThrow(/typos: files are not in key order/);
  });
});

describe('BM25 with typos', () => {
  const docs = ['Generators yield values lazily', 'An iterator protocol', 'Python generators and iterators', 'the cat sat'];
  const index = Bm25Index.build(docs);

  it('scores a misspelled word as its corrections, only when asked and only when it matches nothing', () => {
    expect(index.search('genrators', 10)).toEqual([]);
    const fixed = index.searchWithMatch('genrators', 10, { typos: true });
    expect(fixed.hits).toEqual(index.search('generators', 10));
    expect(fixed.match).toEqual({ ...index.searchWithMatch('generators', 10).match, matched: 0 });
    // A word of the index is left alone, even if another word is one edit away.
    expect(index.search('iterators', 10, { typos: true })).toEqual(index.search('iterators', 10));
    // A partial last word is corrected only when nothing starts with it.
    expect(index.search('pyth', 10, { prefix: true, typos: true })).toEqual(index.search('pyth', 10, { prefix: true }));
    expect(index.search('iteratr', 10, { prefix: true, typos: true })).toEqual(index.search('iterator ', 10));
    expect(index.search('lazyly genrators', 10, { typos: true })).toEqual(index.search('lazily generators', 10));
    // A partial word that only a shorter term matches ("gen") is taken as misspelled when it has a correction.
    const gen = Bm25Index.build(['gen tool', 'a generator yields']);
    expect(gen.search('genrator', 10, { prefix: true, typos: true })).toEqual(gen.search('generator ', 10));
    expect(gen.search('genx', 10, { prefix: true, typos: true })).toEqual(gen.search('gen', 10));
  });

  it('scores several corrections as one term (documents holding any of them, summed frequencies)', () => {
    const two = Bm25Index.build(['carts carts', 'cards', 'other words']);
    // "carxs" is one edit from "carts" and from "cards": both, as one term of df 2.
    const hits = two.searchWithMatch('carxs', 10, { typos: true });
    expect(hits.hits.map((h) => h.index).sort()).toEqual([0, 1]);
    // A correction is not a word found as typed: fusion still sees an unmatched word.
    expect(hits.match).toMatchObject({ terms: 1, matched: 0 });
  });

  it('a chunked index with its typo table ranks as the whole index, reading the table only for a misspelled word', async () => {
    const { stats, chunks } = index.split(16);
    const head = decodeHead(encodeHead({ stats, chunks: chunks.map((c, i) => ({ first: c.first, file: `terms-${i}`, bytes: c.bytes.length })) }), 'keyword');
    const { table, heads } = chunked(new Map(index.typoGroups().flatMap((g) => g.words.map((w, i) => [w, g.docs[i]!] as const))), 64);
    const search = new ChunkedBm25(head, async (i) => decodeChunk(chunks[i]!.bytes, `terms-${i}`, docs.length, head.chunks[i]!.first, head.chunks[i + 1]?.first ?? null), table);
    const before = heads();
    for (const query of ['generators', 'genrators', 'lazyly genrators', 'iteratr', 'pyth', 'zzzzzz']) {
      for (const options of [{ typos: true }, { prefix: true as const, typos: true }, { prefix: 'unknown-only' as const, typos: true }]) {
        expect(await search.searchWithMatch(query, 10, options)).toEqual(index.searchWithMatch(query, 10, options));
      }
    }
    expect(heads()).toBeGreaterThan(before);
    const fresh = chunked(new Map([['generators', 2]]), 64);
    const plain = new ChunkedBm25(head, async (i) => decodeChunk(chunks[i]!.bytes, `terms-${i}`, docs.length, head.chunks[i]!.first, head.chunks[i + 1]?.first ?? null), fresh.table);
    await plain.search('generators python', 10, { typos: true });
    expect(fresh.read).toEqual([]);
    expect(fresh.heads()).toBe(0);
  });
});

describe('in-page search with typos', () => {
  const search = new DocumentSearch([
    { id: 'a', title: 'Generators', text: 'A generator function yields values lazily.' },
    { id: 'b', title: 'Classes', text: 'A class bundles data and behaviour.' },
  ]);

  it('finds and highlights the corrected word, in the keyword and the fused results', async () => {
    for (const hits of [search.keywordSearch('genrator', 5), await search.fusedSearch('genrator ', [], { method: 'convex', semanticWeight: 0.5 }, 5)]) {
      expect(hits.map((h) => h.doc)).toEqual([0]);
      expect(hits[0]!.highlights.map(([a, b]) => hits[0]!.excerpt.slice(a, b))).toEqual(['generator']);
    }
    expect(search.keywordRanking('genrator', 10).corrections).toEqual(['generator']);
    expect(search.keywordRanking('generator', 10).corrections).toEqual([]);
  });
});
