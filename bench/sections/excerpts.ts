/**
 * Excerpts at the match on the Python 3.11 docs (Debian python3.11-doc,
 * scripts/fetch-python-docs.sh): what the text files (format versions 5 and 6) cost a cold page,
 * against the same index as version 4 wrote it (test/older-formats: its section buckets without
 * the text-file lists), in the same run. Per query, the index bytes read until the keyword results are in
 * with the sections' opening lines (what the element shows first), then until the excerpts at the
 * match are in (the hits' text files); and how many query words the excerpts of the hits shown
 * mark.
 *
 * The index is built by the real writer with constant vectors in place of the model (only
 * keyword, section and text files are read here). Bytes are counted at the file loader (what the
 * browser's fetches return; the files are gzip streams already), from manifest.json on.
 *
 *   npm run bench -- excerpts [--quick]
 */
import { SiteSearch } from '../../src/index/site-search';
import { extractSite } from '../../src/extract/site';
import { countingLoader, keywordSite } from '../keyword-site';
import { asVersion4, asVersion5 } from '../../test/older-formats';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'excerpts';
const QUERIES = [
  'what is a generator',
  'python dictionary',
  'asyncio coroutine',
  'itertools',
  'exception handling',
  'decorator',
  'subprocess',
  'regular expression',
  'unicode string',
  'lambda function',
  'contextmanager',
  'threading lock',
];
/** Hits shown, as Pagefind's reference numbers (top 5 fragments). */
const LIMIT = 5;

type Files = ReadonlyMap<string, Uint8Array>;

interface Cold {
  /** Bytes until the keyword results with the opening lines, then with the excerpts at the match. */
  quick: number;
  centred: number;
  /** Query words marked in the hits' excerpts, opening lines and at the match. */
  quickMarked: number;
  centredMarked: number;
}

/** One cold page: the index bytes read for `query`'s keyword results, first with the opening lines, then at the match. */
async function coldQuery(files: Files, query: string): Promise<Cold> {
  const { load, read: counter } = countingLoader(files);
  const search = await SiteSearch.open(load);
  const marked = (hits: Array<{ highlights: unknown[] }>) => hits.reduce((sum, h) => sum + h.highlights.length, 0);
  const quickHits = await search.keywordSearch(query, LIMIT, undefined, undefined, false);
  const quick = counter.bytes;
  const centredHits = await search.keywordSearch(query, LIMIT);
  return { quick, centred: counter.bytes, quickMarked: marked(quickHits), centredMarked: marked(centredHits) };
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  const site = ctx.quick ? `${docs}/tutorial` : docs;
  log(`${SECTION}: index (constant vectors) over ${site}`);
  const { built, files: v6 } = await keywordSite(await extractSite(site, { exclude: PYTHON_DOCS_EXCLUDE }));
  const v5 = await asVersion5(v6);
  const v4 = await asVersion4(v6);
  const size = (files: Files, pattern: RegExp) => [...files].filter(([name]) => pattern.test(name)).reduce((a, [, bytes]) => a + bytes.length, 0);

  const sum = { v4: 0, v5: 0, quick: 0, centred: 0, v4Marked: 0, centredMarked: 0 };
  const lines: string[] = [];
  let first: { v4: Cold; v5: Cold; v6: Cold } | undefined;
  for (const query of QUERIES) {
    const old = await coldQuery(v4, query);
    const before = await coldQuery(v5, query);
    const now = await coldQuery(v6, query);
    first ??= { v4: old, v5: before, v6: now };
    sum.v4 += old.centred;
    sum.v5 += before.centred;
    sum.quick += now.quick;
    sum.centred += now.centred;
    sum.v4Marked += old.centredMarked;
    sum.centredMarked += now.centredMarked;
    lines.push(`${query}: v4 ${(old.centred / 1024).toFixed(1)} KB, v5 ${(before.quick / 1024).toFixed(1)} → ${(before.centred / 1024).toFixed(1)} KB, v6 ${(now.quick / 1024).toFixed(1)} → ${(now.centred / 1024).toFixed(1)} KB`);
  }
  log(`${SECTION}: ${lines.join('; ')}`);
  const kb = (n: number) => n / 1024;
  const n = QUERIES.length;
  const note = `${built.manifest.counts.sections} sections; top ${LIMIT}; manifest, section table, keyword head and chunks, section buckets (and in versions 5 and 6 the hits' text files)`;
  const v5Note = (value: number) => `format version 5 (same index, whole texts gzipped): ${kb(value).toFixed(1)} KB`;
  return [
    { section: SECTION, name: `index KB before the first keyword result, "${QUERIES[0]}" (opening lines)`, value: kb(first!.v6.quick), unit: 'KB', baseline: { name: 'format version 4 (same index)', value: kb(first!.v4.centred) }, note },
    { section: SECTION, name: `same, until the excerpts at the match are in`, value: kb(first!.v6.centred), unit: 'KB', baseline: { name: 'format version 4 (opening lines only)', value: kb(first!.v4.centred) }, note: v5Note(first!.v5.centred) },
    { section: SECTION, name: `index KB before the first keyword result, mean of ${n} queries (opening lines)`, value: kb(sum.quick / n), unit: 'KB', baseline: { name: 'format version 4', value: kb(sum.v4 / n) }, note: QUERIES.join(', ') },
    { section: SECTION, name: `same, until the excerpts at the match are in`, value: kb(sum.centred / n), unit: 'KB', baseline: { name: 'format version 4 (opening lines only)', value: kb(sum.v4 / n) }, note: v5Note(sum.v5 / n) },
    { section: SECTION, name: 'query words marked per excerpt shown (mean)', value: sum.centredMarked / (n * LIMIT), unit: '', baseline: { name: 'format version 4 (opening lines)', value: sum.v4Marked / (n * LIMIT) }, note: `${n * LIMIT} excerpts` },
    { section: SECTION, name: 'text files, all', value: kb(size(v6, /^text-/)), unit: 'KB', baseline: { name: 'format version 5 (same index)', value: kb(size(v5, /^text-/)) }, note: `${[...v6.keys()].filter((name) => name.startsWith('text-')).length} files (version 5: ${[...v5.keys()].filter((name) => name.startsWith('text-')).length}); section buckets: ${kb(size(v6, /^sections[.-]/)).toFixed(0)} KB` },
  ];
}
