// The page extraction cache (src/extract/page-cache): a rebuild that takes unchanged pages from the
// cache writes the index a fresh build without it writes, byte for byte; a damaged, foreign or
// unwritable cache is a warning and a miss, never a failed or wrong build; and the extractor's
// output for the fixture sites is tied to EXTRACTOR_VERSION, so a change to it cannot reuse old pages.
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildSiteIndex, summaryLine, type IndexRun } from '../../src/build/site-build';
import { cacheFolder, defaultCacheDir } from '../../src/cli/cache-dir';
import { indexCommand } from '../../src/cli/index-command';
import * as html from '../../src/extract/html';
import { EXTRACTOR_VERSION, PageCache, packName, pageKey, type CachedPage } from '../../src/extract/page-cache';
import { extractSite } from '../../src/extract/site';
import { indexFiles, sgptThrow } from '../support';

vi.mock('../../src/extract/html', async (original) => {
  const actual = await original<typeof import('../../src/extract/html')>();
  return { ...actual, extractPage: vi.fn(actual.extractPage), pageBlocks: vi.fn(actual.pageBlocks) };
});

const TINY = join(process.cwd(), 'test/fixtures/models/tiny-gpt2');
/**
 * The fixture's pages for each extractor version: when the extractor's output changes, bump
 * EXTRACTOR_VERSION and add its line (never edit a line: an old version's pages must not be reused).
 */
const EXTRACTED: Record<number, string> = {
  1: '43c6c7a1aa5180c7c7432160332de8abf4fdbb6df75cc5b35fce341f3915fb14',
  2: 'efb9d53ffdf57d355113a398468f5b309cb3295cbedbcb97d4b0c11af3922027',
  3: '1ac9dc5b2a889d5ec54c416c0cab025d7c6afdf251523bbb7857cc5f026467b5',
  4: '5663c6558c8655ffc5712f314a6a93ca0b74a84a46a452253441709326028293',
  5: '99eee6c410b2b658220550413eaae1ac44cb1d4373875f547b5d1e5f58f7c127',
  6: '2265148c977698d1c37c47d00856b9b785f0641ee27e907af9667621f9600c2d',
  7: 'acc2782cbf53ad20419ea1b82b3fb516ba6145c0ccd7a99d7d0cec5f8f3ad71a',
  8: 'f77e4f190b8a33b26521c3aef31cf6a6ced91bc4b439357e6837e943f0977994',
  9: 'aa8df4010979b2ad1e7af90530f3e5b28f6ef4076d5f3a48913c8d8311e96fe1',
  10: '66dfe75905c82361bd07d7e074757a9cf33af7534d1927ab385920505cf3cc00',
  11: '2b69be1bfcdf925b6acb0e3be27981aa478eed8883dea1cef270e9f574e73c38',
  12: 'f8c90ea500068fe27660d50d8944023828ba371e94abdc47663e395a1ade33d7',
  13: 'a0f96ef849c4c7d4ed1612987878a928e3f70339d9b417632e078bae60eb703b',
  14: '666b3f4d75a8a5d39e154897df77c520b31d4449a80b31b189fca24adc498217',
  15: 'f1730ca1c5320f45c9e6e62ac032c20aee04a036b5e6646a419e7078ca47b303',
  16: '51c22a5523a16c2794452d16a46a6bd6fd75b5f6e565eab353f533b2f8288ded',
  17: '17abf166ae930d40dff735fa3bfa97a4bafaaa95b355d1021fa7cae5dae72561',
  19: 'aa93b5fbcd9f68230b5decb83b87ed1efdf3e0df64a021870982addd5fb89409',
  20: '314eb517650dfd0bf84712c8e77a8ea782a06813301cadffe9cb516f8cd935db',
  21: '15c63a5a491e6af0e03668b9a052ed35bb7e62ce33dc334dcfba8866f91bb998',
  22: '6809af15ae005dbb566f4d4c02fbc9c04dbfa881e46aa5703b571c1727d36cd2',
  23: 'fb1f2c022b32de351983d9f2956ee8b6c9d9f7d804865dd39bc2d3b67c061169',
  24: 'ec8e89dfa54fbbd3eb9b80ae27f5bd51342f311bd2dbbf7153bb463fe186ed60',
  25: '1dc59f552453813a2037bc2ed6f26a1d9d0ee4a3dc722fed9edffcd9718b2e41',
  26: '191b1546a507a67d3e7c2a048c6f57f9520aa838606001dad516a3e3f8c8e3a0',
  27: '430ca86191605f4b46407ea87b9f6d760efca6a20427e08ea8449c88c7b13fb4',
  28: 'c267adb6c4033bac35d38eb5b6d430425118da3e7bdb6a35f1371f0e7e58ef94',
  29: '852c6fa372160db39fcfab1ea9dff59615f6df03a62f1a843cc741a4c368a1f3',
  30: 'f58929cf0ebbbce416168bdc5357edc07c01f87b0805af2f446739315e724c22',
};

