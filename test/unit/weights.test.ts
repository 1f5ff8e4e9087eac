import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex } from '../../src/build/site-build';
import { extractPage } from '../../src/extract/html';
import { fsLoader } from '../../src/index/node-files';
import { SiteSearch } from '../../src/index/site-search';
import { keywordTexts, sectionInfo } from '../../src/index/page-source';
import { textHash, writeKeyword, writeSections, type AddFile } from '../../src/index/writer';
import { Bm25Index, ChunkedBm25, decodeChunk, decodeHead, encodeHead } from '../../src/search/bm25';
import { DocumentSearch } from '../../src/search/document-search';
import { promoteExactTitles } from '../../src/search/ranking';
import { isPageHead } from '../../src/search/texts';
import { keywordText } from '../../src/search/texts';

const PLAIN = `<!doctype html><html lang="en"><head><title>Guide</title></head><body><main>
<h1 id="top">Guide</h1><p>Install the package with apt, then configure it.</p>
<h2 id="config">Configuration</h2><p>Edit the configuration file and restart the service.</p>
<h2 id="faq">Questions</h2><p>Why does the service not start? Check the log.</p>
</main></body></html>`;

/** Every keyword and section file a build writes for `html`, as one digest. */
async function keywordDigest(html: string, names = true): Promise<string> {
  const pages = [extractPage(html, '/guide.html')];
  const hash = createHash('sha256');
  const add: AddFile = async (stem, ext, content) => {
    hash.update(`${stem}.${ext}:`).update(content);
    return { name: `${stem}.${ext}`, bytes: content.length } as never;
  };
  const { langs } = await sectionInfo(pages, textHash);
  const entries = [];
  for await (const entry of keywordTexts(pages)) entries.push(names ? entry : { ...entry, names: [] });
  await writeKeyword(entries, add, langs);
  await writeSections(pages, 240, add);
  return hash.digest('hex');
}

describe('a site without weights or aliases', () => {
  it('writes the same keyword and section bytes as before weights existed', async () => {
    // Format version 6's section buckets list their text files (the keyword bytes are unchanged),
    // and the keyword index holds the titles' name keys (src/search/title-names): without them,
    // the same bytes as before.
    expect(await keywordDigest(PLAIN, false)).toBe('6ac5c9b924543068b8dac51da6e3d7ec97f5bd11076e0586d3a2847a24cda207');
    expect(await keywordDigest(PLAIN)).toBe('d2f5910c82edd49e0b12566d226a8acf8f09ba0463b7e3da98ce0f892dddac18');
  });
});

