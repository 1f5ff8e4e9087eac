/**
 * A synthetic site at scale (default 100,000 sections on 5,000 pages): build time and peak RSS of
 * `sgpt-search index` (a child process, measured by /usr/bin/time), index bytes, and query
 * latency p50/p95 in headless Chromium on the built site (typing to the fused, semantic results).
 *
 * Knobs (environment): SGPT_BENCH_SECTIONS (sections, default 100000; --quick 4000) and
 * SGPT_BENCH_DISTINCT (distinct page contents, in sections, default 4000): pages repeat with other
 * URLs once the distinct contents are used up, so the keyword index, section files, vector shards
 * and k-means see every section while the model embeds each distinct text once (the build
 * de-duplicates by text hash). A full 100k-section embedding run does not fit this 2-core machine's
 * bench budget; raise SGPT_BENCH_DISTINCT to the section count for it.
 *
 * Baselines in this run: build time against the keyword-only pass over the same pages; peak RSS and
 * bytes against the same site at a tenth of the sections (how they grow); query latency against the
 * first keyword result of the same queries.
 *
 *   SGPT_BENCH_SECTIONS=100000 npm run bench -- scale
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { extractSite } from '../../src/extract/site';
import { fileRefFor, gzip } from '../../src/index/format';
import { writeKeyword, writeSections, type AddFile } from '../../src/index/writer';
import { keywordText } from '../../src/search/texts';
import { routeSite } from '../../test/e2e/site-route';
import { withBenchBrowser } from '../browser';
import { median } from '../stats';
import type { BenchContext, BenchRow } from '../types';

const SECTION = 'scale';
const PER_PAGE = 20;
const POOL = '/work/shared/data/python-docs/sections.jsonl.gz';
const BIN = resolve('bin/sgpt-search.js');
const QUERIES = [
  'read a file line by line', 'what is a generator', 'sort a list of dictionaries', 'regular expression groups',
  'how do I copy an object', 'thread safety of the interpreter', 'format a date as a string', 'unicode strings and bytes',
  'catch several exceptions', 'default argument values', 'module search path', 'context manager protocol',
  'run a subprocess and read its output', 'decimal floating point', 'iterate over two lists at once', 'class variables',
  'parse command line arguments', 'write json to a file', 'random numbers', 'measure execution time',
];

const discard: AddFile = async (stem, ext, content, compress) => fileRefFor(stem, compress ? `${ext}.gzip` : ext, compress ? await gzip(content) : content);

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Writes `sections` sections on pages of PER_PAGE; page contents repeat after `distinct` sections. */
async function writeSite(dir: string, sections: number, distinct: number): Promise<void> {
  const pool = gunzipSync(readFileSync(POOL)).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { title: string; text: string });
  const pages = Math.ceil(sections / PER_PAGE);
  const distinctPages = Math.max(1, Math.ceil(distinct / PER_PAGE));
  for (let p = 0; p < pages; p++) {
    const key = p % distinctPages;
    const folder = join(dir, `part-${Math.floor(p / 500)}`);
    if (p % 500 === 0) await mkdir(folder, { recursive: true });
    const body: string[] = [`<h1 id="top">Topic ${key}: ${escapeHtml(pool[key % pool.length]!.title)}</h1>`];
    for (let s = 0; s < Math.min(PER_PAGE, sections - p * PER_PAGE); s++) {
      const entry = pool[(key * PER_PAGE + s) % pool.length]!;
      body.push(`<h2 id="s${s}">${escapeHtml(entry.title)}</h2><p>${escapeHtml(entry.text.slice(0, 800))}</p>`);
    }
    await writeFile(join(folder, `page-${p}.html`), `<!doctype html><meta charset="utf-8"><title>Topic ${key}</title><main>${body.join('\n')}</main>`);
  }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(path) : (await stat(path)).size;
  }
  return total;
}

/** Seconds and peak RSS (KB) of `sgpt-search index` as a child process. */
function timedBuild(site: string, out: string, model: string | undefined): Promise<{ seconds: number; peakKb: number; summary: string }> {
  const args = ['-f', '%M', process.execPath, BIN, 'index', site, '--out', out, '--no-runtime', ...(model ? ['--model', model] : [])];
  return new Promise((done, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stderr.trim().split('\n');
      if (code !== 0) return reject(new Error(`sgpt-search index exited ${code}: ${stderr.slice(-2000)}`));
      done({ seconds: (performance.now() - started) / 1000, peakKb: Number(lines.at(-1)), summary: lines.find((l) => l.startsWith('indexed')) ?? '' });
    });
  });
}

