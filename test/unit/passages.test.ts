import { beforeAll, describe, expect, it, vi } from 'vitest';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { buildSiteIndex } from '../../src/build/site-build';
import { Embedder } from '../../src/embed/embedder';
import { FORMAT_VERSION, inflateWithDictionary, parseBucket, parseTextFile, textDictionary, textOpening } from '../../src/index/format';
import { dequantize } from '../../src/index/int8';
import { fsLoader } from '../../src/index/node-files';
import type { FileLoader } from '../../src/index/reader';
import { SiteSearch } from '../../src/index/site-search';
import { DocumentSearch } from '../../src/search/document-search';
import { EXCERPT_SCAN, makeExcerpt, scannedText, winningWindows, type WindowFinder } from '../../src/search/excerpt';
import { embeddingText } from '../../src/search/texts';
import { chunkWindows } from '../../src/embed/chunk';
import { textBudget } from '../../src/embed/wrap';
import { asVersion4, asVersion5, asVersion6, readIndexDir, writeIndexDir, type IndexFiles } from '../older-formats';
import { sgptRejection, sgptThrow } from '../support';

const MODEL = 'test/fixtures/models/tiny-gpt2';

/** A long section (several model windows) whose start lacks the words asked for later. */
const KETTLE = Array.from({ length: 40 }, (_, i) => `Kettle note ${i}: fill the kettle with fresh water and let it boil before pouring.`).join(' ');
const CUPS = Array.from({ length: 40 }, (_, i) => `Cup rule ${i}: rinse each cup in warm water, then dry it on a clean cloth.`).join(' ');
const LONG = `${KETTLE} Oolong leaves open slowly, so steep oolong for four minutes. ${CUPS}`;
const SITE = `<!doctype html><html lang="en"><head><title>Tea</title></head><body><main>
<h1 id="tea">Tea</h1><p>${LONG}</p>
<h2 id="cups">Cups</h2><p>Warm the cups first.</p>
</main></body></html>`;

let site: string;
let out: string;
let embedder: Embedder;
const dirs: string[] = [];

beforeAll(async () => {
  site = await mkdtemp(join(tmpdir(), 'sgpt-passages-site-'));
  out = await mkdtemp(join(tmpdir(), 'sgpt-passages-'));
  dirs.push(site, out);
  await writeFile(join(site, 'tea.html'), SITE);
  await buildSiteIndex({ site, out, model: MODEL });
  embedder = await Embedder.load(MODEL);
  return async () => {
    await embedder.dispose();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  };
});


/** The fs loader, recording which files were read. */
function recording(dir: string): { load: FileLoader; read: string[] } {
  const read: string[] = [];
  const inner = fsLoader(dir);
  return { read, load: (name) => (read.push(name), inner(name)) };
}

const finder = (): WindowFinder => async (texts) => texts.map((text) => embedder.windows(text, 'document'));
const plain = (excerpt: string) => excerpt.replace(/^…|…$/g, '');

