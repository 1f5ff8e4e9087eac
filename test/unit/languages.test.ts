import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { defaultModelSource } from '../../src/build/default-model';
import { Embedder } from '../../src/embed/embedder';
import { extractSite } from '../../src/extract/site';
import { fsLoader } from '../../src/index/node-files';
import { analyze, analyzePartial } from '../../src/search/analyzer';
import { Bm25Index, ChunkedBm25, decodeChunk, decodeHead, encodeHead } from '../../src/search/bm25';
import { language, languageCode, loadLanguages, segmentWords } from '../../src/search/languages';
import { SiteSearch } from '../../src/index/site-search';

beforeAll(() => loadLanguages(['de', 'fr']));

describe('languages', () => {
  it('reads a lang value as its primary subtag, English and unknown languages as the default', () => {
    expect(['de-CH', 'DE', 'nb', 'nn-NO', 'zh-Hant', 'ja', 'th', 'en', 'en-US', 'pl', '', ' fr '].map(languageCode)).toEqual(['de', 'de', 'no', 'no', 'zh', 'ja', 'th', '', '', '', '', 'fr']);
    expect(() => language('sv')).toThrow(/before loadLanguages/);
  });

  it('stems and drops stop words with the Snowball stemmer of the page\'s language', () => {
    const de = { language: language('de') };
    expect(analyze('Die Häuser und das Haus', de)).toEqual(['haus', 'haus']);
    expect(analyze('Generatoren liefern Werte', de)).toEqual(analyze('Generator liefern Wert', de));
    expect(analyze('Les maisons et la maison', { language: language('fr') })).toEqual(['maison', 'maison']);
    // English keeps its analysis: Porter, Lucene's stop words.
    expect(analyze('The houses')).toEqual(['hous']);
  });

  it('segments Chinese, Japanese, Korean and Thai into words with Intl.Segmenter', () => {
    expect(analyze('東京は日本の首都です', { language: language('ja') })).toEqual(['東京', 'は', '日本', 'の', '首都', 'です']);
    expect(segmentWords('北京是中国的首都', 'zh')).toEqual(['北京', '是', '中国', '的', '首都']);
    expect(segmentWords('서울은 한국의 수도입니다', 'ko')).toEqual(['서울은', '한국의', '수도입니다']);
    expect(segmentWords('กรุงเทพเป็นเมืองหลวง', 'th')).toEqual(['กรุงเทพ', 'เป็น', 'เมือง', 'หลวง']);
    // A word still being typed is the last one when the text ends inside it.
    expect(analyzePartial('東京は日本', { language: language('ja') })).toMatchObject({ terms: ['東京', 'は'], prefix: '日本' });
    expect(analyzePartial('東京は日本 ', { language: language('ja') }).prefix).toBeNull();
  });
});

describe('BM25 over pages in several languages', () => {
  const docs = ['The houses of a street', 'Die Häuser einer Straße', '東京は日本の首都です', 'A house'];
  const codes = ['', 'de', 'ja', ''];
  let index: Bm25Index;
  beforeAll(async () => {
    await loadLanguages(codes);
    index = Bm25Index.build(docs, { languages: codes });
  });

  it('reads each document and the query in their language, and returns only the query language\'s documents', () => {
    expect(index.search('Haus', 10, { language: 'de' }).map((h) => h.index)).toEqual([1]);
    expect(index.search('houses', 10, { language: 'en' }).map((h) => h.index).sort()).toEqual([0, 3]);
    expect(index.search('首都', 10, { language: 'ja-JP' }).map((h) => h.index)).toEqual([2]);
    // No language, or one the index does not hold: the analysis of the language most documents are in, every document.
    expect(index.search('house', 10).map((h) => h.index).sort()).toEqual([0, 3]);
    expect(index.search('house', 10, { language: 'pt' })).toEqual(index.search('house', 10));
    expect(index.language(undefined).code).toBe('');
  });

  it('reads a query without a language in the language most documents are in, not the first page\'s', () => {
    const germanFirst = Bm25Index.build(['Die Häuser einer Straße', 'The houses of a street', 'A house'], { languages: ['de', '', ''] });
    expect(germanFirst.language(undefined)).toMatchObject({ code: '', allowed: null });
    expect(germanFirst.search('houses', 10).map((h) => h.index).sort()).toEqual([1, 2]);
    expect(germanFirst.language('de').code).toBe('de');
    // A tie: the first language used.
    expect(Bm25Index.build(['Die Häuser', 'A house'], { languages: ['de', ''] }).language(undefined).code).toBe('de');
  });

  it('ships the languages in the head: the chunked index ranks as the whole one', async () => {
    const { stats, chunks } = index.split(16);
    const head = decodeHead(encodeHead({ stats, chunks: chunks.map((c, i) => ({ first: c.first, file: `terms-${i}`, bytes: c.bytes.length })) }), 'keyword');
    expect(head.stats.languages).toEqual(['', 'de', 'ja']);
    expect([...head.stats.docLanguages!]).toEqual([0, 1, 2, 0]);
    const chunked = new ChunkedBm25(head, async (i) => decodeChunk(chunks[i]!.bytes, `terms-${i}`, docs.length, head.chunks[i]!.first, head.chunks[i + 1]?.first ?? null));
    for (const [query, lang] of [['Häuser', 'de'], ['house', 'en'], ['東京', 'ja'], ['hous', undefined], ['Straß', 'de-AT']] as const) {
      expect(await chunked.searchWithMatch(query, 10, { prefix: true, language: lang })).toEqual(index.searchWithMatch(query, 10, { prefix: true, language: lang }));
    }
    // An English-only index writes no languages (its head is as before).
    expect(decodeHead(encodeHead({ stats: Bm25Index.build(['a house']).split(64).stats, chunks: [] }), 'k').stats).toMatchObject({ languages: [''], docLanguages: null });
  });

  it('refuses a head whose languages are unknown or out of range (INDEX_INVALID)', () => {
    const { stats } = index.split(64);
    const bad = encodeHead({ stats: { ...stats, languages: ['', 'xx', 'ja'] }, chunks: [] });
    expect(() => decodeHead(bad, 'keyword')).toThrow(/keyword: language "xx" is not one this reader analyses/);
    const range = encodeHead({ stats: { ...stats, docLanguages: Uint8Array.of(0, 1, 7, 0) }, chunks: [] });
    expect(() => decodeHead(range, 'keyword')).toThrow(/out of range/);
  });
});

