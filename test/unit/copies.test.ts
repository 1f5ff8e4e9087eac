import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildShard } from '../../src/build/shard-build';
import { buildSiteIndex, summaryLine, type IndexRun } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { openIndexDir } from '../../src/index/node-files';
import { mergeShardFiles } from '../../src/index/shard-merge';
import { indexFiles } from '../support';
import { COPY_MIN_WORDS, findCopies, jaccard } from '../../src/extract/copies';
import type { Page, Section } from '../../src/extract/html';
import { withoutCopies, type PageSource } from '../../src/index/page-source';

const section = (title: string, text: string, extra: Partial<Section> = {}): Section => ({ url: '', anchor: title.toLowerCase().replace(/\W+/g, '-'), title, pageTitle: '', headingPath: [title], text, ...extra });
const page = (url: string, sections: Section[], lang = 'en'): Page => ({ url, title: url, lang, sections: sections.map((s) => ({ ...s, url })) });
/** `n` distinct words after `stem`: a section long enough to be compared by shingles. */
const words = (stem: string, n = 30) => Array.from({ length: n }, (_, i) => `${stem}${i}`).join(' ');

const fsOpen = section('fs.open(path)', words('open'));
const fsRead = section('fs.read(fd)', words('read'));
const pathJoin = section('path.join(...parts)', words('join'));

/** Section places (in page order) left out, and the pages' urls each came from. */
async function leftOut(pages: Page[]) {
  const { dropped, pagesEmptied } = await findCopies(() => pages);
  const places = pages.flatMap((p) => p.sections.map((s) => `${p.url}#${s.anchor}`));
  return { dropped: [...dropped.keys()].sort((a, b) => a - b).map((i) => places[i]), pagesEmptied };
}