describe('makeExcerpt and winningWindows (pure)', () => {
  const text = `${'alpha '.repeat(100)}middle words here ${'omega '.repeat(100)}`;

  it('centres a text without the query words on the window that won, two thirds in (its centre of weight)', () => {
    const at = text.indexOf('middle');
    const excerpt = makeExcerpt(text, 'zzz', { max: 60, window: [at - 300, at + 150] });
    expect(excerpt).toContain('middle words here');
    expect(excerpt.startsWith('…') && excerpt.endsWith('…')).toBe(true);
    expect(makeExcerpt(text, 'zzz', { max: 60 })).toMatch(/^alpha/);
    // The query's words win over the window.
    expect(makeExcerpt(text, 'omega', { max: 60, window: [0, 100] })).toMatch(/^…words here omega/);
  });

  it('reads only the first EXCERPT_SCAN characters of a huge text: a match there is found, one past it is not, a window past it is ignored', () => {
    const filler = 'plain filler words. '.repeat(Math.ceil((EXCERPT_SCAN * 3) / 20));
    const huge = `${filler.slice(0, 5_000)} the kettle boils ${filler.slice(0, EXCERPT_SCAN)} the samovar hums ${filler}`;
    expect(huge.length).toBeGreaterThan(3 * EXCERPT_SCAN);
    const early = makeExcerpt(huge, 'kettle', { max: 60 });
    expect(early).toContain('the kettle boils');
    expect(early.startsWith('…') && early.endsWith('…')).toBe(true);
    expect(makeExcerpt(huge, 'kettle', { max: 60 })).toBe(`${makeExcerpt(huge.slice(0, EXCERPT_SCAN), 'kettle', { max: 60 })}`);
    // Past the scan: the start, as for a text without the word (and never a window beyond what is read).
    expect(makeExcerpt(huge, 'samovar', { max: 60 })).toMatch(/^plain filler words\..*…$/);
    expect(makeExcerpt(huge, 'samovar', { max: 60, window: [2 * EXCERPT_SCAN, 2 * EXCERPT_SCAN + 900] })).toMatch(/^plain filler words\..*…$/);
    // A text just within the scan ends without a cut mark when its end is shown.
    expect(makeExcerpt('short text, no cut', 'text')).toBe('short text, no cut');
    // A window across the cut: a whole excerpt, ending at the cut.
    const across = makeExcerpt(filler, 'samovar', { max: 160, window: [EXCERPT_SCAN - 2_000, EXCERPT_SCAN + 8_000] });
    expect(across.length).toBeGreaterThan(140);
    expect(across.endsWith('…')).toBe(true);
    // Never half of a surrogate pair at the cut.
    expect(scannedText(`${'a'.repeat(EXCERPT_SCAN - 1)}🍵 and more`)).toBe('a'.repeat(EXCERPT_SCAN - 1));
  });

  it("a cut text's last window is not the whole text's: the model's window there is not used", async () => {
    const find: WindowFinder = async (texts) => texts.map(() => [[0, 40], [30, 70], [40, 80]]);
    const item = (cut: boolean) => ({ text: 'x'.repeat(80), embedded: `T\n${'x'.repeat(80)}`, chunk: 2, chunks: 9, cut });
    expect(await winningWindows([item(false), item(true)], 'kettle', find)).toEqual([[38, 78], null]);
  });

  it('asks the finder only about texts the model ranked, of several windows, without the query words', async () => {
    const asked: string[][] = [];
    const find: WindowFinder = async (texts) => (asked.push(texts), texts.map(() => [[0, 30], [20, 60]]));
    const items = [
      { text: 'kettle and tea', embedded: 'T\nkettle and tea', chunk: 1 }, // has the word
      { text: 'x'.repeat(50), embedded: `T\n${'x'.repeat(50)}`, chunk: 1 }, // needs it
      { text: 'y'.repeat(50), embedded: `T\n${'y'.repeat(50)}` }, // not ranked by the model
      { text: 'z'.repeat(50), embedded: `T\n${'z'.repeat(50)}`, chunk: 0, chunks: 1 }, // one window
    ];
    const windows = await winningWindows(items, 'kettle', find);
    expect(asked).toEqual([[`T\n${'x'.repeat(50)}`]]);
    // [20, 60] of the embedded text, shifted past "T\n" into the text.
    expect(windows).toEqual([null, [18, 50], null, null]);
    expect(await winningWindows(items, 'kettle', null)).toEqual([null, null, null, null]);
  });
});