describe('a site in three languages', () => {
  let out: string;
  let embedder: Embedder;
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'sgpt-i18n-'));
    await buildSiteIndex({ site: 'test/fixtures/site-i18n', out });
    embedder = await Embedder.load(defaultModelSource());
  }, 120_000);
  afterAll(async () => {
    await embedder?.dispose();
    await rm(out, { recursive: true, force: true });
  });

  it('reads each page\'s lang', async () => {
    expect((await extractSite('test/fixtures/site-i18n')).map((p) => [p.url, p.lang])).toEqual([
      ['/de/', 'de-DE'],
      ['/', 'en'],
      ['/ja/', 'ja'],
    ]);
  });

  it('searches the asked language\'s pages; in a language the model does not know, the fused ranking is the keyword one', async () => {
    const site = await SiteSearch.open(fsLoader(out));
    const urls = (hits: Array<{ url: string }>) => hits.map((h) => h.url);
    expect(urls(await site.keywordSearch('Häuser', 5, 'de'))).toEqual(['/de/#haeuser']);
    expect(urls(await site.keywordSearch('Haus', 5, 'de'))).toEqual(['/de/#haeuser']);
    expect(urls(await site.keywordSearch('首都', 5, 'ja'))).toEqual(['/ja/#generator']);
    expect(urls(await site.keywordSearch('house', 5, 'en'))).toEqual(['/#houses']);
    // Highlights read the excerpt as the query's language: stemmed German, segmented Japanese.
    const marked = (hit: { excerpt: string; highlights: Array<[number, number]> }) => hit.highlights.map(([a, b]) => hit.excerpt.slice(a, b));
    expect(marked((await site.keywordSearch('Haus', 5, 'de'))[0]!)).toEqual(['Häuser', 'Haus']);
    expect(marked((await site.keywordSearch('首都', 5, 'ja'))[0]!)).toEqual(['首都']);
    for (const [query, lang] of [['Generatoren', 'de'], ['ジェネレーター', 'ja']] as const) {
      const vector = (await embedder.embed([query], 'query')).vectors;
      const fused = await site.semanticSearch(query, vector, { language: lang, limit: 5 });
      expect(urls(fused)).toEqual(urls(await site.keywordSearch(`${query} `, 5, lang)));
      expect(fused.every((h) => h.url.startsWith(lang === 'de' ? '/de/' : '/ja/'))).toBe(true);
    }
    // English queries fuse the dense list, over English sections only.
    const vector = (await embedder.embed(['lazy sequences of values'], 'query')).vectors;
    const english = await site.semanticSearch('lazy sequences of values', vector, { language: 'en', limit: 5 });
    expect(english.length).toBeGreaterThan(0);
    expect(english.every((h) => !h.url.startsWith('/de/') && !h.url.startsWith('/ja/'))).toBe(true);
  });
});
