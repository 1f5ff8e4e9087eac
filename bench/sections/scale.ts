/**
 * A synthetic site at scale (default 100,000 sections on 5,000 pages, bench/synthetic-site.ts:
 * headings and recombined Python-docs sentences, every section distinct): build time and peak RSS
 * of `sgpt-search index` (a child process, /usr/bin/time), index bytes, an unchanged rebuild, and
 * query latency p50/p95 in headless Chromium on the built site (keyword and fused results).
 *
 * The model cannot embed 100k sections on this 2-core machine in a bench run (hours): the builds
 * take their vectors from an embedding cache filled with seeded synthetic vectors, so they run
 * every step but the model (extraction, cache reads, k-means, int8 shards, keyword index, writing)
 * and the queries run the real model on the query in the browser (the ranking of synthetic vectors
 * means nothing; its cost is real). The real model's rate is measured on its own, building
 * SGPT_BENCH_REAL_SECTIONS (default 1,000; 0 skips) sections of the same kind with no cache, and
 * extrapolated.
 *
 * Baselines in this run: the same site at a tenth of the sections (how time, memory and bytes
 * grow); the keyword-only pass over the same pages; and, given SGPT_BENCH_BASELINE_CLI (the
 * bin/sgpt-search.js of another build, e.g. a checkout from before the build was streamed), that
 * CLI's peak RSS on the same site and cache.
 *
 *   npm run bench -- scale                                   # 100k sections, about 10 minutes here (2 cores, load ~8)
 *   SGPT_BENCH_SECTIONS=20000 npm run bench -- scale         # smaller (--quick: 10k)
 *   SGPT_BENCH_SCALE_DIR=/var/tmp/sgpt-scale npm run bench -- scale
 *
 * SGPT_BENCH_SCALE_DIR keeps the sites, their vector cache, their indexes and the build's
 * measurements in that folder: a later run with the same size reports the kept build figures (with
 * the date they were measured) and measures only the browser's queries again, both sites in the
 * same run. Kept indexes of another index format version or another model (hash) are built again.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { modelSource } from '../../src/build/default-model';
import { FORMAT_VERSION } from '../../src/index/format';
import { modelFolderHash } from '../../src/index/model-ref';
import { routeSite } from '../../test/e2e/site-route';
import { withBenchBrowser } from '../browser';
import { keywordPass } from '../rebuild-rounds';
import { median } from '../stats';
import { fillSyntheticCache, writeSyntheticSite } from '../synthetic-site';
import type { BenchContext, BenchRow } from '../types';

const SECTION = 'scale';
const BIN = resolve('bin/sgpt-search.js');
const QUERIES = [
  'read a file line by line', 'what is a generator', 'sort a list of dictionaries', 'regular expression groups',
  'how do I copy an object', 'thread safety of the interpreter', 'format a date as a string', 'unicode strings and bytes',
  'catch several exceptions', 'default argument values', 'module search path', 'context manager protocol',
  'run a subprocess and read its output', 'decimal floating point', 'iterate over two lists at once', 'class variables',
  'parse command line arguments', 'write json to a file', 'random numbers', 'measure execution time',
];

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await dirBytes(path) : (await stat(path)).size;
  }
  return total;
}

interface Build {
  seconds: number;
  peakMb: number;
  summary: string;
}

/** Seconds and peak RSS of `sgpt-search index` (the CLI at `bin`) as a child process. */
function timedBuild(site: string, out: string, options: { model?: string; cacheDir?: string; bin?: string }): Promise<Build> {
  const args = ['-f', '%M', process.execPath, options.bin ?? BIN, 'index', site, '--out', out, '--no-runtime', '--no-model'];
  if (options.model) args.push('--model', options.model);
  if (options.cacheDir) args.push('--cache-dir', options.cacheDir);
  return new Promise((done, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d));
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = output.trim().split('\n');
      if (code !== 0) return reject(new Error(`sgpt-search index exited ${code}: ${output.slice(-2000)}`));
      done({ seconds: (performance.now() - started) / 1000, peakMb: Number(lines.at(-1)) / 1024, summary: lines.find((l) => l.startsWith('indexed')) ?? '' });
    });
  });
}

interface QueryTimes {
  keyword: number[];
  fused: number[];
}

