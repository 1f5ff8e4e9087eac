/**
 * Name keys (src/search/title-names): what a title names, how the keyword index holds it (terms no
 * query term can be, outside every length and completion), and that a section titled as the query
 * is found and shown first however low BM25 ranks it: in memory, from a site index's chunks, in the
 * fused ranking and in the in-page search.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex } from '../../src/build/site-build';
import { extractSite } from '../../src/extract/site';
import { fsLoader } from '../../src/index/node-files';
import { SiteSearch } from '../../src/index/site-search';
import { Bm25Index, ChunkedBm25, MAX_NAMED, decodeChunk, decodeHead, encodeHead } from '../../src/search/bm25';
import { DocumentSearch } from '../../src/search/document-search';
import { DEFAULT_FUSION } from '../../src/search/fusion';
import { KEYWORD_SEARCH } from '../../src/search/ranking';
import { MAX_TITLE_NAMES, isNameKey, nameKeys, queryNameKeys, queryReadings } from '../../src/search/title-names';

describe('name keys', () => {
  it("a title's words, its name before a dash, and a dotted name's last part, each marked by how it names", () => {
    expect(nameKeys('json — JSON encoder and decoder', true)).toEqual(['json json encoder and decoder\u0001', 'json\u0001']);
    expect(nameKeys('os.path – Common pathname manipulations', false)).toEqual(['os path common pathname manipulations\u0002', 'os path\u0002', 'path\u0003']);
    expect(nameKeys('Session.flush()', false)).toEqual(['session flush\u0002', 'flush\u0003']);
    expect(nameKeys('Option::unwrap_or', false)).toEqual(['option unwrap or\u0002', 'unwrap or\u0003']);
    // A definition's aliases: each name; a list with spaces in its parts is a phrase, not names.
    expect(nameKeys('os.execl, os.execv', false)).toEqual(['os execl os execv\u0002', 'os execl\u0002', 'os execv\u0002', 'execl\u0003', 'execv\u0003']);
    expect(nameKeys('Lists, tuples and sets', true)).toEqual(['lists tuples and sets\u0001']);
    // A hostile heading of thousands of names adds no more keys than a sentence.
    expect(nameKeys(Array.from({ length: 5000 }, (_, i) => `n${i}`).join(', '), false)).toEqual([]);
    expect(nameKeys(Array.from({ length: MAX_TITLE_NAMES }, (_, i) => `n${i}`).join(', '), false)).toHaveLength(MAX_TITLE_NAMES);
    expect(nameKeys('Café', true)).toEqual(['cafe\u0001']);
    // A section number is not part of the name; a version or a count is.
    expect(nameKeys('5.5. Dictionaries', false)).toEqual(['5 5 dictionaries\u0002', 'dictionaries\u0002']);
    expect(nameKeys('8. Errors and Exceptions', true)).toEqual(['8 errors and exceptions\u0001', 'errors and exceptions\u0001']);
    expect(nameKeys('Python 3.11', true)).toEqual(['python 3 11\u0001']);
    expect(nameKeys('3 ways', true)).toEqual(['3 ways\u0001']);
    // A sentence is no name; nor is a title without words.
    expect(nameKeys('How to read a file line by line in Python', false)).toEqual([]);
    expect(nameKeys('?!', true)).toEqual([]);
  });

  it('a query looks up its words as typed and as corrected, under every mark; none past six words', () => {
    const keys = queryNameKeys(queryReadings('threding lock', new Map([['threding', ['threading', 'threaded']]])));
    expect(keys).toEqual(['threding lock\u0001', 'threding lock\u0002', 'threding lock\u0003', 'threading lock\u0001', 'threading lock\u0002', 'threading lock\u0003']);
    expect(queryNameKeys(queryReadings('one two three four five six seven'))).toEqual([]);
    expect(queryNameKeys(queryReadings(' ?! '))).toEqual([]);
    expect(keys.every(isNameKey)).toBe(true);
    expect(isNameKey('json')).toBe(false);
  });
});

/** `n` sections that say `word` often, then one titled as `word` that says it once. */
function crowd(word: string, n: number) {
  const docs = Array.from({ length: n }, (_, i) => ({ id: `d${i}`, title: `Note ${i}`, text: `${word} ${word} ${word} and ${word} in use ${i}` }));
  return [...docs, { id: 'named', title: `${word} — what it is`, text: `A long introduction that names ${word} once among many other words about many other things entirely.` }];
}

