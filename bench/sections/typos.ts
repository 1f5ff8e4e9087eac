/**
 * Typo tolerance on the Python 3.11 docs (Debian python3.11-doc, scripts/fetch-python-docs.sh):
 * the index bytes a cold page reads for a misspelled keyword query, against the same query spelled
 * right (same run, same index); how often the misspelled query's top hit is the right spelling's;
 * and the typo table's size against the keyword index's.
 *
 * The index is built by the real writer (extraction, BM25, typo table, section files) with
 * constant vectors in place of the model: only keyword files are read here, and a real embedding
 * pass would add ~4 minutes without changing a byte of them. Bytes are counted at the file loader
 * (what the browser's fetches return; the files are gzip streams already), from manifest.json to
 * the section buckets of the 5 hits shown.
 *
 *   npm run bench -- typos [--quick]
 */
import { extractSite } from '../../src/extract/site';
import { SiteSearch } from '../../src/index/site-search';
import { countingLoader, keywordSite } from '../keyword-site';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'typos';
/** Misspelled queries (one or two typos, as typed) and the query meant. */
const QUERIES: Array<[string, string]> = [
  ['what is a genrator', 'what is a generator'],
  ['pyhton dictionary', 'python dictionary'],
  ['asyncio corutine', 'asyncio coroutine'],
  ['itertols', 'itertools'],
  ['excepton handling', 'exception handling'],
  ['decorater', 'decorator'],
  ['subproccess', 'subprocess'],
  ['regular expresion', 'regular expression'],
  ['unicode strnig', 'unicode string'],
  ['lamda function', 'lambda function'],
  ['contextmanger', 'contextmanager'],
  ['threding lock', 'threading lock'],
];
const LIMIT = 5;

/** One cold page: the index bytes read until the keyword results of `query` (with their sections) are in. */
async function coldQuery(files: ReadonlyMap<string, Uint8Array>, query: string): Promise<{ bytes: number; top: string | undefined }> {
  const { load, read } = countingLoader(files);
  const hits = await (await SiteSearch.open(load)).keywordSearch(query, LIMIT, undefined, undefined, false); // the first results: the sections' opening lines (text files are the excerpts bench's)
  return { bytes: read.bytes, top: hits[0]?.url };
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  const site = ctx.quick ? `${docs}/tutorial` : docs;
  log(`${SECTION}: keyword index with its typo table over ${site}`);
  const pages = await extractSite(site, { exclude: PYTHON_DOCS_EXCLUDE });
  const { built, files } = await keywordSite(pages);
  const size = (pattern: RegExp) => built.files.filter((f) => pattern.test(f.name)).reduce((a, f) => a + f.bytes.length, 0);
  const typoBytes = size(/^typos[.-]/);
  const keywordBytes = size(/^(keyword|terms-)/);
  const sectionBytes = size(/^sections[.-]/);

  let wrong = 0;
  let right = 0;
  let sameTop = 0;
  const rows: string[] = [];
  for (const [typed, meant] of QUERIES) {
    const a = await coldQuery(files, typed);
    const b = await coldQuery(files, meant);
    wrong += a.bytes;
    right += b.bytes;
    if (a.top !== undefined && a.top === b.top) sameTop++;
    rows.push(`${typed}: ${(a.bytes / 1024).toFixed(1)} KB vs ${(b.bytes / 1024).toFixed(1)} KB${a.top === b.top ? '' : ' (top differs)'}`);
  }
  log(`${SECTION}: ${rows.join('; ')}`);
  const kb = (n: number) => n / 1024;
  const generator = { typed: await coldQuery(files, QUERIES[0]![0]), meant: await coldQuery(files, QUERIES[0]![1]) };
  const note = `${built.manifest.counts.sections} sections; keyword files only (manifest, section table, keyword head, chunks, typo head and files, section buckets of the top ${LIMIT})`;
  return [
    { section: SECTION, name: `index KB, cold "${QUERIES[0]![0]}" (misspelled)`, value: kb(generator.typed.bytes), unit: 'KB', baseline: { name: `"${QUERIES[0]![1]}" spelled right`, value: kb(generator.meant.bytes) }, note },
    { section: SECTION, name: `index KB per misspelled query, mean of ${QUERIES.length}`, value: kb(wrong / QUERIES.length), unit: 'KB', baseline: { name: 'the same queries spelled right', value: kb(right / QUERIES.length) }, note: `${QUERIES.map(([t]) => t).join(', ')}` },
    { section: SECTION, name: 'misspelled queries whose top hit is the right spelling\'s', value: (100 * sameTop) / QUERIES.length, unit: '%', note: `${sameTop} of ${QUERIES.length}` },
    { section: SECTION, name: 'typo table, all files', value: kb(typoBytes), unit: 'KB', baseline: { name: 'keyword index (head + term chunks)', value: kb(keywordBytes) }, note: `a misspelled word reads the typo head and 1–4 of its files; section files: ${kb(sectionBytes).toFixed(0)} KB` },
  ];
}