/** Another extractor version of as many digits, so that writing it into a pack keeps the pack's length (9 → 8, not 10). */
const OTHER_VERSION = String(EXTRACTOR_VERSION + 1).length === String(EXTRACTOR_VERSION).length ? EXTRACTOR_VERSION + 1 : EXTRACTOR_VERSION - 1;

let work: string;
let vectors: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-page-cache-'));
  vectors = join(work, 'vectors');
});
afterAll(() => rm(work, { recursive: true, force: true }));
afterEach(() => {
  vi.mocked(html.extractPage).mockClear();
  vi.mocked(html.pageBlocks).mockClear();
});

/** A copy of the fixture site with a latin-1 page (a warning to replay) and a page of no sections. */
async function site(name: string): Promise<string> {
  const dir = join(work, name);
  await cp('test/fixtures/site', dir, { recursive: true });
  await writeFile(join(dir, 'latin1.html'), Buffer.from('<h1>Café crème</h1><p>espresso with milk foam</p>', 'latin1'));
  await writeFile(join(dir, 'empty.html'), '<html><body></body></html>');
  return dir;
}

/** The run of a build; the vectors from one embedding cache, so every build embeds each text once. */
function run(siteDir: string, out: string, pageCache: string | undefined, warnings: string[] = []): IndexRun {
  return { site: siteDir, out, model: TINY, shards: 2, cacheDir: vectors, ...(pageCache === undefined ? {} : { pageCache }), onWarning: (m) => warnings.push(m) };
}

/** Pages parsed (not from the cache) by `fn`. */
async function parsed(fn: () => Promise<unknown>): Promise<number> {
  vi.mocked(html.extractPage).mockClear();
  await fn();
  return vi.mocked(html.extractPage).mock.calls.length;
}

/** A fresh build of `siteDir` without a page cache: the bytes every cached build must equal. */
async function fresh(siteDir: string, name: string): Promise<Record<string, string>> {
  const out = join(work, `fresh-${name}`);
  await rm(out, { recursive: true, force: true });
  await buildSiteIndex(run(siteDir, out, undefined));
  return indexFiles(out);
}

function packPath(cacheRoot: string, siteDir: string, out: string): string {
  return join(cacheRoot, 'pages', packName(siteDir, out));
}