describe('Embedder.windows', () => {
  it('gives the character ranges of the rows embed makes, in order, covering the text', async () => {
    const text = embeddingText('Tea', ['Tea'], LONG);
    const windows = embedder.windows(text, 'document');
    const rows = (await embedder.embed([text], 'document')).rows;
    expect(windows).toHaveLength(rows);
    expect(rows).toBeGreaterThan(2);
    expect(windows[0]![0]).toBe(0);
    expect(windows.at(-1)![1]).toBe(text.length);
    for (let i = 1; i < windows.length; i++) {
      expect(windows[i]![0]).toBeGreaterThan(windows[i - 1]![0]);
      expect(windows[i]![0]).toBeLessThan(windows[i - 1]![1]); // windows overlap
    }
    // A window's characters are what its tokens decode to.
    const ids = embedder.tokenize(text);
    expect(embedder.tokenize(text.slice(0, windows[1]![0])).length).toBeLessThanOrEqual(ids.length);
    expect(embedder.windows('short text', 'document')).toEqual([[0, 10]]);
  });

  it('puts each edge where the decoded prefix ends (characters split between tokens included), without decoding every prefix', () => {
    const text = Array.from({ length: 150 }, (_, i) => `Tee ${i}: 茶を淹れる 🍵 — ça chauffe, Ωmega ${'ü'.repeat(i % 5)}𝔘.`).join(' ');
    const ids = embedder.tokenize(text);
    const decode = vi.spyOn(PreTrainedTokenizer.prototype, 'decode');
    const windows = embedder.windows(text, 'document');
    const decodedTokens = decode.mock.calls.reduce((sum, [part]) => sum + (part as number[]).length, 0);
    const tokenizer = decode.mock.contexts[0] as PreTrainedTokenizer;
    decode.mockRestore();
    // The reference: each edge's whole prefix decoded (what windows did before: quadratic).
    const options = { skip_special_tokens: false, clean_up_tokenization_spaces: false };
    const prefix = (n: number) => (n === 0 ? 0 : Math.min(text.length, tokenizer.decode(ids.slice(0, n), options).length));
    const edges = chunkWindows(ids.length, textBudget(embedder.settings, 'document'));
    expect(edges.length).toBeGreaterThan(3);
    expect(windows).toEqual(edges.map(([start, end]) => [prefix(start), prefix(end)]));
    expect(decodedTokens).toBeLessThan(3 * ids.length);
  });
});

