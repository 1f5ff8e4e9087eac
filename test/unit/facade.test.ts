/**
 * The package's facade (`import … from 'sgpt-search'`, src/index.ts) is the engine, not a copy of
 * it: the same vectors, the same ranking as the CLI's query, the same reranking as rerankTop over
 * hitText. Run on the random-weight test models (the real model's path is the package check's).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildSiteIndex } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { Embedder } from '../../src/embed/embedder';
import { queryCommand } from '../../src/cli/query-command';
import { sgptRejection } from '../support';
import { DEFAULT_RERANK_K, embed, hitText, loadEmbedder, loadReranker, openSiteIndex, rerankHits, SgptError } from '../../src/index';

const root = resolve(import.meta.dirname, '../..');
const TINY = resolve(root, 'test/fixtures/models/tiny-gpt2');
const LM = resolve(root, 'test/fixtures/models/tiny-gpt2-lm');
const QUERY = 'how do I install the kettle';
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'sgpt-facade-'));
  await buildSiteIndex({ site: resolve(root, 'test/fixtures/site'), out, model: TINY });
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe('sgpt-search facade', () => {
  it('embeds as the engine does, symmetric when asked', async () => {
    const engine = await Embedder.load(TINY, { settings: { mode: 'symmetric' } });
    const expected = await engine.embed(['a text', 'another'], 'document');
    await engine.dispose();
    expect((await embed(['a text', 'another'], 'document', { model: TINY, mode: 'symmetric' })).vectors).toEqual(expected.vectors);
    const embedder = await loadEmbedder({ model: TINY, mode: 'symmetric' });
    expect(embedder.settings.mode).toBe('symmetric');
    await embedder.dispose();
  });

  it('embeds with worker threads when asked, the same vectors bit for bit (the @example of loadEmbedder); a bad count is INPUT_INVALID', async () => {
    const texts = Array.from({ length: 3000 }, (_, i) => `Note ${i}. ${'Reading a file line by line with open(). '.repeat(20)}`);
    const plain = await loadEmbedder();
    const expected = await plain.embed(texts, 'document');
    await plain.dispose();
    for (const workers of [2, 'auto'] as const) {
      const embedder = await loadEmbedder({ workers });
      try {
        const got = await embedder.embed(texts, 'document');
        expect([got.rows, got.dims]).toEqual([3000, 384]);
        expect(Buffer.from(got.vectors.buffer).equals(Buffer.from(expected.vectors.buffer))).toBe(true);
      } finally {
        await embedder.dispose();
      }
    }
    for (const workers of [-1, 1.5, 'all'] as const) {
      const error = await loadEmbedder({ workers: workers as number }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(SgptError);
      expect((error as SgptError).code).toBe('INPUT_INVALID');
    }
  });

  it('opens an index folder and ranks as the CLI query does, keyword-only too', async () => {
    const index = await openSiteIndex(out, { model: TINY });
    try {
      expect(index.manifest.model.id).toBe('tiny-gpt2');
      expect(await index.query(QUERY, { limit: 5 })).toEqual(await querySiteIndex({ index: out, query: QUERY, limit: 5, model: TINY }));
      const keyword = await index.query(QUERY, { limit: 5, keywordOnly: true });
      expect(keyword[0]!.url).toBe('/guide/install.html#installing-teapot');
      expect(keyword.every((hit) => !hit.semantic)).toBe(true);
    } finally {
      await index.dispose();
    }
  });

  it('reads a query past the model\'s window as the element does: up to the window (its first), the keyword half all of it', async () => {
    const long = ` ${QUERY} ${'with water from the tap and a kettle '.repeat(250)}`; // ~2,000 tokens (INPUT_INVALID before)
    const index = await openSiteIndex(out, { model: TINY });
    const engine = await Embedder.load(TINY);
    try {
      // The element's worker: the trimmed query's first window.
      const windows = await engine.embed([long.trim()], 'query');
      expect(windows.rows).toBeGreaterThan(1);
      const hits = await index.query(long, { limit: 5 });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits).toEqual(await index.search.semanticSearch(long, windows.vectors.slice(0, windows.dims), { limit: 5, windows: async (texts) => texts.map((text) => engine.windows(text, 'document')) }));
    } finally {
      await Promise.all([index.dispose(), engine.dispose()]);
    }
  });

  it('says when no section holds the query\'s words, as the element does: the CLI on stderr, and in --facets\' object', async () => {
    const index = await openSiteIndex(out, { model: TINY });
    try {
      // As you type: a prefix ("kett") and a typo ("kettel") are matches; "zzqxv" is none, though it has semantic hits.
      for (const [query, matched] of [['kettle', true], ['kett', true], ['kettel', true], ['zzqxv', false]] as const) expect(await index.keywordMatch(query), query).toBe(matched);
      expect(await index.keywordMatch('kettle', { lang: 'en', filters: {} })).toBe(true);
      expect((await index.query('zzqxv', { limit: 3 })).length).toBe(3);
    } finally {
      await index.dispose();
    }
    const run = async (args: string[]) => {
      const printed = { stdout: '', stderr: '' };
      const spies = (['stdout', 'stderr'] as const).map((name) => vi.spyOn(process[name], 'write').mockImplementation((chunk) => ((printed[name] += String(chunk)), true)));
      try {
        await queryCommand(['--index', out, '--model', TINY, '--limit', '3', ...args]);
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      return { ...printed, json: JSON.parse(printed.stdout) };
    };
    const nonsense = await run(['zzqxv']);
    expect(nonsense.stderr).toBe('sgpt-search query: no exact matches for “zzqxv”: the results are the closest in meaning\n');
    expect(nonsense.json).toHaveLength(3);
    expect((await run(['--facets', 'zzqxv'])).json).toMatchObject({ facets: {}, keywordMatch: false });
    const words = await run(['--facets', 'kettle']);
    expect([words.stderr, words.json.keywordMatch]).toEqual(['', true]);
    // Nothing found at all says nothing more than the empty list.
    expect(await run(['--keyword-only', 'zzqxv'])).toEqual({ stdout: '[]\n', stderr: '', json: [] });
  });

  it('reranks the top k of hits by hitText, and names a missing LM', async () => {
    const index = await openSiteIndex(out, { model: TINY });
    const reranker = await loadReranker(LM);
    try {
      const hits = await index.query(QUERY, { limit: 5 });
      const expected = await reranker.rerankTop(QUERY, hits, 3, hitText);
      const reranked = await rerankHits(reranker, QUERY, hits, 3);
      expect(reranked.map((hit) => hit.url)).toEqual(expected.items.map((hit) => hit.url));
      expect(reranked.slice(3).every((hit) => hit.rerankScore === undefined)).toBe(true);
      expect(DEFAULT_RERANK_K).toBe(10);
      // An index folder holds no LM, and tiny-gpt2's "-lm" sibling is the fixture: it is found.
      expect((await index.query(QUERY, { limit: 3, rerank: {} })).filter((hit) => hit.rerankScore !== undefined)).toHaveLength(3);
      await expect(loadReranker(join(out, 'no-such-lm'))).rejects.toBeInstanceOf(SgptError);
    } finally {
      await Promise.all([index.dispose(), reranker.dispose()]);
    }
  });

  it('refuses bad arguments at the entry points with INPUT_INVALID naming them, never a TypeError or silently odd hits', async () => {
    const index = await openSiteIndex(out, { model: TINY });
    try {
      const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
        ['lang 5', () => index.query('kettle', { keywordOnly: true, lang: 5 as never }), /^lang must be a language tag .*got 5$/],
        ['lang !!', () => index.query('kettle', { keywordOnly: true, lang: '!!' }), /^lang must be a language tag .*got "!!"$/],
        ['facets(null)', () => index.facets(null as never), /^the query must be a string, got null$/],
        ['query(null)', () => index.query(null as never), /^the query must be a string/],
        ['options null', () => index.query('kettle', null as never), /^options must be an object, got null/],
        ['limit -1', () => index.query('kettle', { keywordOnly: true, limit: -1 }), /^limit must be an integer from 1 to 1000000, got -1$/],
        ['limit 1.5', () => index.query('kettle', { keywordOnly: true, limit: 1.5 }), /^limit must be .*got 1\.5$/],
        ['limit "3"', () => index.query('kettle', { keywordOnly: true, limit: '3' as never }), /^limit must be .*got "3"$/],
        ['limit NaN', () => index.query('kettle', { keywordOnly: true, limit: NaN }), /^limit must be .*got NaN$/],
        ...[0, -3, NaN, 1e9].map((probe): [string, () => Promise<unknown>, RegExp] => [`probe ${probe}`, () => index.query('kettle', { probe }), /^probe must be an integer from 1 to 1000000/]),
        ['filters 5', () => index.query('kettle', { keywordOnly: true, filters: 5 as never }), /^filters must be an object/],
        ['filters {a: "x"}', () => index.query('kettle', { keywordOnly: true, filters: { a: 'x' } as never }), /^filters\.a must be an array of strings/],
        ['openSiteIndex(null)', () => openSiteIndex(null as never), /^give an index folder .*got null$/],
        ['openSiteIndex([])', () => openSiteIndex([]), /^give an index folder .*got none$/],
        ['openSiteIndex(d, null)', () => openSiteIndex(out, null as never), /options must be an object/],
        // A misspelt or misplaced option is named, not silently the default.
        ['options {limt: 3}', () => index.query('kettle', { keywordOnly: true, limt: 3 } as never), /^options has no option "limt": it takes limit, probe, lang, filters, keywordOnly, rerank$/],
        ['keywordOnly "yes"', () => index.query('kettle', { keywordOnly: 'yes' as never }), /^keywordOnly must be true or false, got "yes"$/],
        ['rerank {kk: 3}', () => index.query('kettle', { rerank: { kk: 3 } as never }), /^rerank has no option "kk": it takes model, k$/],
        ['facets {limit: 3}', () => index.facets('kettle', { limit: 3 } as never), /^options has no option "limit": it takes filters, lang$/],
        ['keywordMatch(null)', () => index.keywordMatch(null as never), /^the query must be a string, got null$/],
        ['keywordMatch {limit: 3}', () => index.keywordMatch('kettle', { limit: 3 } as never), /^options has no option "limit": it takes filters, lang$/],
        ['openSiteIndex(d, {modle})', () => openSiteIndex(out, { modle: TINY } as never), /^openSiteIndex's options has no option "modle": it takes model$/],
        ['loadEmbedder({modle})', () => loadEmbedder({ modle: TINY } as never), /^options has no option "modle": it takes model, mode, device, dtype, threads, workers$/],
        ['loadEmbedder(null)', () => loadEmbedder(null as never), /^options must be an object, got null$/],
        ['embed(…, {threds})', () => embed(['x'], 'document', { threds: 2 } as never), /^options has no option "threds"/],
        ['loadReranker(m, {workers})', () => loadReranker(TINY, { workers: 2 } as never), /^loadReranker's options has no option "workers": it takes device, dtype, threads$/],
        ['openSiteIndex([d, d])', () => openSiteIndex([out, `${out}/`]), /is given twice: every hit would come twice/],
        ['openSiteIndex(no folder)', () => openSiteIndex(`${out}-nowhere`), /^the index folder .*-nowhere does not exist or is not a folder/],
        ['--index d --index d', () => queryCommand(['--index', out, '--index', out, '--keyword-only', 'kettle']), /is given twice/],
        ['--lang !!', () => queryCommand(['--index', out, '--keyword-only', '--lang', '!!', 'kettle']), /^--lang must be a language tag .*got "!!"$/],
      ];
      for (const [name, call, message] of cases) {
        const error = await sgptRejection(call());
        expect([name, error.code]).toEqual([name, 'INPUT_INVALID']);
        expect(error.message, name).toMatch(message);
      }
      // The valid forms still search: a region subtag, the documented defaults.
      expect((await index.query('kettle', { keywordOnly: true, lang: 'en-GB', limit: 1 })).length).toBe(1);
      expect(await index.facets('kettle', { lang: 'en' })).toEqual({});
    } finally {
      await index.dispose();
    }
  });
});