describe('weights on the scorer', () => {
  const docs = ['install the package', 'install the package', 'configure the service'];

  it('multiplies a document\'s BM25 score by its weight, and only its own', () => {
    const plain = Bm25Index.build(docs).search('install', 3);
    const weighted = Bm25Index.build(docs, { weights: [1, 2.5, 1] }).search('install', 3);
    expect(plain.map((h) => h.index)).toEqual([0, 1]); // a tie: the lower position first
    expect(weighted.map((h) => h.index)).toEqual([1, 0]);
    expect(weighted[0]!.score).toBeCloseTo(plain[0]!.score * 2.5, 12);
    expect(weighted[1]!.score).toBeCloseTo(plain[0]!.score, 12);
  });

  it('keeps the query ceiling above any weighted score (fusion strength stays below 1)', () => {
    const { hits, match } = Bm25Index.build(docs, { weights: [1, 50, 1] }).searchWithMatch('install package', 3);
    expect(hits[0]!.score).toBeLessThan(match.ceiling);
  });

  it('writes weights in the head only when one differs from 1, and reads them back', () => {
    const none = Bm25Index.build(docs).split(64).stats;
    const ones = Bm25Index.build(docs, { weights: [1, 1, 1] }).split(64).stats;
    expect(ones.docWeights).toBeNull();
    expect(encodeHead({ stats: ones, chunks: [] })).toEqual(encodeHead({ stats: none, chunks: [] }));
    const stats = Bm25Index.build(docs, { weights: [1, 3, 0.5] }).split(64).stats;
    const back = decodeHead(encodeHead({ stats, chunks: [] }), 'k').stats;
    expect([...back.docWeights!]).toEqual([1, 3, 0.5]);
  });

  it('scores the same in memory and from chunks', async () => {
    const index = Bm25Index.build(docs, { weights: [1, 4, 2] });
    const { stats, chunks } = index.split(16);
    const head = decodeHead(encodeHead({ stats, chunks: chunks.map((c, i) => ({ first: c.first, file: `c${i}`, bytes: c.bytes.length })) }), 'k');
    const chunked = new ChunkedBm25(head, async (i) => decodeChunk(chunks[i]!.bytes, `c${i}`, docs.length, chunks[i]!.first, chunks[i + 1]?.first ?? null));
    expect(await chunked.search('the service install', 3)).toEqual(index.search('the service install', 3));
  });

  it('refuses a bad weight at build time and a corrupt one in a head', () => {
    for (const weight of [0, -2, Number.NaN, Infinity, 101]) {
      expect(() => Bm25Index.build(docs, { weights: [1, weight, 1] })).toThrow(/document 1 has weight .* must be a number > 0 and ≤ 100/);
    }
    const bytes = encodeHead({ stats: Bm25Index.build(docs, { weights: [1, 2, 1] }).split(64).stats, chunks: [] });
    // The float64 of 2 (00 00 00 00 00 00 00 40) made -2.
    const at = bytes.findLastIndex((b, i) => b === 0x40 && bytes[i - 1] === 0);
    const bad = bytes.slice();
    bad[at] = 0xc0;
    expect(() => decodeHead(bad, 'keyword.bm25')).toThrow(/keyword\.bm25: document 1 has weight -2/);
  });
});

describe('weights and aliases in HTML', () => {
  const page = (body: string, head = '') => extractPage(`<html><head><title>P</title>${head}</head><body><main>${body}</main></body></html>`, '/p.html');

  it('gives a section the weight of the innermost data-sgpt-weight around its heading', () => {
    const { sections } = page(`<h1>Intro</h1><p>a</p>
      <div data-sgpt-weight="2"><h2 id="x">X</h2><p>b</p><div data-sgpt-weight="0.5"><h3 id="y">Y</h3><p>c</p></div><h3 id="z">Z</h3><p>d</p></div>
      <h2 id="w" data-sgpt-weight="3">W</h2><p>e</p><h2 id="v">V</h2><p>f</p>`);
    expect(sections.map((s) => [s.title, s.weight ?? 1])).toEqual([['Intro', 1], ['X', 2], ['Y', 0.5], ['Z', 2], ['W', 3], ['V', 1]]);
    expect(page('<h1>T</h1><p>x</p>').sections[0]).not.toHaveProperty('weight');
    expect(extractPage('<body data-sgpt-weight="4"><h1>T</h1><p>x</p></body>', '/b.html').sections[0]!.weight).toBe(4);
  });

  it('refuses a weight that is not a number > 0 and ≤ 100, naming the page', () => {
    for (const bad of ['', 'heavy', '0', '-1', '1e9', '200']) {
      expect(() => page(`<h1 data-sgpt-weight="${bad}">T</h1>`)).toThrow(/\/p\.html: data-sgpt-weight: weight .* must be a number > 0 and ≤ 100/);
    }
  });

  it('gives aliases to the section they sit in (or the heading opens), and the page\'s to its first section', () => {
    const { sections } = page(`<h1>Intro</h1><p>a</p><h2 id="venv" data-sgpt-keywords="virtualenv, venv ">Environments</h2><p>b <span data-sgpt-keywords="sandbox">c</span></p>`, '<meta name="sgpt-keywords" content="overview,  start">');
    expect(sections.map((s) => s.keywords)).toEqual([['overview', 'start'], ['virtualenv', 'venv', 'sandbox']]);
    expect(page('<h1>T</h1><p>x</p>').sections[0]).not.toHaveProperty('keywords');
  });

  it('makes aliases count like title words in the keyword text', () => {
    expect(keywordText({ title: 'Environments', text: 'body', keywords: ['virtualenv', 'python venv'] })).toBe('Environments Environments virtualenv python venv virtualenv python venv body');
    expect(keywordText({ title: 'T', text: 'body', keywords: [] })).toBe('T T body');
  });
});