/** Typing each query into the element on the built site: ms to the keyword and to the fused (semantic) results. */
async function queryTimes(site: string): Promise<QueryTimes> {
  return withBenchBrowser(async (browser, base) => {
    const context = await browser.newContext({ baseURL: base });
    try {
      const page = await context.newPage();
      await routeSite(page, '/scale/', site, { attributes: 'limit="5"' });
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
      const times: QueryTimes = { keyword: [], fused: [] };
      // The first query loads the model: measured apart, as warm-up.
      for (const query of ['warm up the model', ...QUERIES]) {
        const start = await page.evaluate(() => performance.now());
        await box.fill(query);
        await page.waitForFunction((q) => (window as unknown as { __marks: Record<string, Record<string, number>> }).__marks[q]?.semantic !== undefined, query, { timeout: 300_000 });
        const marks = await page.evaluate((q) => (window as unknown as { __marks: Record<string, Record<string, number>> }).__marks[q]!, query);
        if (query === 'warm up the model') continue;
        times.fused.push(marks.semantic! - start);
        times.keyword.push(marks.keyword! - start);
      }
      return times;
    } finally {
      await context.close();
    }
  });
}

/** What the build steps measured (kept in SGPT_BENCH_SCALE_DIR between runs). */
interface Builds {
  /** When they were measured, and for which index format. */
  measured: string;
  formatVersion: number;
  small: Build;
  big: Build;
  old: Build | null;
  keywordSeconds: number;
  rebuild: Build;
  smallBytes: number;
  bigBytes: number;
  real: { sections: number; build: Build } | null;
}

async function runBuilds(work: string, sites: { small: string; big: string }, sections: number, ctx: BenchContext): Promise<Builds> {
  const log = ctx.log ?? (() => undefined);
  const realSections = Number(process.env.SGPT_BENCH_REAL_SECTIONS ?? 1000);
  const baselineCli = process.env.SGPT_BENCH_BASELINE_CLI;
  const tenth = Math.round(sections / 10);
  const model = modelSource(ctx.model);
  const { small, big } = sites;
  const cacheDir = join(work, 'cache');
  log(`${SECTION}: writing synthetic sites of ${tenth} and ${sections} sections, and synthetic vectors for them`);
  await writeSyntheticSite(small, tenth, 2);
  await writeSyntheticSite(big, sections, 1);
  for (const site of [small, big]) await fillSyntheticCache(site, join(site, 'sgpt'), cacheDir, model);
  log(`${SECTION}: building the tenth-size site`);
  const smallBuild = await timedBuild(small, join(small, 'sgpt'), { model: ctx.model, cacheDir });
  log(`${SECTION}: building the full site`);
  const bigBuild = await timedBuild(big, join(big, 'sgpt'), { model: ctx.model, cacheDir });
  let oldBuild: Build | null = null;
  if (baselineCli !== undefined) {
    log(`${SECTION}: the full site with ${baselineCli}`);
    oldBuild = await timedBuild(big, join(work, 'baseline-out'), { model: ctx.model, cacheDir, bin: resolve(baselineCli) });
    await rm(join(work, 'baseline-out'), { recursive: true, force: true });
  }
  log(`${SECTION}: keyword-only pass over the full site, then an unchanged rebuild`);
  const keyword = await keywordPass(big, join(big, 'sgpt'));
  const rebuild = await timedBuild(big, join(big, 'sgpt'), { model: ctx.model });
  let real: Builds['real'] = null;
  if (realSections > 0) {
    log(`${SECTION}: the real model on ${realSections} sections (no cache), for its rate`);
    const site = join(work, 'real');
    await writeSyntheticSite(site, realSections, 3);
    real = { sections: realSections, build: await timedBuild(site, join(site, 'sgpt'), { model: ctx.model }) };
    await rm(site, { recursive: true, force: true });
  }
  return {
    measured: new Date().toISOString(),
    formatVersion: FORMAT_VERSION,
    small: smallBuild,
    big: bigBuild,
    old: oldBuild,
    keywordSeconds: keyword.wall,
    rebuild,
    smallBytes: await dirBytes(join(small, 'sgpt')),
    bigBytes: await dirBytes(join(big, 'sgpt')),
    real,
  };
}

