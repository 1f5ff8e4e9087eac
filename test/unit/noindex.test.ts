// Pages whose <head> asks not to be indexed (robots noindex or none, or sgpt-search's own name) are
// left out of the index and counted in the build's summary; a page another robot is told to skip,
// or that sgpt-search is told to index, is indexed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex, summaryLine } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { extractPage } from '../../src/extract/html';
import { openIndexDir } from '../../src/index/node-files';

const SITE = 'test/fixtures/site-robots';
const TINY = 'test/fixtures/models/tiny-gpt2';
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-noindex-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('robots noindex', () => {
  it('leaves out pages marked noindex or none for every robot or for sgpt-search, and counts them', async () => {
    const out = join(work, 'out');
    const summary = await buildSiteIndex({ site: SITE, out, model: TINY });
    const urls = new Set((await (await openIndexDir(out)).allSections()).map((s) => s.url));
    expect([...urls].sort()).toEqual(['/', '/googlebot.html', '/taken-in.html']);
    expect(summary.noindexPages).toBe(3);
    expect(summaryLine(summary)).toMatch(/^indexed 3 pages \(3 marked noindex left out\), /);
    for (const word of ['zeppelin', 'carburettor', 'gyroscope']) expect(await querySiteIndex({ index: out, query: word, keywordOnly: true })).toEqual([]);
    expect((await querySiteIndex({ index: out, query: 'marmalade', limit: 1, keywordOnly: true }))[0]!.url).toBe('/googlebot.html');
  });

  it('reads the meta in <head> only, and the dev server drops such a page too (no sections)', () => {
    const page = (head: string, body = '<h1>T</h1><p>x</p>') => extractPage(`<html><head>${head}</head><body>${body}</body></html>`, '/p.html');
    expect(page('<meta name="robots" content="noindex">')).toEqual({ url: '/p.html', title: '', lang: '', sections: [], noindex: true });
    expect(page('<meta name=" ROBOTS " content=" NoIndex ,follow">').noindex).toBe(true);
    expect(page('<meta name="robots" content="noarchive, nosnippet">').sections).toHaveLength(1);
    expect(page('<meta name="bingbot" content="none">').noindex).toBeUndefined();
    expect(page('<meta name="sgpt-search" content="none">').noindex).toBe(true);
    expect(page('', '<h1>T</h1><p>x</p><div><meta name="robots" content="noindex"></div>').sections).toHaveLength(1);
  });
});