describe('a weighted alias in a built site', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sgpt-weights-'));
    const site = join(dir, 'site');
    await mkdir(site);
    const html = (title: string, body: string) => `<!doctype html><html lang="en"><head><title>${title}</title></head><body><main><h1 id="top">${title}</h1>${body}</main></body></html>`;
    await writeFile(join(site, 'a.html'), html('Sandboxes', '<p>A sandbox isolates a sandbox from the sandbox host; the sandbox is cheap.</p>'));
    await writeFile(join(site, 'b.html'), html('Environments', '<p data-sgpt-keywords="sandbox">Create an isolated environment for each project.</p>').replace('<main>', '<main data-sgpt-weight="3">'));
    await writeFile(join(site, 'c.html'), html('Other', '<p>Nothing about it.</p>'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('ranks the weighted alias first through the site index', async () => {
    const out = join(dir, 'out');
    await buildSiteIndex({ site: join(dir, 'site'), out, model: 'test/fixtures/models/tiny-gpt2' });
    const site = await SiteSearch.open(fsLoader(out));
    expect((await site.keywordSearch('sandbox', 5)).map((h) => h.url)).toEqual(['/b.html#top', '/a.html#top']);
  });
});

describe('the exact-title boost', () => {
  const page = (h: { t: string }) => ({ title: h.t, pageHead: true });
  const section = (h: { t: string }) => ({ title: h.t, pageHead: false });
  const hits = [{ t: 'Reading files' }, { t: 'json — JSON encoder' }, { t: 'JSON' }, { t: 'Json!' }];
  it('moves results titled as the query, word for word, to the front in their order', () => {
    expect(promoteExactTitles(hits, 'json', page).map((h) => h.t)).toEqual(['json — JSON encoder', 'JSON', 'Json!', 'Reading files']);
    expect(promoteExactTitles([{ t: 'json.dumps()' }, { t: 'Café' }], ' cafe ', page).map((h) => h.t)).toEqual(['Café', 'json.dumps()']);
    expect(promoteExactTitles([{ t: 'a' }, { t: 'json.dumps()' }], 'JSON dumps', page).map((h) => h.t)).toEqual(['json.dumps()', 'a']);
  });
  it("then moves results whose title is a dotted name ending in the query: an API's bare name finds its qualified entry", () => {
    const api = [{ t: 'Flushing' }, { t: 'Session.flush' }, { t: 'flush' }, { t: 'Connection.flush()' }, { t: 'flush the session' }, { t: 'sqlalchemy.orm.Session.flush' }];
    expect(promoteExactTitles(api, 'flush', page).map((h) => h.t)).toEqual(['flush', 'Session.flush', 'Connection.flush()', 'sqlalchemy.orm.Session.flush', 'Flushing', 'flush the session']);
    expect(promoteExactTitles(api, 'Session.flush', page).map((h) => h.t)).toEqual(['Session.flush', 'Flushing', 'flush', 'Connection.flush()', 'flush the session', 'sqlalchemy.orm.Session.flush']);
    // Not for a question: "how do I copy a file?" asks about copying, not about distutils' copy_file().
    expect(promoteExactTitles(api, 'flush', page, new Map(), true).map((h) => h.t)).toEqual(['flush', 'Flushing', 'Session.flush', 'Connection.flush()', 'flush the session', 'sqlalchemy.orm.Session.flush']);
    expect(promoteExactTitles([{ t: 'a' }, { t: 'stat_result.st_size' }], 'st_size', page).map((h) => h.t)).toEqual(['stat_result.st_size', 'a']);
    // Only a title that is a dotted name as a whole: not a version, not a sentence.
    const prose = [{ t: 'a' }, { t: 'Python 3.11' }, { t: 'Use e.g. pathlib' }, { t: 'os.path and more' }];
    expect(promoteExactTitles(prose, '11', page)).toEqual(prose);
    expect(promoteExactTitles(prose, 'pathlib', page)).toEqual(prose);
    expect(promoteExactTitles(prose, 'more', page)).toEqual(prose);
  });
  it('reads a title "name — what it is" as naming its name, and puts a page so named before sections deeper in pages', () => {
    // Python's docs: the json module's page, and a "json" section in each What's New.
    const whatsNew = [{ t: 'Reading files', top: false }, { t: 'json', top: false }, { t: 'json — JSON encoder and decoder', top: true }, { t: 'json', top: false }];
    const seen = (h: { t: string; top: boolean }) => ({ title: h.t, pageHead: h.top });
    expect(promoteExactTitles(whatsNew, 'json', seen).map((h) => `${h.t}${h.top ? ' (page)' : ''}`)).toEqual([
      'json — JSON encoder and decoder (page)', 'json', 'json', 'Reading files',
    ]);
    // Past TITLED_SECTIONS_FIRST, sections titled as the query keep their places; pages so titled do not.
    const many = [{ t: 'other', top: false }, ...Array.from({ length: 5 }, () => ({ t: 'json', top: false })), { t: 'json', top: true }];
    expect(promoteExactTitles(many, 'json', seen).map((h) => `${h.t}${h.top ? ' (page)' : ''}`)).toEqual([
      'json (page)', 'json', 'json', 'json', 'other', 'json', 'json',
    ]);
    // A section exactly titled is still before one titled otherwise; en dashes too; the name may be dotted.
    const named = [{ t: 'x' }, { t: 'os.path – Common pathname manipulations' }, { t: 'CREATE TABLE — define a new table' }];
    expect(promoteExactTitles(named, 'os.path', section).map((h) => h.t)).toEqual(['os.path – Common pathname manipulations', 'x', 'CREATE TABLE — define a new table']);
    expect(promoteExactTitles(named, 'path', section).map((h) => h.t)).toEqual(['os.path – Common pathname manipulations', 'x', 'CREATE TABLE — define a new table']);
    expect(promoteExactTitles(named, 'create table', section).map((h) => h.t)).toEqual(['CREATE TABLE — define a new table', 'x', 'os.path – Common pathname manipulations']);
    // What it is is not its name; a dash inside a word is not the separator.
    expect(promoteExactTitles(named, 'define a new table', section)).toEqual(named);
    // Each of a definition's aliases names it.
    const aliases = [{ t: 'x' }, { t: 'winreg.OpenKey, winreg.OpenKeyEx' }];
    expect(promoteExactTitles(aliases, 'winreg.OpenKeyEx', section).map((h) => h.t)).toEqual(['winreg.OpenKey, winreg.OpenKeyEx', 'x']);
    expect(promoteExactTitles(aliases, 'OpenKeyEx', section).map((h) => h.t)).toEqual(['winreg.OpenKey, winreg.OpenKeyEx', 'x']);
    expect(promoteExactTitles([{ t: 'a' }, { t: 'x—y' }], 'x', section)).toEqual([{ t: 'a' }, { t: 'x—y' }]);
  });
  it('puts a title that is the question as asked before those naming what it asks about', () => {
    // The Rust book: "What Is Ownership?" is a chapter; "Ownership" the first edition's stub page.
    const book = [{ t: 'Ownership', top: true }, { t: 'Return Values and Scope', top: false }, { t: 'What Is Ownership?', top: false }];
    const seen = (h: { t: string; top: boolean }) => ({ title: h.t, pageHead: h.top });
    expect(promoteExactTitles(book, 'ownership', seen, new Map(), true, 'what is ownership').map((h) => h.t)).toEqual(['What Is Ownership?', 'Ownership', 'Return Values and Scope']);
    // Without the question as asked (or for a query that is no question) the subject alone decides.
    expect(promoteExactTitles(book, 'ownership', seen, new Map(), true).map((h) => h.t)).toEqual(['Ownership', 'Return Values and Scope', 'What Is Ownership?']);
    expect(promoteExactTitles(book, 'what is ownership', seen).map((h) => h.t)).toEqual(['What Is Ownership?', 'Ownership', 'Return Values and Scope']);
  });

  it('leaves the order when no title is the query, or the query has no words', () => {
    expect(promoteExactTitles(hits, 'read json', page)).toEqual(hits);
    expect(promoteExactTitles([{ t: '' }, { t: 'x' }], ' ?! ', page)).toEqual([{ t: '' }, { t: 'x' }]);
  });
  it('ranks an exactly titled document first in the in-page search, past more frequent mentions', () => {
    const search = new DocumentSearch([
      { id: 'a', title: 'Logging cookbook', text: 'logging logging logging handlers and logging formatters for logging' },
      { id: 'b', title: 'Logging', text: 'The module that writes logs.' },
    ]);
    expect(search.keywordSearch('logging', 2).map((h) => h.doc)).toEqual([1, 0]);
  });
  it("takes a page's top section for the page only when it is titled as the page: a heading many pages share is a section", () => {
    // SQLite's C reference: each page opens with the shared <h2>SQLite C Interface</h2> (no text),
    // then its own title. Ranked below the page that introduces the interface, only the first
    // TITLED_SECTIONS_FIRST (3) of them move before it, not all 255.
    const section = (title: string, pageTitle: string, headingPath = [title]) => ({ title, pageTitle, headingPath });
    const ranked = [section('Introduction', 'Introduction'), ...Array.from({ length: 5 }, (_, i) => section('SQLite C Interface', `Function ${i}`)), section('Function 4', 'Function 4')];
    const seen = (hit: (typeof ranked)[number]) => ({ title: hit.title, pageHead: isPageHead(hit.title, hit.pageTitle, hit.headingPath) });
    const shown = (query: string) => promoteExactTitles(ranked, query, seen).map((hit) => `${hit.title} (${hit.pageTitle})`);
    expect(shown('SQLite C Interface')).toEqual([
      'SQLite C Interface (Function 0)', 'SQLite C Interface (Function 1)', 'SQLite C Interface (Function 2)', 'Introduction (Introduction)',
      'SQLite C Interface (Function 3)', 'SQLite C Interface (Function 4)', 'Function 4 (Function 4)',
    ]);
    // A page titled as the query is the page: first, however low it ranked.
    expect(shown('function 4')[0]).toBe('Function 4 (Function 4)');
    expect(isPageHead('Function 4', 'Function 4', ['Function 4', 'Details'])).toBe(false);
    // In the in-page search a document is a page; a site section (eval's corpora) is one only when titled as its page.
    const search = new DocumentSearch([
      { id: 'label', title: 'Interface', text: 'interface', place: { pageTitle: 'Function 0', headingPath: ['Interface'] } },
      { id: 'x', title: 'Notes', text: 'interface interface' },
      { id: 'page', title: 'Interface', text: 'about it', place: { pageTitle: 'Interface', headingPath: ['Interface'] } },
    ]);
    expect(search.keywordSearch('interface', 3).map((h) => h.doc)[0]).toBe(2);
  });
  it('reads a misspelled word as its first correction, as the keyword search read it', () => {
    const titles = [{ t: 'Lock objects' }, { t: 'threading.Lock' }, { t: 'Threads' }];
    const corrected = new Map([['threding', ['threading', 'threaded']]]);
    expect(promoteExactTitles(titles, 'threding lock', page, corrected).map((h) => h.t)).toEqual(['threading.Lock', 'Lock objects', 'Threads']);
    // Only the first correction stands for the word: the others are looser guesses.
    expect(promoteExactTitles([{ t: 'a' }, { t: 'threaded lock' }], 'threding lock', page, corrected)).toEqual([{ t: 'a' }, { t: 'threaded lock' }]);
    expect(promoteExactTitles(titles, 'threding lock', page)).toEqual(titles);
  });
  it('puts the same exactly titled document first for a misspelled query as for the right spelling', () => {
    const search = new DocumentSearch([
      { id: 'a', title: 'Decorator patterns', text: 'a decorator wraps a decorator; decorator decorator decorators everywhere' },
      { id: 'b', title: 'decorator', text: 'A function returning another function, applied with @.' },
    ]);
    const right = search.keywordSearch('decorator', 2).map((h) => h.doc);
    expect(right).toEqual([1, 0]);
    expect(search.keywordSearch('decorater', 2).map((h) => h.doc)).toEqual(right);
  });
});