describe('a rebuild with the page cache', () => {
  it('writes the bytes of a fresh build without it: cold, warm, one page changed, one removed and one added', async () => {
    const dir = await site('site-a');
    const out = `${dir}-out`;
    const cache = join(work, 'cache-a');
    const warnings: string[] = [];

    expect(await parsed(() => buildSiteIndex(run(dir, out, cache, warnings)))).toBe(6); // cold: every page parsed (empty.html too: it has no sections)
    expect(await indexFiles(out)).toEqual(await fresh(dir, 'a1'));

    const before = warnings.length;
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache, warnings)))).toBe(0); // warm: none
    expect(await indexFiles(out)).toEqual(await fresh(dir, 'a1'));
    // The warning a page's extraction said is said again when it comes from the cache.
    expect(warnings.slice(before).filter((w) => /latin1\.html: not valid UTF-8/.test(w))).toHaveLength(1);

    const faq = join(dir, 'faq.html');
    await writeFile(faq, (await readFile(faq, 'utf8')).replace('Green tea steeps for two minutes', 'Green tea steeps for three minutes'));
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache)))).toBe(1);
    expect(await indexFiles(out)).toEqual(await fresh(dir, 'a2'));

    await rm(join(dir, 'guide', 'install.html'));
    await writeFile(join(dir, 'guide', 'added.html'), '<h1>Added page</h1><p>brand new words about kettles</p>');
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache)))).toBe(1);
    expect(await indexFiles(out)).toEqual(await fresh(dir, 'a3'));

    // The same bytes under another URL are another page (the URL is in the key).
    await cp(join(dir, 'guide', 'added.html'), join(dir, 'guide', 'added-too.html'));
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache)))).toBe(1);
    expect(await indexFiles(out)).toEqual(await fresh(dir, 'a4'));
  });

  it("keeps the template's sampled pages' blocks too: a warm build parses no page, for the template or the index", async () => {
    const dir = join(work, 'site-celery');
    await cp('test/fixtures/site-celery', dir, { recursive: true });
    const cache = join(work, 'cache-celery');
    const build = async () => {
      vi.mocked(html.pageBlocks).mockClear();
      const pages = await parsed(() => buildSiteIndex(run(dir, `${dir}-out`, cache)));
      return { pages, blocks: vi.mocked(html.pageBlocks).mock.calls.length };
    };
    expect(await build()).toEqual({ pages: 8, blocks: 8 }); // cold: the 8 pages sampled for the template, then extracted
    expect(await build()).toEqual({ pages: 0, blocks: 0 });
    expect(await indexFiles(`${dir}-out`)).toEqual(await fresh(dir, 'celery'));
    const cups = join(dir, 'cups.html');
    await writeFile(cups, (await readFile(cups, 'utf8')).replace('four of them', 'six of them'));
    expect(await build()).toEqual({ pages: 1, blocks: 1 });
    expect(await indexFiles(`${dir}-out`)).toEqual(await fresh(dir, 'celery2'));
  });

  it('the summary says how many of the indexed pages came from the cache', async () => {
    const dir = await site('site-summary');
    const out = `${dir}-out`;
    const cache = join(work, 'cache-summary');
    const cold = await buildSiteIndex(run(dir, out, cache));
    expect(cold.pagesFromCache).toBe(0);
    expect(summaryLine(cold)).toMatch(/^indexed 5 pages, /);
    await writeFile(join(dir, 'faq.html'), (await readFile(join(dir, 'faq.html'), 'utf8')).replace('Green tea', 'Black tea'));
    const warm = await buildSiteIndex(run(dir, out, cache));
    // 6 files, empty.html without sections: 5 pages indexed, the changed one parsed again.
    expect(warm.pagesFromCache).toBe(4);
    expect(summaryLine(warm)).toMatch(/^indexed 5 pages \(4 from the page cache\), /);
    expect((await buildSiteIndex(run(dir, `${out}-2`, undefined))).pagesFromCache).toBe(0);
  });

  it('keeps only the pages the last build used, in one pack per build target; stale packs and temporary files are pruned', async () => {
    const dir = await site('site-b');
    const out = `${dir}-out`;
    const cache = join(work, 'cache-b');
    const stale = join(cache, 'pages', 'other.pack');
    const leftover = join(cache, 'pages', 'x.pack.1.tmp');
    const recent = join(cache, 'pages', 'recent.pack');
    await mkdir(join(cache, 'pages'), { recursive: true });
    for (const path of [stale, leftover, recent]) await writeFile(path, 'x');
    const old = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    await utimes(stale, old, old);
    await utimes(leftover, old, old);

    await buildSiteIndex(run(dir, out, cache));
    const pack = packPath(cache, dir, out);
    expect((await readdir(join(cache, 'pages'))).sort()).toEqual([pack.split('/').pop()!, 'recent.pack'].sort());
    const full = (await stat(pack)).size;
    await rm(join(dir, 'guide'), { recursive: true });
    await buildSiteIndex(run(dir, out, cache));
    expect((await stat(pack)).size).toBeLessThan(full); // the removed pages' entries are gone
    // Another output folder of the same site is another build target, with its own pack.
    await buildSiteIndex(run(dir, join(work, 'out-b2'), cache));
    expect((await readdir(join(cache, 'pages'))).filter((n) => n.endsWith('.pack'))).toHaveLength(3);
  });
});