async function keywordOnly(site: string): Promise<number> {
  const started = performance.now();
  const pages = await extractSite(site, { skipDirs: [join(site, 'sgpt')] });
  await writeKeyword(pages.flatMap((p) => p.sections.map(keywordText)), discard);
  await writeSections(pages, 240, discard);
  return (performance.now() - started) / 1000;
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const sections = Number(process.env.SGPT_BENCH_SECTIONS ?? (ctx.quick ? 4000 : 100_000));
  const distinct = Math.min(sections, Number(process.env.SGPT_BENCH_DISTINCT ?? 4000));
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-scale-'));
  try {
    const small = join(work, 'small');
    const big = join(work, 'big');
    log(`${SECTION}: writing synthetic sites of ${sections / 10} and ${sections} sections (${distinct} distinct)`);
    await writeSite(small, Math.round(sections / 10), Math.min(distinct, Math.round(sections / 10)));
    await writeSite(big, sections, distinct);
    log(`${SECTION}: building the tenth-size site`);
    const smallBuild = await timedBuild(small, join(small, 'sgpt'), ctx.model);
    log(`${SECTION}: building the full site`);
    const bigBuild = await timedBuild(big, join(big, 'sgpt'), ctx.model);
    log(`${SECTION}: keyword-only pass over the full site`);
    const keywordSeconds = await keywordOnly(big);
    const [smallBytes, bigBytes] = [await dirBytes(join(small, 'sgpt')), await dirBytes(join(big, 'sgpt'))];

    log(`${SECTION}: Chromium, ${QUERIES.length} queries on the built site`);
    const { semantic, keyword } = await withBenchBrowser(async (browser, base) => {
      const context = await browser.newContext({ baseURL: base });
      try {
        const page = await context.newPage();
        await routeSite(page, '/scale/', big, { attributes: 'limit="5"' });
        await page.addInitScript(() => {
          const w = window as unknown as { __marks: Record<string, Record<string, number>> };
          w.__marks = {};
          document.addEventListener('sgpt-results', (event) => {
            const { stage, query } = (event as CustomEvent).detail as { stage: string; query: string };
            (w.__marks[query] ??= {})[stage] ??= performance.now();
          });
        });
        await page.goto('/scale/search.html');
        const box = page.locator('sgpt-search#search').getByRole('combobox');
        const semanticMs: number[] = [];
        const keywordMs: number[] = [];
        // The first query loads the model: measured apart, as warm-up.
        for (const query of ['warm up the model', ...QUERIES]) {
          const start = await page.evaluate(() => performance.now());
          await box.fill(query);
          await page.waitForFunction((q) => (window as unknown as { __marks: Record<string, Record<string, number>> }).__marks[q]?.semantic !== undefined, query, { timeout: 300_000 });
          const marks = await page.evaluate((q) => (window as unknown as { __marks: Record<string, Record<string, number>> }).__marks[q]!, query);
          if (query === 'warm up the model') continue;
          semanticMs.push(marks.semantic! - start);
          keywordMs.push(marks.keyword! - start);
        }
        return { semantic: semanticMs, keyword: keywordMs };
      } finally {
        await context.close();
      }
    });
    const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(0.95 * values.length) - 1)]!;
    const note = `${sections} sections on ${Math.ceil(sections / PER_PAGE)} pages, ${distinct} distinct section contents (the rest repeat under other URLs); ${bigBuild.summary}`;
    return [
      { section: SECTION, name: `index build, ${sections} synthetic sections`, value: bigBuild.seconds, unit: 's', baseline: { name: 'keyword-only pass', value: keywordSeconds }, note },
      { section: SECTION, name: 'index build, peak RSS', value: bigBuild.peakKb / 1024, unit: 'MB', baseline: { name: `a tenth of the sections (${sections / 10})`, value: smallBuild.peakKb / 1024 }, note: 'the child process, /usr/bin/time %M' },
      { section: SECTION, name: 'index bytes', value: bigBytes / 1e6, unit: 'MB', baseline: { name: 'a tenth of the sections', value: smallBytes / 1e6 }, note: `${(bigBytes / sections).toFixed(0)} B per section (model copy included)` },
      { section: SECTION, name: 'query to semantic results, p50 (Chromium)', value: median(semantic), unit: 'ms', baseline: { name: 'first keyword result, p50', value: median(keyword) }, note: `${QUERIES.length} queries typed at once into the element, model loaded` },
      { section: SECTION, name: 'query to semantic results, p95 (Chromium)', value: p95(semantic), unit: 'ms', baseline: { name: 'first keyword result, p95', value: p95(keyword) }, note: '' },
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