describe('a site index of format version 6 and later', () => {
  it('shows the start at once and, from the hit\'s text file, the passage with the query\'s words', async () => {
    const { load, read } = recording(out);
    const search = await SiteSearch.open(load);
    expect(search.manifest.version).toBe(FORMAT_VERSION);
    const [quick] = await search.keywordSearch('oolong', 5, undefined, undefined, false);
    expect(quick!.excerpt).toMatch(/^Kettle note 0/);
    expect(quick!.excerpt).not.toContain('Oolong');
    expect(read.some((name) => name.startsWith('text-'))).toBe(false);
    const [hit] = await search.keywordSearch('oolong', 5);
    expect(hit!.excerpt.startsWith('…')).toBe(true);
    expect(hit!.highlights.map(([a, b]) => hit!.excerpt.slice(a, b))).toEqual(['Oolong', 'oolong']);
    // Only the hit's text file was read, once.
    const texts = read.filter((name) => name.startsWith('text-'));
    expect(texts).toHaveLength(1);
    await search.keywordSearch('oolong', 5);
    expect(read.filter((name) => name.startsWith('text-'))).toHaveLength(1);
  });

  it('centres a section ranked by meaning alone on the window whose embedding won', async () => {
    const search = await SiteSearch.open(fsLoader(out));
    const embedded = embeddingText('Tea', ['Tea'], LONG);
    const rows = await embedder.embed([embedded], 'document');
    // The tiny random model gives similar windows similar vectors: the winner is the window whose
    // stored (int8) row scores best, found here from the shard itself; a query where it is not the first.
    const shard = await search.reader.shard(0);
    const stored = dequantize(shard, shard.dims);
    const winner = (query: Float32Array) => {
      let best = -1;
      let bestScore = -Infinity;
      for (let r = 0; r < shard.rows; r++) {
        const score = query.reduce((sum, x, d) => sum + x * stored[r * shard.dims + d]!, 0);
        if (shard.owner[r] === 0 && score > bestScore) [best, bestScore] = [shard.window![r]!, score];
      }
      return best;
    };
    const queries = Array.from({ length: rows.rows }, (_, k) => rows.vectors.slice(k * rows.dims, (k + 1) * rows.dims));
    const vector = queries.find((q) => winner(q) > 0)!;
    const won = winner(vector);
    expect((await search.vectorSearch(vector, 1))[0]).toMatchObject({ section: 0, window: won });
    const [hit] = await search.semanticSearch('qqqzz', vector, { limit: 1, windows: finder() });
    expect(hit!.section).toBe(0);
    const [start, end] = embedder.windows(embedded, 'document')[won]!;
    const shift = embedded.length - LONG.length;
    const window = LONG.slice(start - shift, end - shift).replace(/\s+/g, ' ');
    expect(window).toContain(plain(hit!.excerpt));
    expect(hit!.excerpt.startsWith('…')).toBe(true);
    // Without a finder (or a window), the section's start.
    const [bare] = await search.semanticSearch('qqqzz', vector, { limit: 1 });
    expect(bare!.excerpt).toMatch(/^Kettle note 0/);
  });

  it('keeps a section\'s rows in window order when a rebuild reuses them', async () => {
    const again = await mkdtemp(join(tmpdir(), 'sgpt-passages-again-'));
    dirs.push(again);
    await buildSiteIndex({ site, out: again, model: MODEL });
    await writeFile(join(site, 'extra.html'), '<html><head><title>Extra</title></head><body><main><h1>Extra</h1><p>More.</p></main></body></html>');
    const summary = await buildSiteIndex({ site, out: again, model: MODEL });
    await rm(join(site, 'extra.html'));
    expect(summary.built.reused).toBeGreaterThan(0);
    const before = await (await SiteSearch.open(fsLoader(out))).reader.shard(0);
    const after = await (await SiteSearch.open(fsLoader(again))).reader.shard(0);
    const windowsOf = (shard: typeof before, section: number) => [...shard.owner].flatMap((o, r) => (o === section ? [shard.window![r]] : []));
    // The new page comes first (pages in path order): the long section is now section 1.
    expect(windowsOf(after, 1)).toEqual(windowsOf(before, 0));
    expect(windowsOf(after, 1).length).toBeGreaterThan(2);
  });

  it('refuses a bucket whose text files do not cover its sections, a text file of another version, and a text file of another count', () => {
    const ref = { name: 'sections-0.0123456789abcdef.json.gzip', bytes: 1, first: 0, count: 1 };
    const bucket = (texts: unknown) => ({ pages: [{ index: 0, url: '/a.html', title: 'A' }], sections: [{ page: 0, anchor: '', title: 'A', path: ['A'], excerpt: 'x' }], texts });
    const v6 = 'text-0.0123456789abcdef.json.dfl';
    const v5 = 'text-0.0123456789abcdef.json.gzip';
    const [info] = parseBucket(ref.name, bucket([{ name: v6, bytes: 9, count: 1 }]), ref, 7);
    expect(info!.text).toEqual({ file: { name: v6, bytes: 9, count: 1 }, index: 0, dictionary: textDictionary(['x']) });
    // Version 6: no file for sections with nothing after their openings.
    expect(parseBucket(ref.name, bucket([{ count: 1 }]), ref, 7)[0]!.text).toMatchObject({ file: null, index: 0 });
    expect(parseBucket(ref.name, bucket([{ name: v5, bytes: 9, count: 1 }]), ref, 5)[0]!.text).toEqual({ file: { name: v5, bytes: 9, count: 1 }, index: 0, dictionary: null });
    expect(sgptThrow(() => parseBucket(ref.name, bucket([{ name: v5, bytes: 9, count: 1 }]), ref, 7)).message).toMatch(/is not a version 7 text file/);
    expect(sgptThrow(() => parseBucket(ref.name, bucket([{ name: v6, bytes: 9, count: 1 }]), ref, 5)).message).toMatch(/is not a version 5 text file/);
    expect(sgptThrow(() => parseBucket(ref.name, bucket([{ count: 1 }]), ref, 5)).code).toBe('INDEX_INVALID');
    expect(sgptThrow(() => parseBucket(ref.name, bucket([{ name: v6, bytes: 9, count: 2 }]), ref, 7)).message).toMatch(/texts cover 2 sections, the bucket holds 1/);
    // Version 6 stores a heading path that ends with the section's title as the titles above it (`up`).
    const withUp = { ...bucket([{ count: 1 }]), sections: [{ page: 0, anchor: '', title: 'A', up: ['Guide'], excerpt: 'x' }] };
    expect(parseBucket(ref.name, withUp, ref, 7)[0]!.headingPath).toEqual(['Guide', 'A']);
    expect(sgptThrow(() => parseBucket(ref.name, { ...withUp, texts: undefined }, ref, 5)).message).toMatch(/sections\[0\]\.path must be an array of strings/);
    expect(sgptThrow(() => parseBucket(ref.name, bucket([{ name: '../x.json', bytes: 9, count: 1 }]), ref, 7)).code).toBe('INDEX_INVALID');
    expect(sgptThrow(() => parseTextFile('text-0.json.gzip', { texts: ['a', 'b'] }, 1)).message).toMatch(/holds 2 texts, its bucket lists 1/);
    expect(sgptThrow(() => parseTextFile('text-0.json.gzip', { texts: [1] }, 1)).code).toBe('INDEX_INVALID');
  });

  it('deflates a text file against its bucket\'s openings and inflates it back; a broken or truncated stream is named', async () => {
    const dictionary = textDictionary(['Kettle note 0: fill the kettle', 'Cups']);
    const content = new TextEncoder().encode(JSON.stringify({ texts: [' with fresh water, fill the kettle again', ''] }));
    const stored = deflateRawSync(content, { dictionary });
    expect(stored.length).toBeLessThan(deflateRawSync(content).length); // the openings' words are found in the dictionary
    expect(new TextDecoder().decode(await inflateWithDictionary('t.json.dfl', stored, dictionary))).toBe(new TextDecoder().decode(content));
    for (const broken of [stored.subarray(0, stored.length - 3), Uint8Array.from([0xff, 0xff, 0xff, 0xff]), new Uint8Array(0)]) {
      const error = await sgptRejection(inflateWithDictionary('text-3.0123456789abcdef.json.dfl', broken, dictionary));
      expect(error.code).toBe('INDEX_INVALID');
      expect(error.message).toMatch(/^text-3\.0123456789abcdef\.json\.dfl: is not valid deflate data/);
    }
    // The dictionary is the openings' last 32 KiB: deflate reaches no further back.
    expect(textDictionary(['a'.repeat(40_000), 'b']).length).toBe(32 * 1024);
    expect(textOpening('Cut here…')).toBe('Cut here');
    expect(textOpening('Whole')).toBe('Whole');
  });

  it('names a text file that is missing when a hit needs it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-missing-'));
    dirs.push(dir);
    await buildSiteIndex({ site, out: dir, model: MODEL });
    const search = await SiteSearch.open(fsLoader(dir));
    const [info] = await search.reader.allSections();
    await rm(join(dir, info!.text!.file!.name));
    // The start needs no text file; the passage names the one it needs.
    expect(await search.keywordSearch('oolong', 5, undefined, undefined, false)).toHaveLength(1);
    const error = await sgptRejection(search.keywordSearch('oolong', 5));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toContain(info!.text!.file!.name);
  });

  it('lets a rebuild reuse vectors by the 16 hex digits of each text hash it keeps, and embed a changed text again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-rehash-'));
    const changed = await mkdtemp(join(tmpdir(), 'sgpt-passages-rehash-site-'));
    dirs.push(dir, changed);
    await buildSiteIndex({ site, out: dir, model: MODEL });
    const hashes = await (await SiteSearch.open(fsLoader(dir))).reader.textHashes();
    expect(hashes.every((hash) => /^[0-9a-f]{16}$/.test(hash))).toBe(true);
    expect((await buildSiteIndex({ site, out: dir, model: MODEL })).built).toMatchObject({ reused: 2, embedded: 0 });
    await writeFile(join(changed, 'tea.html'), SITE.replace('Warm the cups first.', 'Warm the cups first, always.'));
    expect((await buildSiteIndex({ site: changed, out: dir, model: MODEL })).built).toMatchObject({ reused: 1, embedded: 1 });
  });

  it('refuses a truncated text file, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-truncated-'));
    dirs.push(dir);
    await buildSiteIndex({ site, out: dir, model: MODEL });
    const search = await SiteSearch.open(fsLoader(dir));
    const [info] = await search.reader.allSections();
    const name = info!.text!.file!.name;
    await writeFile(join(dir, name), (await readFile(join(dir, name))).subarray(0, 10));
    const error = await sgptRejection(search.keywordSearch('oolong', 5));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: has 10 bytes but the index lists`));
  });

  it('gives back every section\'s whole text: the opening from the bucket, the rest from the text file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-texts-'));
    const texts = await mkdtemp(join(tmpdir(), 'sgpt-passages-texts-site-'));
    dirs.push(dir, texts);
    const ending = 'A short section that itself ends in an ellipsis…';
    const body = `<h1 id="a">A</h1><p>${ending}</p><h2 id="b">B</h2><p>${LONG}</p><h2 id="c">C</h2><p>Brief.</p><h2 id="d">D</h2><p>${'Ünïcödé — ✓ '.repeat(60)}</p>`;
    await writeFile(join(texts, 'a.html'), `<!doctype html><html lang="en"><head><title>T</title></head><body><main>${body}</main></body></html>`);
    await buildSiteIndex({ site: texts, out: dir, model: MODEL });
    const reader = (await SiteSearch.open(fsLoader(dir))).reader;
    const infos = await reader.allSections();
    const whole = await reader.sectionTexts(infos);
    expect(whole[0]).toBe(ending);
    expect(whole[1]).toBe(LONG);
    expect(whole[2]).toBe('Brief.');
    expect(whole[3]).toBe('Ünïcödé — ✓ '.repeat(60).trim());
    // The same texts as version 5 wrote them (whole, gzip).
    const old = await mkdtemp(join(tmpdir(), 'sgpt-passages-texts-v5-'));
    dirs.push(old);
    await writeIndexDir(old, await asVersion5(await readIndexDir(dir)));
    const v5 = (await SiteSearch.open(fsLoader(old))).reader;
    expect(v5.manifest.version).toBe(5);
    expect(await v5.sectionTexts(await v5.allSections())).toEqual(whole);
  });
});

describe('a site index of format version 6', () => {
  it('is still read: its float32 centroids route as version 7\'s int8 ones, its shards decode to the same vectors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-v6-'));
    dirs.push(dir);
    await buildSiteIndex({ site, out: dir, model: MODEL, shards: 3 });
    const now = await SiteSearch.open(fsLoader(dir));
    expect(now.manifest.version).toBe(8);
    await rewriteAs(dir, asVersion6);
    const search = await SiteSearch.open(fsLoader(dir));
    expect(search.manifest.version).toBe(6);
    expect(await search.reader.centroids()).toEqual(await now.reader.centroids());
    for (let k = 0; k < 3; k++) expect(await search.reader.shard(k)).toEqual(await now.reader.shard(k));
    const vector = (await embedder.embed([embeddingText('Tea', ['Tea'], LONG)], 'document')).vectors.slice(0, embedder.dims);
    expect(await search.vectorSearch(vector, 5, 1)).toEqual(await now.vectorSearch(vector, 5, 1));
    // SGC1 centroids under a version 7 manifest are refused, naming the file.
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.version = 7;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    await expect((await SiteSearch.open(fsLoader(dir))).reader.centroids()).rejects.toThrow(/centroids\..*expected magic SGC2/);
  });
});

describe('a site index of format version 5', () => {
  it('is still read: the same excerpts at the match from its whole texts, the same vectors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-v5-'));
    dirs.push(dir);
    await buildSiteIndex({ site, out: dir, model: MODEL });
    await rewriteAs(dir, asVersion5);
    const search = await SiteSearch.open(fsLoader(dir));
    expect(search.manifest.version).toBe(5);
    expect(search.manifest.shards[0]!.name).toMatch(/\.bin$/);
    const now = await SiteSearch.open(fsLoader(out));
    expect(await search.keywordSearch('oolong', 5)).toEqual(await now.keywordSearch('oolong', 5));
    expect(await search.reader.shard(0)).toEqual(await now.reader.shard(0));
  });
});

/** Rewrite the built index in `dir` as an older format version wrote it (test/older-formats). */
async function rewriteAs(dir: string, older: (files: IndexFiles) => Promise<IndexFiles>): Promise<void> {
  await writeIndexDir(dir, await older(await readIndexDir(dir)));
}

describe('a site index of format version 4', () => {
  it('is still read: excerpts are the sections\' starts, vectors have no window numbers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-v4-'));
    dirs.push(dir);
    await mkdir(dir, { recursive: true });
    await buildSiteIndex({ site, out: dir, model: MODEL });
    await rewriteAs(dir, asVersion4);
    const search = await SiteSearch.open(fsLoader(dir));
    expect(search.manifest.version).toBe(4);
    const [hit] = await search.keywordSearch('oolong', 5);
    expect(hit!.excerpt).toMatch(/^Kettle note 0/);
    const vector = (await embedder.embed([embeddingText('Tea', ['Tea'], LONG)], 'document')).vectors.slice(0, embedder.dims);
    expect((await search.vectorSearch(vector, 1))[0]).toMatchObject({ section: 0, window: null });
    const [fused] = await search.semanticSearch('qqqzz', vector, { limit: 1, windows: finder() });
    expect(fused!.excerpt).toBe(hit!.excerpt);
    // A rebuild over it reads its vectors (one shard: in order) and writes this version.
    const summary = await buildSiteIndex({ site, out: dir, model: MODEL });
    expect(summary.built.reused).toBe(summary.built.sections);
    expect((await SiteSearch.open(fsLoader(dir))).manifest.version).toBe(FORMAT_VERSION);
  });

  it('refuses version 5 shards under a version 4 manifest (another layout), naming the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sgpt-passages-mixed-'));
    dirs.push(dir);
    await buildSiteIndex({ site, out: dir, model: MODEL });
    await rewriteAs(dir, asVersion5);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.version = 4;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const search = await SiteSearch.open(fsLoader(dir));
    const error = await sgptRejection(search.reader.shard(0));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(/^vectors-0\.[0-9a-f]{16}\.bin: expected magic SGV1, found "SGV2"/);
  });
});

describe('documents given in the page', () => {
  const docs = [
    { id: 'tea', title: 'Tea', text: LONG },
    { id: 'cups', title: 'Cups', text: 'Warm the cups first.' },
  ];

  it('centre a document ranked by meaning alone on its winning window, found by the worker\'s tokenizer', async () => {
    const search = new DocumentSearch(docs);
    const rows = (await embedder.embed([embeddingText('Tea', ['Tea'], LONG)], 'document')).rows;
    const asked: string[][] = [];
    const find: WindowFinder = async (texts) => (asked.push(texts), finder()(texts));
    const [hit] = await search.fusedSearch('qqqzz', [{ id: 'tea', score: 0.9, chunk: 1, chunks: rows }], { method: 'convex', semanticWeight: 0.5 }, 1, undefined, find);
    expect(asked).toHaveLength(1);
    const embedded = embeddingText('Tea', ['Tea'], LONG);
    const [start, end] = embedder.windows(embedded, 'document')[1]!;
    const shift = embedded.length - LONG.length;
    expect(LONG.slice(start - shift, end - shift).replace(/\s+/g, ' ')).toContain(plain(hit!.excerpt));
    expect(hit!.excerpt).not.toMatch(/^Kettle note 0/);
    // A document with the query's words centres on them; the worker is not asked.
    const [word] = await search.fusedSearch('oolong', [{ id: 'tea', score: 0.9, chunk: 0, chunks: rows }], { method: 'convex', semanticWeight: 0.5 }, 1, undefined, find);
    expect(word!.excerpt).toContain('Oolong');
    expect(asked).toHaveLength(1);
  });
});