describe('a cache that cannot be used is a miss and one warning, never a failed or wrong build', () => {
  /** A site built once into `out` with its pack, and the bytes a fresh build writes. */
  async function built(name: string): Promise<{ dir: string; out: string; cache: string; pack: string; expected: Record<string, string> }> {
    const dir = await site(name);
    const out = `${dir}-out`;
    const cache = join(work, `cache-${name}`);
    await buildSiteIndex(run(dir, out, cache));
    return { dir, out, cache, pack: packPath(cache, dir, out), expected: await fresh(dir, name) };
  }

  it('a damaged entry is extracted again (one line), the others come from the cache', async () => {
    const { dir, out, cache, pack, expected } = await built('corrupt');
    const bytes = await readFile(pack);
    const at = bytes.indexOf('Green tea');
    expect(at).toBeGreaterThan(0);
    bytes[at] = 'Q'.charCodeAt(0); // still valid JSON, another text: only the entry's check sees it
    await writeFile(pack, bytes);
    const warnings: string[] = [];
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache, warnings)))).toBe(1);
    expect(warnings.filter((w) => /page cache/.test(w))).toEqual([expect.stringMatching(/1 damaged entry was extracted again and replaced/)]);
    expect(await indexFiles(out)).toEqual(expected);
    // Replaced: the next build finds every page whole.
    const next: string[] = [];
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache, next)))).toBe(0);
    expect(next.filter((w) => /page cache/.test(w))).toEqual([]);
  });

  it.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 100), /truncated/],
    ['garbage', () => Buffer.from('not a pack at all, but long enough to have a trailer'), /not a page pack/],
    ['empty', () => Buffer.alloc(0), /truncated/],
    ['another extractor version', (b: Buffer) => Buffer.from(b.toString('latin1').replace(`"extractor":${EXTRACTOR_VERSION}`, `"extractor":${OTHER_VERSION}`), 'latin1'), new RegExp(`written by extractor version ${OTHER_VERSION}, this is ${EXTRACTOR_VERSION}`)],
  ])('a pack %s: every page is parsed again, one warning, the pack replaced', async (name, damage, reason) => {
    const { dir, out, cache, pack, expected } = await built(`pack-${name.replace(/ /g, '-')}`);
    await writeFile(pack, damage(await readFile(pack)));
    const warnings: string[] = [];
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache, warnings)))).toBe(6);
    const lines = warnings.filter((w) => /page cache/.test(w));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(reason);
    expect(await indexFiles(out)).toEqual(expected);
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache)))).toBe(0);
  });

  it('a cache folder that cannot be written: the build goes on without it, with a note', async () => {
    const dir = await site('unwritable');
    const out = `${dir}-out`;
    const cache = join(work, 'cache-unwritable');
    await mkdir(cache, { recursive: true });
    await writeFile(join(cache, 'pages'), 'a file where the folder would be'); // (tests run as root: permissions would not stop a write)
    const warnings: string[] = [];
    expect(await parsed(() => buildSiteIndex(run(dir, out, cache, warnings)))).toBe(6);
    expect(warnings.filter((w) => /page cache/.test(w))).toEqual([expect.stringMatching(/cannot be written \(E\w+\): this build's pages are not kept/)]);
    expect(await indexFiles(out)).toEqual(await fresh(dir, 'unwritable'));
  });

  it('an entry that passes its check but is not a page (a broken writer) is a miss', async () => {
    const dir = join(work, 'forged');
    const key = pageKey('/a.html', new Uint8Array(1));
    const writing = await PageCache.open(dir, 'x.pack', () => undefined);
    await writing.put(key, { page: { sections: 'no' }, warnings: [] } as unknown as CachedPage);
    await writing.commit();
    const warnings: string[] = [];
    const reading = await PageCache.open(dir, 'x.pack', (m) => warnings.push(m));
    expect(await reading.get(key)).toBeNull();
    await reading.commit();
    expect(warnings).toEqual([expect.stringMatching(/1 damaged entry was extracted again/)]);
  });

  it('a build that stops before the last page leaves the pack as it was', async () => {
    const { dir, out, cache, pack } = await built('stopped');
    const before = await readFile(pack);
    const stopped = await PageCache.open(join(cache, 'pages'), packName(dir, out), () => undefined);
    await stopped.put(pageKey('/new.html', new Uint8Array(1)), { page: null, warnings: [] });
    await stopped.abandon();
    expect(await readFile(pack)).toEqual(before);
    expect((await readdir(join(cache, 'pages'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe('the key', () => {
  it('changes with the bytes and the URL', () => {
    const bytes = new TextEncoder().encode('<h1>A</h1>');
    expect(pageKey('/a.html', bytes)).toMatch(/^[0-9a-f]{64}$/);
    expect(pageKey('/a.html', bytes)).toBe(pageKey('/a.html', new TextEncoder().encode('<h1>A</h1>')));
    expect(pageKey('/b.html', bytes)).not.toBe(pageKey('/a.html', bytes));
    expect(pageKey('/a.html', new TextEncoder().encode('<h1>B</h1>'))).not.toBe(pageKey('/a.html', bytes));
  });

  it("is tied to the extractor's output: the fixture sites' pages for this EXTRACTOR_VERSION", async () => {
    // site-robots joined at version 3 (pages left out as noindex), site-sphinx at 4 (generated index
    // and search pages left out; 5: members titled by qualified name; 6: headings with no id anchored by their text),
    // site-banner at 7 (a banner heading above a page's title left out), site-docbook at 8 (DocBook's
    // back-of-book index left out), site-doxygen at 9 (Doxygen's lists left out), site-rustdoc at 10
    // (rustdoc's members titled "Option::unwrap_or"), site-nodejs at 11 (a "#" permalink left out of
    // titles); at 12 site-doxygen gained a page titled by Doxygen's header title, at 13 that title
    // without its labels, at 14 site-nodejs a page whose title is not its header's h1 and whose table of
    // contents is left out, at 15 site-banner a page of several <h1> titled by <title>, site-docutils at
    // 16 (docutils' table of contents left out), at 17 site-sphinx a toctree, at 19 site-rustdoc without
    // rustdoc's "1.0.0 · source" box (18 was a reverted version some caches may hold), at 20 without
    // rustdoc's page-top box, toggle caption, "Run" links and notable-traits tooltips, at 21 site-nodejs
    // titled without the site's name after the first heading, at 22 site-sphinx with Sphinx's "[source]"
    // links and the source pages they lead to, at 23 site-docutils lxml's side menu, at 24 site-nodejs a
    // heading's "[src]" link, at 25 site-docbook DocBook's navigation bars, at 26 its section page's own
    // table of contents (links "steep.html#x"), at 27 site-docutils Django's side bar (a role=navigation
    // menu beside the build's date, which is no list of links), at 28 site-nodejs a <title> with
    // Markdown's code marks, site-celery at 29 (a theme's banner inside every page's content element,
    // the template's), at 30 site-banner's menu of two links: the lines before
    // hashed fewer sites or pages.
    const sites = ['test/fixtures/site', 'test/fixtures/site-i18n', 'test/fixtures/site-robots', 'test/fixtures/site-sphinx', 'test/fixtures/site-banner', 'test/fixtures/site-docbook', 'test/fixtures/site-doxygen', 'test/fixtures/site-rustdoc', 'test/fixtures/site-nodejs', 'test/fixtures/site-docutils', 'test/fixtures/site-celery'];
    const pages = (await Promise.all(sites.map((site) => extractSite(site)))).flat();
    const hash = createHash('sha256').update(JSON.stringify(pages)).digest('hex');
    // A failure here: the extractor's output changed. Bump EXTRACTOR_VERSION (src/extract/page-cache.ts) and add its line to EXTRACTED.
    expect(`${EXTRACTOR_VERSION}: ${hash}`).toBe(`${EXTRACTOR_VERSION}: ${EXTRACTED[EXTRACTOR_VERSION]}`);
    expect(new Set(Object.values(EXTRACTED)).size).toBe(Object.keys(EXTRACTED).length);
  });

  it('PageCache.open never throws: a missing folder is made', async () => {
    const cache = await PageCache.open(join(work, 'made', 'pages'), 'x.pack', () => undefined);
    expect(await cache.get('0'.repeat(64))).toBeNull();
    await cache.commit();
    expect((await readdir(join(work, 'made', 'pages')))).toEqual(['x.pack']);
  });
});

describe('sgpt-search index', () => {
  const index = (args: string[]) => indexCommand(['--model', TINY, '--no-runtime', '--no-model', ...args]);

  it('keeps the pages in the default cache folder, in --cache-dir when given, and nowhere with --no-cache', async () => {
    const dir = await site('cli');
    const home = join(work, 'xdg');
    vi.stubEnv('XDG_CACHE_HOME', home);
    vi.spyOn(process.stderr, 'write').mockReturnValue(true);
    try {
      await index([dir, '--out', join(work, 'cli-out-1')]);
      expect(await readdir(join(home, 'sgpt-search', 'pages'))).toEqual([packName(dir, join(work, 'cli-out-1'))]);
      expect(await parsed(() => index([dir, '--out', join(work, 'cli-out-1')]))).toBe(0);

      const given = join(work, 'cli-cache');
      await index([dir, '--out', join(work, 'cli-out-2'), '--cache-dir', given]);
      expect(await readdir(join(given, 'pages'))).toEqual([packName(dir, join(work, 'cli-out-2'))]);

      expect(await parsed(() => index([dir, '--out', join(work, 'cli-out-3'), '--no-cache']))).toBe(6);
      expect(await readdir(join(home, 'sgpt-search', 'pages'))).toHaveLength(1);
      expect(await indexFiles(join(work, 'cli-out-3'))).toEqual(await indexFiles(join(work, 'cli-out-1')));
    } finally {
      vi.unstubAllEnvs();
      vi.mocked(process.stderr.write).mockRestore();
    }
  });
});

describe('the cache folder (src/cli/cache-dir)', () => {
  it('is --cache-dir, else $XDG_CACHE_HOME/sgpt-search, else node_modules/.cache/sgpt-search; none with --no-cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, '/repo')).toBe(join('/x', 'sgpt-search'));
    expect(defaultCacheDir({}, '/repo')).toBe(join('/repo', 'node_modules', '.cache', 'sgpt-search'));
    expect(cacheFolder({ 'cache-dir': '/c' }, {}, '/repo')).toBe('/c');
    expect(cacheFolder({}, {}, '/repo')).toBe(join('/repo', 'node_modules', '.cache', 'sgpt-search'));
    expect(cacheFolder({ 'no-cache': true }, {}, '/repo')).toBeNull();
    expect(sgptThrow(() => cacheFolder({ 'no-cache': true, 'cache-dir': '/c' })).message).toMatch(/--cache-dir and --no-cache/);
  });
});
