import { describe, expect, it } from 'vitest';
import { Bm25Index, ChunkedBm25, MergedBm25, decodeChunk, decodeHead, encodeHead, type Bm25BuildOptions } from '../../src/search/bm25';
import { loadLanguages } from '../../src/search/languages';
import { ChunkedTypos, decodeTypoFile, splitTypoGroups } from '../../src/search/typos';

/** A split index served from memory, as a site's keyword and typo files are. */
function chunked(docs: string[], options: Bm25BuildOptions = {}): ChunkedBm25 {
  const index = Bm25Index.build(docs, options);
  const { stats, chunks } = index.split(24);
  const head = decodeHead(encodeHead({ stats, chunks: chunks.map((c, i) => ({ first: c.first, file: `c${i}`, bytes: c.bytes.length })) }), 'k');
  const files = splitTypoGroups(index.typoGroups(), 64);
  const entries = files.map((f, i) => ({ letter: f.letter, length: f.length, file: `t${i}`, bytes: f.bytes.length }));
  const typos = new ChunkedTypos(async () => entries, async (i) => decodeTypoFile(files[i]!.bytes, `t${i}`, entries[i]!, entries[i + 1] ?? null));
  return new ChunkedBm25(head, async (i) => decodeChunk(chunks[i]!.bytes, `c${i}`, docs.length, chunks[i]!.first, chunks[i + 1]?.first ?? null), typos);
}

const docs = ['Install the package with apt', 'Configure the service and restart it', 'The generator yields values lazily'];
const blog = ['We released the generator release notes', 'Packaging news: apt repository moved', 'Service restarts are faster', 'Generators explained'];

describe('several keyword indexes on one scale', () => {
  it('ranks across the indexes exactly as one index built over both', async () => {
    const merged = new MergedBm25([chunked(docs), chunked(blog)], ['docs', 'blog']);
    const one = Bm25Index.build([...docs, ...blog]);
    for (const query of ['generator', 'apt package', 'service restart', 'the generat', 'nothing here']) {
      expect(await merged.search(query, 10, { prefix: true })).toEqual(one.search(query, 10, { prefix: true }));
      expect(await merged.search(query, 10)).toEqual(one.search(query, 10));
    }
    expect(merged.docCount).toBe(7);
  });

  it('corrects a misspelled word as one index over both would: the words of both, their counts added', async () => {
    // "generators" is in one index, "generator" in both: the merged table counts 3 documents for it.
    const a = ['The generator yields values', 'A generators tutorial', 'Generators again: generators'];
    const b = ['One generator here', 'Another generator there'];
    const merged = new MergedBm25([chunked(a), chunked(b)], ['a', 'b']);
    const one = Bm25Index.build([...a, ...b]);
    for (const query of ['generatr values', 'genrators', 'the generatorr', 'anotherr genrator']) {
      for (const options of [{ typos: true }, { typos: true, prefix: true }, { typos: true, prefix: 'unknown-only' as const }]) {
        const [m, o] = [await merged.searchWithMatch(query, 10, options), one.searchWithMatch(query, 10, options)];
        expect(m.hits).toEqual(o.hits);
        expect(m.corrections).toEqual(o.corrections);
        expect(m.match).toEqual(o.match);
      }
    }
    expect((await merged.searchWithMatch('genrators', 10, { typos: true })).corrections).toEqual(['generators']);
  });

  it('merges weights and languages, and keeps a filter on merged ids', async () => {
    await loadLanguages(['de']);
    const a = { docs: ['Das Paket installieren', 'install the package'], languages: ['de', ''], weights: [1, 2] };
    const b = { docs: ['package news', 'Neue Pakete'], languages: ['', 'de'] };
    const merged = new MergedBm25([chunked(a.docs, { languages: a.languages, weights: a.weights }), chunked(b.docs, { languages: b.languages })], ['a', 'b']);
    const one = Bm25Index.build([...a.docs, ...b.docs], { languages: [...a.languages, ...b.languages], weights: [...a.weights, 1, 1] });
    for (const [query, language] of [['package', 'en'], ['Pakete', 'de'], ['package', undefined]] as const) {
      expect(await merged.search(query, 10, { language })).toEqual(one.search(query, 10, { language }));
    }
    expect(await merged.search('package', 10, { filter: (doc) => doc >= 2 })).toEqual(one.search('package', 10, { filter: (doc) => doc >= 2 }));
  });

  it('refuses indexes analysed differently, naming them', () => {
    expect(() => new MergedBm25([chunked(docs), chunked(blog, { stem: false })], ['docs/manifest.json', 'blog/manifest.json'])).toThrow(
      /blog\/manifest\.json was built with other keyword settings .* than docs\/manifest\.json/,
    );
    expect(() => new MergedBm25([chunked(docs), chunked(blog, { k1: 1.2 })], ['a', 'b'])).toThrow(/INDEX_MODEL_MISMATCH|other keyword settings/);
  });
});
