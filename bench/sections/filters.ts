/**
 * Filters and facets on the Python 3.11 docs (Debian python3.11-doc, scripts/fetch-python-docs.sh),
 * filters read from the path as `sgpt-search index --filter-from-path` does: `area` (the first
 * folder: library, tutorial, howto, c-api, …; 13 values) and `page` (the page's name below it,
 * ~470 values, standing in for a tag-like key with many values).
 *
 * In-run baselines: a filtered query's bytes against the same query unfiltered (a cold page, until
 * its keyword results and their sections are in), and the bytes and files that facet counts read
 * after those results with each key's list files against reading one file per value (an index
 * written before the key lists; the same reader with the lists dropped from its filter table).
 * The index is built by the real writer with constant vectors (bench/keyword-site.ts).
 *
 *   npm run bench -- filters [--quick]
 */
import { parsePathRule, type Filters } from '../../src/extract/filters';
import { readPages } from '../../src/build/site-build';
import { SiteSearch } from '../../src/index/site-search';
import { countingLoader, keywordSite } from '../keyword-site';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'filters';
const RULES = ['area=^/([^/]+)/', 'page=^/[^/]+/([^/]+)\\.html$'];
const QUERIES = ['what is a generator', 'json dumps', 'regular expression groups', 'read a file line by line', 'sort a list of dictionaries', 'asyncio event loop'];
const FILTER: Filters = { area: ['library'] };
const LIMIT = 5;

interface Cold {
  bytes: number;
  files: number;
}

/** One cold page: bytes and files read until the keyword results of `query` (under `filters`) are in. */
async function coldQuery(files: ReadonlyMap<string, Uint8Array>, query: string, filters?: Filters): Promise<Cold> {
  const { load, read } = countingLoader(files);
  await (await SiteSearch.open(load)).keywordSearch(query, LIMIT, undefined, filters);
  return { ...read };
}

/** One cold page's keyword results for `query`, then its facet counts: what the counts read beyond the results. */
async function coldFacets(files: ReadonlyMap<string, Uint8Array>, query: string, keyLists: boolean): Promise<Cold & { values: number }> {
  const { load, read } = countingLoader(files);
  const search = await SiteSearch.open(load);
  await search.keywordSearch(query, LIMIT);
  const before = { ...read };
  const table = await search.filters();
  if (!keyLists) for (const key of table.table.keys) delete key.lists;
  const facets = await search.facets(query);
  const values = Object.values(facets).reduce((n, counts) => n + Object.keys(counts).length, 0);
  return { bytes: read.bytes - before.bytes, files: read.files - before.files, values };
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  log(`${SECTION}: keyword index with filters from the path over ${docs}${ctx.quick ? ' (quick: fewer queries)' : ''}`);
  // The index stays in memory: no output folder to skip while reading the site.
  const run = { site: docs, out: '', exclude: PYTHON_DOCS_EXCLUDE, filterFromPath: RULES.map(parsePathRule) };
  const pages = await readPages(run, run.out);
  const { built, files } = await keywordSite(pages);
  const queries = ctx.quick ? QUERIES.slice(0, 2) : QUERIES;
  const size = (pattern: RegExp) => built.files.filter((f) => pattern.test(f.name)).reduce((a, f) => a + f.bytes.length, 0);

  const filtered: Cold[] = [];
  const plain: Cold[] = [];
  for (const query of queries) {
    filtered.push(await coldQuery(files, query, FILTER));
    plain.push(await coldQuery(files, query));
  }
  const [withLists, perValue] = [await coldFacets(files, QUERIES[0]!, true), await coldFacets(files, QUERIES[0]!, false)];
  log(`${SECTION}: ${queries.map((q, i) => `${q}: ${(filtered[i]!.bytes / 1024).toFixed(1)} KB filtered vs ${(plain[i]!.bytes / 1024).toFixed(1)} KB`).join('; ')}`);

  const kb = (n: number) => n / 1024;
  const mean = (list: Cold[], key: keyof Cold) => list.reduce((a, c) => a + c[key], 0) / list.length;
  const note = `${built.manifest.counts.sections} sections; --filter-from-path ${RULES.map((r) => `'${r}'`).join(' ')}; keyword stage: manifest, section table, keyword head, chunks, filter table and the asked value's list, section buckets of the top ${LIMIT}`;
  return [
    { section: SECTION, name: `index KB, cold "${QUERIES[0]}" filtered area:library`, value: kb(filtered[0]!.bytes), unit: 'KB', baseline: { name: 'the same query unfiltered', value: kb(plain[0]!.bytes) }, note: `${filtered[0]!.files} files vs ${plain[0]!.files} (the filter table, ${kb(size(/^filters\./)).toFixed(1)} KB, and the value's list); ${note}` },
    { section: SECTION, name: `index KB per filtered query (area:library), mean of ${queries.length}`, value: kb(mean(filtered, 'bytes')), unit: 'KB', baseline: { name: 'the same queries unfiltered', value: kb(mean(plain, 'bytes')) }, note: queries.join(', ') },
    { section: SECTION, name: `facet counts after the keyword results, KB read ("${QUERIES[0]}")`, value: kb(withLists.bytes), unit: 'KB', baseline: { name: 'one file per value (index before key lists)', value: kb(perValue.bytes) }, note: `${withLists.files} files vs ${perValue.files}; ${withLists.values} values counted over 2 keys` },
    { section: SECTION, name: 'filter files, all', value: kb(size(/^filters?[.-]/)), unit: 'KB', baseline: { name: 'keyword index (head + term chunks)', value: kb(size(/^(keyword|terms-)/)) }, note: `of which key lists ${kb(size(/^filter-key-/)).toFixed(0)} KB` },
  ];
}