describe('the keyword index and name keys', () => {
  const docs = crowd('pathlib', 30);
  const texts = docs.map((d) => `${d.title} ${d.title} ${d.text}`);
  const names = docs.map((d) => nameKeys(d.title, true));
  const plain = Bm25Index.build(texts);
  const named = Bm25Index.build(texts, {}, names);

  it('scores every document as an index without them (lengths, df, prefixes unchanged)', () => {
    for (const query of ['pathlib', 'pathl', 'what it is', 'introduction']) {
      expect(named.search(query, 40, { prefix: true })).toEqual(plain.search(query, 40, { prefix: true }));
    }
    expect(named.searchWithMatch('pathlib', 5).named).toEqual([]); // only when asked
  });

  it('finds the document titled as the query past the top k, with its score, and respects the filter', () => {
    const result = named.searchWithMatch('pathlib', 5, { names: true });
    expect(result.hits.map((h) => h.index)).not.toContain(30);
    expect(result.named).toEqual([{ index: 30, score: plain.search('pathlib', 40).find((h) => h.index === 30)!.score }]);
    expect(named.searchWithMatch('pathlib', 5, { names: true, filter: (doc) => doc !== 30 }).named).toEqual([]);
    // Misspelled: read as its correction.
    expect(named.searchWithMatch('pathlb', 5, { names: true, typos: true }).named.map((h) => h.index)).toEqual([30]);
  });

  it('the same from the chunks of a split index, which fetches the name keys\' chunks', async () => {
    const { stats, chunks } = named.split(64);
    const head = decodeHead(encodeHead({ stats, chunks: chunks.map((c, i) => ({ first: c.first, file: `c${i}`, bytes: c.bytes.length })) }), 'head');
    const chunked = new ChunkedBm25(head, async (i) => decodeChunk(chunks[i]!.bytes, `c${i}`, docs.length, chunks[i]!.first, chunks[i + 1]?.first ?? null));
    expect(chunks.length).toBeGreaterThan(2);
    for (const query of ['pathlib', 'pathl', 'what it is']) {
      const whole = named.searchWithMatch(query, 5, KEYWORD_SEARCH);
      expect(await chunked.searchWithMatch(query, 5, KEYWORD_SEARCH)).toEqual(whole);
    }
  });

  it(`keeps at most MAX_NAMED, a page's own title before a section's, then dotted names`, () => {
    const many = [
      ...Array.from({ length: MAX_NAMED + 3 }, (_, i) => ({ title: 'flush', text: `section ${i}`, top: false })),
      { title: 'Session.flush', text: 'a method', top: false },
      { title: 'flush — write what is pending', text: 'the page', top: true },
    ];
    const index = Bm25Index.build(many.map((d) => `${d.title} ${d.text}`), {}, many.map((d) => nameKeys(d.title, d.top)));
    const found = index.searchWithMatch('flush', 3, { names: true }).named.map((h) => h.index);
    expect(found).toHaveLength(MAX_NAMED);
    expect(found[0]).toBe(many.length - 1);
    expect(found).not.toContain(many.length - 2); // the dotted name comes after the full list
  });
});

/** A folder with `site/` (each page: file name -> [title, body]) and its index in `out/`, built with the tiny model. */
async function indexedSite(prefix: string, pages: Record<string, [string, string]>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(dir, 'site'), { recursive: true });
  for (const [file, [title, body]] of Object.entries(pages)) {
    await writeFile(join(dir, 'site', file), `<!doctype html><html lang="en"><head><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`);
  }
  await buildSiteIndex({ site: join(dir, 'site'), out: join(dir, 'out'), model: 'test/fixtures/models/tiny-gpt2', runtime: false, shipModel: false });
  return dir;
}