/** The builds measured in a kept folder, if they are of this size, index format and model (by hash) and their indexes are there. */
async function keptBuilds(record: string, sites: { small: string; big: string }, model: string): Promise<Builds | null> {
  try {
    const builds = JSON.parse(await readFile(record, 'utf8')) as Builds;
    if (builds.formatVersion !== FORMAT_VERSION) return null;
    const hash = await modelFolderHash(model);
    for (const site of [sites.small, sites.big]) {
      const manifest = JSON.parse(await readFile(join(site, 'sgpt', 'manifest.json'), 'utf8')) as { model?: { hash?: string } };
      if (manifest.model?.hash !== hash) return null;
    }
    return builds;
  } catch {
    return null;
  }
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const sections = Number(process.env.SGPT_BENCH_SECTIONS ?? (ctx.quick ? 10_000 : 100_000));
  const baselineCli = process.env.SGPT_BENCH_BASELINE_CLI;
  const tenth = Math.round(sections / 10);
  const keep = process.env.SGPT_BENCH_SCALE_DIR;
  const work = keep === undefined ? await mkdtemp(join(tmpdir(), 'sgpt-bench-scale-')) : resolve(keep);
  try {
    await mkdir(work, { recursive: true });
    const sites = { small: join(work, `site-${tenth}-s2`), big: join(work, `site-${sections}-s1`) };
    const record = join(work, `builds-${sections}.json`);
    let builds = keep === undefined ? null : await keptBuilds(record, sites, modelSource(ctx.model));
    const kept = builds !== null;
    if (builds === null) {
      builds = await runBuilds(work, sites, sections, ctx);
      if (keep !== undefined) await writeFile(record, `${JSON.stringify(builds, null, 2)}\n`);
    } else log(`${SECTION}: the sites and builds kept in ${work} (measured ${builds.measured}); measuring the queries again`);
    log(`${SECTION}: Chromium, ${QUERIES.length} queries on each built site`);
    const smallTimes = await queryTimes(sites.small);
    const bigTimes = await queryTimes(sites.big);
    const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(0.95 * values.length) - 1)]!;
    const { small: smallBuild, big: bigBuild, old: oldBuild, rebuild, real } = builds;
    const when = kept ? `; build figures kept from ${builds.measured}` : '';
    const note = `${bigBuild.summary}; vectors from a cache of synthetic vectors (no model)${when}`;
    const smallName = `${tenth} sections`;
    const rows: BenchRow[] = [
      { section: SECTION, name: `index build, ${sections} synthetic sections`, value: bigBuild.seconds, unit: 's', baseline: { name: 'keyword-only pass', value: builds.keywordSeconds }, note: `${note}; ${smallName}: ${smallBuild.seconds.toFixed(1)} s` },
      { section: SECTION, name: 'index build, peak RSS', value: bigBuild.peakMb, unit: 'MB', baseline: { name: smallName, value: smallBuild.peakMb }, note: `the child process, /usr/bin/time %M; ${(sections / tenth).toFixed(0)}x the sections${when}` },
    ];
    if (oldBuild !== null) rows.push({ section: SECTION, name: 'index build, peak RSS, this build', value: bigBuild.peakMb, unit: 'MB', baseline: { name: `${baselineCli ?? 'the baseline CLI'} (same site and cache)`, value: oldBuild.peakMb }, note: `that CLI took ${oldBuild.seconds.toFixed(0)} s, this one ${bigBuild.seconds.toFixed(0)} s${when}` });
    rows.push(
      { section: SECTION, name: 'index bytes', value: builds.bigBytes / 1e6, unit: 'MB', baseline: { name: smallName, value: builds.smallBytes / 1e6 }, note: `${(builds.bigBytes / sections).toFixed(0)} B per section (no model copy)${when}` },
      { section: SECTION, name: `unchanged rebuild, ${sections} sections`, value: rebuild.seconds, unit: 's', baseline: { name: 'keyword-only pass', value: builds.keywordSeconds }, note: `peak RSS ${rebuild.peakMb.toFixed(0)} MB; ${rebuild.summary}${when}` },
    );
    if (real !== null) {
      const rate = real.sections / real.build.seconds;
      rows.push({ section: SECTION, name: `build with the real model, ${real.sections} sections, sections/s`, value: rate, unit: '/s', note: `${real.build.seconds.toFixed(0)} s, peak RSS ${real.build.peakMb.toFixed(0)} MB; ${sections} sections at this rate: ${(sections / rate / 3600).toFixed(1)} h${when}` });
    }
    rows.push(
      { section: SECTION, name: 'query to keyword results, p50 (Chromium)', value: median(bigTimes.keyword), unit: 'ms', baseline: { name: smallName, value: median(smallTimes.keyword) }, note: `${QUERIES.length} queries typed into the element, model loaded; both sites in this run` },
      { section: SECTION, name: 'query to keyword results, p95 (Chromium)', value: p95(bigTimes.keyword), unit: 'ms', baseline: { name: smallName, value: p95(smallTimes.keyword) }, note: '' },
      { section: SECTION, name: 'query to fused results, p50 (Chromium)', value: median(bigTimes.fused), unit: 'ms', baseline: { name: smallName, value: median(smallTimes.fused) }, note: 'the real model embeds the query; the vectors searched are synthetic' },
      { section: SECTION, name: 'query to fused results, p95 (Chromium)', value: p95(bigTimes.fused), unit: 'ms', baseline: { name: smallName, value: p95(smallTimes.fused) }, note: '' },
    );
    return rows;
  } finally {
    if (keep === undefined) await rm(work, { recursive: true, force: true });
  }
}