describe('findCopies', () => {
  it('leaves out an all-in-one page’s copies of the module pages, keeping its own sections', async () => {
    const all = page('/all.html', [section('About this documentation', words('about')), fsOpen, fsRead, pathJoin]);
    const result = await leftOut([all, page('/fs.html', [fsOpen, fsRead]), page('/path.html', [pathJoin])]);
    expect(result).toEqual({ dropped: ['/all.html#fs-open-path-', '/all.html#fs-read-fd-', '/all.html#path-join-parts-'], pagesEmptied: 0 });
  });

  it('finds a copy whose text differs by a footer line (capi3ref.html against c3ref/open.html)', async () => {
    const entry = words('sqlite3open', 60);
    const big = page('/capi3ref.html', [section('Opening A New Database Connection', entry), section('Online Backup Object', words('backup', 60))]);
    const own = page('/c3ref/open.html', [section('Opening A New Database Connection', `${entry} See also lists of Objects, Constants, and Functions.`)]);
    const backup = page('/c3ref/backup.html', [section('Online Backup Object', `${words('backup', 60)} See also lists of Objects, Constants, and Functions.`)]);
    expect((await leftOut([big, backup, own])).dropped).toEqual(['/capi3ref.html#opening-a-new-database-connection', '/capi3ref.html#online-backup-object']);
    // Below the Jaccard bound: not a copy.
    const rewritten = page('/c3ref/open.html', [section('Opening A New Database Connection', `${words('sqlite3open', 30)} ${words('other', 30)}`)]);
    expect((await leftOut([big, backup, rewritten])).dropped).toEqual(['/capi3ref.html#online-backup-object']);
  });

  it('keeps sections a page shares with another when most of the page is its own', async () => {
    const shared = section('get_payload()', words('payload'));
    const a = page('/email.message.html', [shared, section('Message', words('message')), section('walk()', words('walk'))]);
    const b = page('/email.compat32.html', [shared, section('Compat32', words('compat')), section('as_string()', words('asstring')), section('attach()', words('attach'))]);
    expect((await leftOut([a, b])).dropped).toEqual([]);
  });

  it('keeps sections that differ in filters, language, title, weight or aliases', async () => {
    const v1 = page('/1.0/fs.html', [section('fs.open(path)', words('open'), { filters: { version: ['1.0'] } })]);
    const v2 = page('/2.0/fs.html', [section('fs.open(path)', words('open'), { filters: { version: ['2.0'] } })]);
    expect((await leftOut([v1, v2])).dropped).toEqual([]);
    expect((await leftOut([page('/en/fs.html', [fsOpen]), page('/fr/fs.html', [fsOpen], 'fr')])).dropped).toEqual([]);
    expect((await leftOut([page('/a.html', [fsOpen]), page('/b.html', [section('fs.openSync(path)', words('open'))])])).dropped).toEqual([]);
    expect((await leftOut([page('/a.html', [fsOpen]), page('/b.html', [{ ...fsOpen, weight: 2 }])])).dropped).toEqual([]);
    expect((await leftOut([page('/a.html', [fsOpen]), page('/b.html', [{ ...fsOpen, keywords: ['open'] }])])).dropped).toEqual([]);
  });

  it('keeps the first of two identical pages in path order, and counts the other as emptied', async () => {
    const body = [section('Record Format', words('record')), section('Page Format', words('pageformat'))];
    expect(await leftOut([page('/fileformat.html', body), page('/fileformat2.html', body)])).toEqual({ dropped: ['/fileformat2.html#record-format', '/fileformat2.html#page-format'], pagesEmptied: 1 });
  });

  it('compares a short section word for word', async () => {
    const short = section('Return value', 'None.');
    expect((await leftOut([page('/a.html', [short]), page('/b.html', [short])])).dropped).toEqual(['/b.html#return-value']);
    expect((await leftOut([page('/a.html', [short]), page('/b.html', [section('Return value', 'None at all.')])])).dropped).toEqual([]);
    expect(`Return value ${words('w', COPY_MIN_WORDS - 3)}`.split(' ').length).toBeLessThan(COPY_MIN_WORDS); // the bound the long path starts at
  });

  it('never leaves out the last copy of a text, nor a section of a page that is mostly its own (property)', async () => {
    // Sites whose sections are drawn from a small pool, so pages share sections by chance.
    const pool = [fsOpen, fsRead, pathJoin, section('Return value', 'None.'), section('Notes', words('notes')), section('Notes', 'See below.')];
    const site = fc.array(fc.array(fc.integer({ min: 0, max: pool.length - 1 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(site, async (picks) => {
        const pages = picks.map((p, i) => page(`/p${i}.html`, p.map((k) => pool[k]!)));
        const { dropped } = await findCopies(() => pages);
        const placed = pages.flatMap((p, pi) => p.sections.map((s) => ({ pi, key: `${s.title}\u0000${s.text}` })));
        const kept = new Set(placed.filter((_, i) => !dropped.has(i)).map((s) => s.key));
        for (const [i, copy] of dropped) expect(dropped.has(copy) || placed[copy]!.key !== placed[i]!.key).toBe(false); // the copy named is kept, and is one
        for (const i of dropped.keys()) expect(kept.has(placed[i]!.key)).toBe(true);
        for (const [pi, p] of pages.entries()) {
          const elsewhere = p.sections.filter((s) => placed.some((o) => o.pi !== pi && o.key === `${s.title}\u0000${s.text}`)).length;
          if (elsewhere < p.sections.length / 2) expect(placed.some((s, i) => s.pi === pi && dropped.has(i))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('jaccard', () => {
  it('is shared over all', () => {
    expect(jaccard(new Set([1, 2, 3]), new Set([2, 3, 4]))).toBe(0.5);
    expect(jaccard(new Set(), new Set())).toBe(1);
  });
});

describe('withoutCopies', () => {
  it('reads a source twice, then yields its pages without the copies, a page left empty not at all', async () => {
    const pages = [page('/all.html', [fsOpen, pathJoin]), page('/fs.html', [fsOpen]), page('/path.html', [pathJoin])];
    let passes = 0;
    const source: PageSource = {
      async *pages() {
        passes++;
        yield* pages;
      },
    };
    const { pages: kept, copies } = await withoutCopies(source);
    expect(passes).toBe(2);
    expect(copies.pagesEmptied).toBe(1);
    const urls: string[] = [];
    for await (const p of (kept as PageSource).pages()) urls.push(p.url);
    expect(urls).toEqual(['/fs.html', '/path.html']);
    // An array stays an array.
    expect((await withoutCopies(pages)).pages.map((p) => p.url)).toEqual(['/fs.html', '/path.html']);
  });
});

describe('a build of a site with an all-in-one page (test/fixtures/site-copies)', () => {
  let work: string;
  const run = (out: string, extra: Partial<IndexRun> = {}): IndexRun => ({ site: 'test/fixtures/site-copies', out: join(work, out), model: 'test/fixtures/models/tiny-gpt2', shards: 2, ...extra });
  const urls = async (out: string) => (await (await openIndexDir(join(work, out))).allSections()).map((s) => `${s.url}${s.anchor ? `#${s.anchor}` : ''}`).sort();
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sgpt-copies-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('leaves out the page’s copies, says so, and finds each section once; --keep-copies keeps them', async () => {
    const summary = await buildSiteIndex(run('single'));
    expect(summary.copies).toEqual({ sections: 3, pages: 0 });
    expect(summaryLine(summary)).toMatch(/^indexed 4 pages \(3 sections repeating other pages left out\), 9 sections /);
    const kept = await urls('single');
    expect(kept.filter((url) => url.startsWith('/all.html'))).toEqual(['/all.html']); // its own opening stays
    expect(kept).toContain('/streams.html#fs-readfile'); // a page mostly its own keeps what it shares
    const hits = await querySiteIndex({ index: join(work, 'single'), query: 'path.join', keywordOnly: true });
    expect(hits[0]!.url).toBe('/path.html#path-join');
    expect(hits.filter((h) => h.title === 'path.join([...paths])')).toHaveLength(1);

    const all = await buildSiteIndex(run('kept', { keepCopies: true }));
    expect(all.copies).toEqual({ sections: 0, pages: 0 });
    expect(summaryLine(all)).toMatch(/^indexed 4 pages, 12 sections /);
    const twice = await querySiteIndex({ index: join(work, 'kept'), query: 'path.join', keywordOnly: true });
    expect(twice.filter((h) => h.title === 'path.join([...paths])').map((h) => h.url).sort()).toEqual(['/all.html#path-join', '/path.html#path-join']);
  });

  it('shards leave out the same copies: the merged index is the single build', async () => {
    for (const index of [0, 1]) await buildShard(run('shards'), { index, count: 2 });
    const merged = await mergeShardFiles(['shard-0-of-2.sgpt-shard', 'shard-1-of-2.sgpt-shard'].map((name) => join(work, 'shards', name)));
    await buildSiteIndex({ ...run('merged'), from: merged }).finally(() => merged.close());
    expect(await indexFiles(join(work, 'merged'))).toEqual(await indexFiles(join(work, 'single')));
    // Merged with --keep-copies, the copies' texts are in no shard: refused, naming the option.
    const again = await mergeShardFiles(['shard-0-of-2.sgpt-shard', 'shard-1-of-2.sgpt-shard'].map((name) => join(work, 'shards', name)));
    await expect(buildSiteIndex({ ...run('merged-kept', { keepCopies: true }), from: again }).finally(() => again.close())).rejects.toThrow(/in none of the shard files.*--keep-copies/);
  });
});
