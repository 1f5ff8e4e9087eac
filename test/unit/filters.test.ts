import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { SiteIndex } from '../../src/build/site-query';
import { checkFilters, filterValues, mergeFilters, parseFilterList, parseFilterObject, parsePathRule, pathFilters } from '../../src/extract/filters';
import { extractPage } from '../../src/extract/html';
import { decodeSectionList, encodeSectionList, parseFilterTable, type Manifest } from '../../src/index/format';
import { decodeKeyList, encodeKeyLists } from '../../src/index/filter-lists';
import { addFacets } from '../../src/index/filters';
import { fsLoader } from '../../src/index/node-files';
import { SiteSearch } from '../../src/index/site-search';

const MODEL = 'test/fixtures/models/tiny-gpt2';

describe('filter forms', () => {
  it('parses key:value lists, merges them, and refuses what is not a filter', () => {
    expect(parseFilterList('version:3.11, type: api ,, url:http://x', 'here')).toEqual({ version: ['3.11'], type: ['api'], url: ['http://x'] });
    // A value holding a comma (a folder "a,b" under --filter-from-path) is written \, ; a backslash \\.
    expect(parseFilterList('ver:a\\,b, type:api', 'x')).toEqual({ ver: ['a,b'], type: ['api'] });
    expect(parseFilterList('ver:a\\\\,type:b', 'x')).toEqual({ ver: ['a\\'], type: ['b'] });
    expect(mergeFilters({ v: ['1'] }, { v: ['1', '2'], t: ['a'] }, undefined)).toEqual({ v: ['1', '2'], t: ['a'] });
    expect(() => parseFilterList('version', 'page.html: data-sgpt-filter')).toThrow(/page\.html: data-sgpt-filter: "version" is not a filter; write key:value/);
    expect(() => parseFilterList(':3.11', 'x')).toThrow(/a filter's key must be 1 to 128 characters/);
    expect(() => parseFilterList(`v:${'x'.repeat(200)}`, 'x')).toThrow(/a filter's value must be 1 to 128/);
  });

  it('takes constructor, toString and __proto__ as ordinary keys, never Object.prototype\'s members', () => {
    const reserved = parseFilterList('constructor:x, toString:y, __proto__:z, __proto__:w', 'x');
    expect(Object.entries(reserved)).toEqual([['constructor', ['x']], ['toString', ['y']], ['__proto__', ['z', 'w']]]);
    const record = parseFilterObject(JSON.parse('{"constructor":"x","__proto__":["a","b"],"hasOwnProperty":"h"}'), 'r');
    expect(Object.entries(record)).toEqual([['constructor', ['x']], ['__proto__', ['a', 'b']], ['hasOwnProperty', ['h']]]);
    expect(Object.entries(pathFilters('/en/a.html', [parsePathRule('__proto__=^/([a-z]+)/')]))).toEqual([['__proto__', ['en']]]);
    expect(Object.entries(mergeFilters(reserved, { valueOf: ['v'] }))).toHaveLength(4);
    // An object given by the API or the element comes back as a table of its own keys only.
    const asked = checkFilters({ version: ['3.11'] });
    expect(filterValues(asked, 'toString')).toEqual([]);
    expect(filterValues(asked, 'version')).toEqual(['3.11']);
    expect(Object.entries(addFacets({ toString: { constructor: 1 } }, { toString: { constructor: 2, __proto__x: 1 }, valueOf: { a: 1 } }))).toEqual([
      ['toString', { constructor: 3, __proto__x: 1 }],
      ['valueOf', { a: 1 }],
    ]);
  });

  it('reads a value from the page path: the first capture group, on the decoded path', () => {
    const rules = ['version=^/(\\d+\\.\\d+)/', 'section=^/[^/]+/([^/]+)/'].map(parsePathRule);
    expect(pathFilters('/3.11/library/json.html', rules)).toEqual({ version: ['3.11'], section: ['library'] });
    expect(pathFilters('/dev/a%20b/x.html', rules)).toEqual({ section: ['a b'] });
    expect(() => parsePathRule('version')).toThrow(/--filter-from-path "version": write key=regex/);
    expect(() => parsePathRule('v=(')).toThrow(/not a regular expression/);
  });

  it('takes a page\'s filters from data-sgpt-filter anywhere and <meta name="sgpt-filter">, onto every section', () => {
    const page = extractPage(
      `<html><head><meta name="sgpt-filter" content="version:3.11"></head><body><nav data-sgpt-filter="type:guide">menu</nav>
       <main><h1>One</h1><p>a</p><h2>Two</h2><span data-sgpt-filter="type:api, version:3.12"></span><p>b</p></main></body></html>`,
      '/a.html',
    );
    expect(page.sections.map((s) => s.filters)).toEqual([
      { version: ['3.11', '3.12'], type: ['guide', 'api'] },
      { version: ['3.11', '3.12'], type: ['guide', 'api'] },
    ]);
    expect(extractPage('<main><h1>One</h1><p>a</p></main>', '/b.html').sections[0]!.filters).toBeUndefined();
    expect(() => extractPage('<body data-sgpt-filter="oops"><h1>x</h1></body>', '/c.html')).toThrow(/\/c\.html: data-sgpt-filter: "oops" is not a filter/);
  });
});

describe('filter files', () => {
  const manifest = { counts: { sections: 10 }, shards: [{}, {}] } as unknown as Manifest;

  it('round-trips a section list and checks it against the table and the index', () => {
    const bytes = encodeSectionList([0, 3, 4, 9]);
    expect([...decodeSectionList('f', bytes, 4, 10)]).toEqual([0, 3, 4, 9]);
    expect(() => decodeSectionList('f', bytes, 3, 10)).toThrow(/f: lists 4 sections, the filter table says 3/);
    expect(() => decodeSectionList('f', bytes, 4, 9)).toThrow(/section 9 is not in the index/);
    expect(() => decodeSectionList('f', bytes.subarray(0, bytes.length - 1), 4, 10)).toThrow(/truncated/);
  });

  it('packs a key\'s value lists into few files and checks them against the table', () => {
    const lists = [[0, 1], [2], [3, 4, 9], []];
    const files = encodeKeyLists(lists, 8);
    expect(files.map((f) => f.first)).toEqual([0, 3]);
    expect(files.flatMap((f, i) => [...decodeKeyList('k', f.bytes, lists.slice(f.first, files[i + 1]?.first).map((l) => l.length), 10)].map((l) => [...l]))).toEqual(lists);
    expect(encodeKeyLists(lists)).toHaveLength(1);
    const one = encodeKeyLists(lists)[0]!.bytes;
    expect(() => decodeKeyList('k', one, [2, 1, 3], 10)).toThrow(/k: holds 4 values, the filter table says 3/);
    expect(() => decodeKeyList('k', one, [2, 1, 2, 0], 10)).toThrow(/k: lists 3 sections, the filter table says 2/);
    expect(() => decodeKeyList('k', one, [2, 1, 3, 0], 9)).toThrow(/section 9 is not in the index/);
    expect(() => decodeKeyList('k', new Uint8Array([...one, 0]), [2, 1, 3, 0], 10)).toThrow(/trailing bytes/);
  });

  it('refuses a table with unknown shards, too many sections or a key twice', () => {
    const value = (extra: object) => ({ value: 'a', count: 1, shards: [0], name: 'filter-0.0123456789abcdef.bin.gzip', bytes: 10, ...extra });
    expect(parseFilterTable('t', { keys: [{ key: 'v', values: [value({})] }] }, manifest).keys[0]!.values[0]!.shards).toEqual([0]);
    expect(() => parseFilterTable('t', { keys: [{ key: 'v', values: [value({ shards: [2] })] }] }, manifest)).toThrow(/shards must be ascending shard numbers below 2/);
    expect(() => parseFilterTable('t', { keys: [{ key: 'v', values: [value({ count: 11 })] }] }, manifest)).toThrow(/count 11 exceeds the index's 10 sections/);
    expect(() => parseFilterTable('t', { keys: [{ key: 'v', values: [] }, { key: 'v', values: [] }] }, manifest)).toThrow(/filter key "v" is listed twice/);
    expect(() => parseFilterTable('t', { keys: [{ key: 'v', values: [value({ name: '../x.bin' })] }] }, manifest)).toThrow(/not a plain file name/);
    const list = (first: number) => ({ first, name: 'filter-key-0-0.0123456789abcdef.bin.gzip', bytes: 10 });
    expect(parseFilterTable('t', { keys: [{ key: 'v', values: [value({})], lists: [list(0)] }] }, manifest).keys[0]!.lists).toEqual([list(0)]);
    expect(() => parseFilterTable('t', { keys: [{ key: 'v', values: [value({})], lists: [list(1)] }] }, manifest)).toThrow(/keys\[0\]\.lists must start at value 0 and at ascending values below 1/);
    expect(() => parseFilterTable('t', { keys: [{ key: 'v', values: [value({}), value({})], lists: [list(0), list(0)] }] }, manifest)).toThrow(/ascending/);
  });
});

describe('a filtered site index', () => {
  let dir: string;
  let out: string;
  const loaded: string[] = [];
  let site: SiteSearch;

  const page = (title: string, body: string, type: string) =>
    `<html lang="en"><head><title>${title}</title><meta name="sgpt-filter" content="type:${type}"></head><body><main><h1>${title}</h1><p>${body}</p><h2>Details</h2><p>${body} More about ${title.toLowerCase()} here.</p></main></body></html>`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sgpt-filters-'));
    const root = join(dir, 'site');
    for (const version of ['3.11', '3.12']) {
      await mkdir(join(root, version), { recursive: true });
      await writeFile(join(root, version, 'json.html'), page(`JSON ${version}`, `The json module encodes and decodes JSON documents in Python ${version}.`, 'api'));
      await writeFile(join(root, version, 'tutorial.html'), page(`Tutorial ${version}`, `A tutorial on generators, iterators and json files for Python ${version}.`, 'guide'));
    }
    await writeFile(join(dir, 'records.jsonl'), JSON.stringify({ url: '/blog/json-tips', title: 'JSON tips', text: 'Tips for json encoding.', filters: { type: 'blog' } }));
    out = join(dir, 'out');
    await buildSiteIndex({ site: root, records: join(dir, 'records.jsonl'), out, model: MODEL, shards: 2, filterFromPath: [parsePathRule('version=^/(\\d+\\.\\d+)/')] });
    const load = fsLoader(out);
    site = await SiteSearch.open((name) => (loaded.push(name), load(name)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a filter table of every key and value (format version 4 and later)', async () => {
    expect(site.manifest.version).toBeGreaterThanOrEqual(4);
    expect((await site.filters()).keys).toEqual([
      { key: 'type', values: [{ value: 'api', count: 4 }, { value: 'blog', count: 1 }, { value: 'guide', count: 4 }] },
      { key: 'version', values: [{ value: '3.11', count: 4 }, { value: '3.12', count: 4 }] },
    ]);
  });

  it('keeps only sections with an asked value of every key, reading only those values\' lists', async () => {
    loaded.length = 0;
    const hits = await site.keywordSearch('json', 20, undefined, { version: ['3.12'], type: ['api', 'blog'] });
    expect(new Set(hits.map((h) => h.url.split('#')[0]))).toEqual(new Set(['/3.12/json.html']));
    const lists = loaded.filter((name) => name.startsWith('filter-'));
    expect(lists).toHaveLength(3); // 3.12, api, blog: not 3.11 or guide
    expect((await site.keywordSearch('json', 20, undefined, { version: ['3.13'] })).length).toBe(0);
    expect((await site.keywordSearch('json', 20)).length).toBe(9);
    await expect(site.keywordSearch('json', 20, undefined, { release: ['1'] })).rejects.toThrow(/filter key "release" is not in the index \(it has "type", "version"\)/);
  });

  it('counts facets of the query\'s matches, each key under the other keys\' filters', async () => {
    expect(await site.facets('json')).toEqual({ type: { api: 4, blog: 1, guide: 4 }, version: { '3.11': 4, '3.12': 4 } });
    expect(await site.facets('json', { version: ['3.11'] })).toEqual({ type: { api: 2, blog: 0, guide: 2 }, version: { '3.11': 4, '3.12': 4 } });
    expect(await site.facets('encodes', { type: ['api'] })).toEqual({ type: { api: 4, blog: 1, guide: 0 }, version: { '3.11': 2, '3.12': 2 } });
  });

  it('applies to semantic hits too, probing only shards that hold passing sections', async () => {
    const index = await SiteIndex.open(out, MODEL);
    try {
      const filters = { version: ['3.11'], type: ['guide'] };
      const hits = await index.query('how do iterators work', { filters, probe: 1 });
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((h) => h.url.startsWith('/3.11/tutorial.html'))).toBe(true);
      const scope = await (await index.search.first.filters()).scope(filters);
      expect(index.search.first.reader.loadedShards.every((s) => scope.shards.includes(s))).toBe(true);
      const blog = await index.query('encoding tips', { filters: { type: ['blog'] } });
      expect(blog.map((h) => h.url)).toEqual(['/blog/json-tips']);
    } finally {
      await index.dispose();
    }
  });

  it('counts facets of a key with a thousand values from the key\'s list files, not a file per value', async () => {
    const records = join(dir, 'tags.jsonl');
    const lines = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ url: `/notes/${i}`, title: `Note ${i}`, text: `A note about json and tag ${i}.`, filters: { tag: `t${i}`, kind: i % 2 ? 'odd' : 'even' } }));
    await writeFile(records, lines.join('\n'));
    const tagged = join(dir, 'tagged');
    await buildSiteIndex({ records, out: tagged, model: MODEL, runtime: false, shipModel: false });
    const read: string[] = [];
    const load = fsLoader(tagged);
    const search = await SiteSearch.open((name) => (read.push(name), load(name)));
    read.length = 0;
    const facets = await search.facets('json', { kind: ['odd'] });
    expect(Object.keys(facets.tag!)).toHaveLength(1000);
    expect(facets.tag!.t1).toBe(1);
    expect(facets.tag!.t2).toBe(0); // even: the kind filter applies to the tag counts
    expect(facets.kind).toEqual({ even: 500, odd: 500 });
    // The table, one list file per key and the one asked value's file (for the kind filter).
    expect(read.filter((name) => name.startsWith('filter-key-'))).toHaveLength(2);
    expect(read.filter((name) => /^filter-\d/.test(name))).toHaveLength(1);
    expect(read.filter((name) => name.startsWith('filter'))).toHaveLength(4); // with filters.json: 4 files, not 1,002

    // An index written before the key lists (no "lists" in its table) counts the same from every value's file.
    const older = await SiteSearch.open(load);
    const filters = await older.filters();
    for (const key of filters.table.keys) delete key.lists;
    expect(await older.facets('json', { kind: ['odd'] })).toEqual(facets);
  });

  it('builds and queries keys named constructor, toString and __proto__ (meta, data-sgpt-filter, records, --filter-from-path)', async () => {
    const root = join(dir, 'reserved');
    await mkdir(join(root, 'en'), { recursive: true });
    await writeFile(join(root, 'en', 'a.html'), `<html lang="en"><head><title>A</title><meta name="sgpt-filter" content="constructor:x"></head><body><main><h1>Alpha</h1><p data-sgpt-filter="toString:y">Alpha json text.</p></main></body></html>`);
    await writeFile(join(dir, 'reserved.jsonl'), JSON.stringify({ url: '/r', title: 'R', text: 'Record json text.', filters: { constructor: 'r' } }));
    const built = join(dir, 'reserved-out');
    await buildSiteIndex({ site: root, records: join(dir, 'reserved.jsonl'), out: built, model: MODEL, runtime: false, shipModel: false, filterFromPath: [parsePathRule('__proto__=^/([a-z]+)/')] });
    const index = await SiteSearch.open(fsLoader(built));
    expect((await index.filters()).keys.map((k) => [k.key, k.values.map((v) => v.value)])).toEqual([
      ['__proto__', ['en']],
      ['constructor', ['r', 'x']],
      ['toString', ['y']],
    ]);
    const hits = await index.keywordSearch('json', 10, undefined, parseFilterList('constructor:x', '--filter'));
    expect(hits.map((hit) => hit.url)).toEqual(['/en/a.html']);
    const facets = await index.facets('json', parseFilterList('__proto__:en', '--filter'));
    expect(Object.entries(facets)).toEqual([
      ['__proto__', { en: 1 }],
      ['constructor', { r: 0, x: 1 }],
      ['toString', { y: 1 }],
    ]);
  });

  it('an index without filters answers unfiltered queries as before and names the missing key', async () => {
    const plain = join(dir, 'plain');
    await buildSiteIndex({ site: 'test/fixtures/site', out: plain, model: MODEL, runtime: false, shipModel: false });
    const other = await SiteSearch.open(fsLoader(plain));
    expect(other.manifest.filters).toBeUndefined();
    await expect(other.keywordSearch('generator', 5, undefined, { version: ['1'] })).rejects.toThrow(/filter key "version" is not in the index \(it has no filters\)/);
  });
});