describe('a section titled as the query comes first, however low BM25 ranks it', () => {
  let dir: string;
  beforeAll(async () => {
    const whatsNew = Array.from({ length: 25 }, (_, i): [string, [string, string]] => [`whatsnew${i}.html`, [`What's new ${i}`, `<h2 id="pathlib">pathlib</h2><p>pathlib pathlib pathlib: Path gained a method in release ${i}.</p>`]]);
    dir = await indexedSite('title-names-', {
      ...Object.fromEntries(whatsNew),
      'pathlib.html': ['pathlib — Object-oriented filesystem paths', '<p>This module offers classes representing filesystem paths with semantics appropriate for different operating systems, and a great deal more prose that makes the section long.</p>'],
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The three paths over the site: its index (with a query vector that matches nothing in particular) and the in-page search of its sections. */
  async function paths() {
    const site = await SiteSearch.open(fsLoader(join(dir, 'out')));
    const vector = new Float32Array(site.manifest.model.dims).fill(0);
    vector[0] = 1;
    const sections = (await extractSite(join(dir, 'site'))).flatMap((p) => p.sections.map((s, i) => ({ id: `${p.url}#${i}`, title: s.title, text: s.text, place: { pageTitle: s.pageTitle, headingPath: s.headingPath } })));
    return { site, vector, sections, inPage: await DocumentSearch.open(sections) };
  }

  it('as you type, in the fused ranking, and in the in-page search', async () => {
    const { site, vector, sections, inPage } = await paths();
    const keyword = await site.keywordSearch('pathlib', 5);
    expect(keyword.map((h) => h.title)).toEqual(['pathlib — Object-oriented filesystem paths', 'pathlib', 'pathlib', 'pathlib', 'pathlib']);
    expect(keyword[0]!.url).toBe('/pathlib.html');
    expect(keyword).toHaveLength(5);
    // The page is not among BM25's first 20.
    expect((await site.keyword.search('pathlib', 20)).map((h) => h.index)).not.toContain(keyword[0]!.section);
    const fused = await site.semanticSearch('pathlib', vector, { limit: 5, fusion: DEFAULT_FUSION });
    expect(fused[0]!.url).toBe('/pathlib.html');
    expect(fused[0]!.score).toBeGreaterThan(0); // a fused candidate past the first 5 keeps its fused score
    expect(fused).toHaveLength(5);

    expect(sections[inPage.keywordSearch('pathlib', 5)[0]!.doc]!.title).toBe('pathlib — Object-oriented filesystem paths');
    expect(sections[inPage.rank('pathlib', [], DEFAULT_FUSION, 5)[0]!.doc]!.title).toBe('pathlib — Object-oriented filesystem paths');
  });

  it('reads a question as what it asks about, on every path: "what is pathlib?" names the module\'s page', async () => {
    const question = 'What is pathlib?';
    const { site, vector, sections, inPage } = await paths();
    expect((await site.keywordSearch(question, 5))[0]!.url).toBe('/pathlib.html');
    expect((await site.semanticSearch(question, vector, { limit: 5, fusion: DEFAULT_FUSION }))[0]!.url).toBe('/pathlib.html');
    expect(sections[inPage.keywordSearch(question, 5)[0]!.doc]!.title).toBe('pathlib — Object-oriented filesystem paths');
    expect(sections[inPage.rank(question, [], DEFAULT_FUSION, 5)[0]!.doc]!.title).toBe('pathlib — Object-oriented filesystem paths');
    // A statement is read whole: "pathlib is" names nothing.
    expect((await site.keywordSearch('pathlib is here', 5))[0]!.url).not.toBe('/pathlib.html');
  });
});

describe('a heading that is the question as asked comes before the title naming what it asks about', () => {
  let dir: string;
  beforeAll(async () => {
    const chapters = Array.from({ length: 20 }, (_, i): [string, [string, string]] => [`ch${i}.html`, [`Chapter ${i}`, `<p>Ownership ownership ownership: chapter ${i} moves ownership around.</p>`]]);
    dir = await indexedSite('title-names-asked-', {
      ...Object.fromEntries(chapters),
      'ownership.html': ['Ownership', '<p>The first edition of the book is no longer distributed.</p>'],
      'book.html': ['Understanding Ownership', '<p>Intro.</p><h2 id="what">What Is Ownership?</h2><p>A set of rules that govern how a program manages memory, with a good deal more prose after it.</p>'],
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('on every path: "what is ownership?" gives "What Is Ownership?", then the page "Ownership"', async () => {
    const question = 'what is ownership?';
    const site = await SiteSearch.open(fsLoader(join(dir, 'out')));
    const vector = new Float32Array(site.manifest.model.dims).fill(0);
    vector[0] = 1;
    expect((await site.keywordSearch(question, 2)).map((h) => h.title)).toEqual(['What Is Ownership?', 'Ownership']);
    expect((await site.semanticSearch(question, vector, { limit: 2, fusion: DEFAULT_FUSION })).map((h) => h.title)).toEqual(['What Is Ownership?', 'Ownership']);
    const sections = (await extractSite(join(dir, 'site'))).flatMap((p) => p.sections.map((s, i) => ({ id: `${p.url}#${i}`, title: s.title, text: s.text, place: { pageTitle: s.pageTitle, headingPath: s.headingPath } })));
    const inPage = await DocumentSearch.open(sections);
    expect(inPage.keywordSearch(question, 2).map((h) => sections[h.doc]!.title)).toEqual(['What Is Ownership?', 'Ownership']);
    expect(inPage.rank(question, [], DEFAULT_FUSION, 2).map((h) => sections[h.doc]!.title)).toEqual(['What Is Ownership?', 'Ownership']);
  });
});

describe('rustdoc members, titled as Rust names them', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'title-names-rustdoc-'));
    await buildSiteIndex({ site: 'test/fixtures/site-rustdoc', out: dir, model: 'test/fixtures/models/tiny-gpt2', runtime: false, shipModel: false });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds "Option::unwrap_or" by its type and name, and every unwrap_or by the name', async () => {
    const site = await SiteSearch.open(fsLoader(dir));
    expect((await site.keywordSearch('Option unwrap_or', 2)).map((h) => [h.title, h.url])).toEqual([
      ['Option::unwrap_or', '/option/enum.Option.html#method.unwrap_or'],
      ['Option::unwrap', '/option/enum.Option.html#method.unwrap'],
    ]);
    expect((await site.keywordSearch('unwrap_or', 2)).map((h) => h.title).sort()).toEqual(['Option::unwrap_or', 'Result::unwrap_or']);
    const [hit] = await site.keywordSearch('unwrap_or_else', 1);
    expect(hit).toMatchObject({ title: 'Option::unwrap_or_else' });
    expect(hit!.excerpt).toMatch(/^pub fn unwrap_or_else<F>\(self, f: F\) -> T Returns/);
  });
});
