/**
 * Bytes and time of a page view in headless Chromium, as a reader meets them.
 *
 * A built site (the CLI's index of test/fixtures/site with the two tags, the runtime and the model
 * it ships) behind a plain static server that gzips (chunked, no Content-Length, Range ignored):
 * bytes on the wire for a page view with no search, up to the first keyword result and up to the
 * first semantic result, and the time from intent (focus) to each result. The baseline in the same
 * run is load="eager" (what the element did before: everything at connection); the repeat visit is
 * the same browser profile restarted (Cache API, IndexedDB, HTTP cache kept).
 *
 * The demo (300 Python-docs sections given in the page), built and served by `vite preview`: time from intent to the
 * first semantic result over all the documents, first visit vs a repeat visit whose vectors come
 * from IndexedDB (target ≤ 1 s), and the first visit with vectors shipped by
 * `sgpt-search embed --documents`.
 *
 *   npm run bench -- browser-loading [--quick]
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { build, preview } from 'vite';
import { DEFAULT_MODEL } from '../../src/embed/default-model';
import type { Startup } from '../roofline/wasm-worker';
import { withDevServer } from '../browser';
import { inWasmWorker, medianStartup } from './chromium-embed';
import { chromiumLaunch } from '../../playwright.config';
import buildRuntime from '../../test/build-runtime';
import { buildFixtureSite, serveFolder, type StaticServer } from '../../test/e2e/static-server';
import type { BenchContext, BenchRow } from '../types';

const SECTION = 'browser-loading';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PREFIX = '/docs/';
const SITE_QUERY = 'how do I install the kettle';
const DEMO_QUERY = 'how do I read a file line by line';

/** Times (epoch ms) the page saw: intent (first focus), each results stage, ready. */
interface Timeline {
  focus: number | null;
  ready: number | null;
  results: Array<{ stage: string; query: string; at: number }>;
}

export async function recordTimeline(page: Page): Promise<void> {
  // No named inner functions in page code: tsx would wrap them in a helper the page lacks.
  await page.addInitScript(() => {
    const t: Timeline = { focus: null, ready: null, results: [] };
    (window as unknown as { __timeline: Timeline }).__timeline = t;
    document.addEventListener('focusin', () => (t.focus ??= performance.timeOrigin + performance.now()), true);
    document.addEventListener('sgpt-ready', () => (t.ready ??= performance.timeOrigin + performance.now()));
    document.addEventListener('sgpt-results', (event) => {
      const { stage, query } = (event as CustomEvent<{ stage: string; query: string }>).detail;
      t.results.push({ stage, query, at: performance.timeOrigin + performance.now() });
    });
  });
}

const timeline = (page: Page) => page.evaluate(() => (window as unknown as { __timeline: Timeline }).__timeline);

export async function waitFor(page: Page, test: (t: Timeline) => boolean, timeoutMs: number, what: string): Promise<Timeline> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await timeline(page);
    if (test(t)) return t;
    if (Date.now() > deadline) throw new Error(`${SECTION}: timed out waiting for ${what}`);
    await page.waitForTimeout(25);
  }
}

export const firstOf = (t: Timeline, stage: string, query: string) => t.results.find((r) => r.stage === stage && r.query === query)?.at;

interface SiteVisit {
  pageView: number;
  toKeyword: number;
  toSemantic: number;
  keywordMs: number;
  semanticMs: number;
  /** Bytes of model and WASM files up to the first semantic result. */
  modelAndWasm: number;
}

/** One page view of the built site: idle a while, then focus, type, wait for both stages. */
async function siteVisit(context: BrowserContext, server: StaticServer, idleMs: number, path = ''): Promise<SiteVisit> {
  const page = context.pages()[0] ?? (await context.newPage());
  await recordTimeline(page);
  const from = server.log.length;
  await page.goto(`${server.origin}${PREFIX}${path}`);
  await page.waitForTimeout(idleMs);
  const viewEnd = Date.now();
  await page.locator('sgpt-search').getByRole('combobox').fill(SITE_QUERY);
  const t = await waitFor(page, (x) => firstOf(x, 'semantic', SITE_QUERY) !== undefined, 120_000, 'the semantic result');
  await page.waitForTimeout(200); // let the log settle
  const log = server.log.slice(from);
  const bytesBefore = (at: number) => log.filter((entry) => entry.at <= at).reduce((sum, entry) => sum + entry.bytes, 0);
  const keywordAt = firstOf(t, 'keyword', SITE_QUERY)!;
  const semanticAt = firstOf(t, 'semantic', SITE_QUERY)!;
  return {
    pageView: bytesBefore(viewEnd),
    toKeyword: bytesBefore(keywordAt),
    toSemantic: bytesBefore(semanticAt),
    keywordMs: keywordAt - t.focus!,
    semanticMs: semanticAt - t.focus!,
    modelAndWasm: log.filter((entry) => entry.at <= semanticAt && /\/model\/|\.wasm$/.test(entry.path)).reduce((sum, entry) => sum + entry.bytes, 0),
  };
}

/** The fixture site with the two tags: index.html as shipped (load on intent), eager.html with load="eager" (the baseline). */
function builtSite(work: string): Promise<string> {
  const tags = (load: string) => `<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search index="sgpt/manifest.json"${load}></sgpt-search>`;
  return buildFixtureSite(work, { 'index.html': tags(''), 'eager.html': tags(' load="eager"') });
}

const launchPersistent = (profile: string) => chromium.launchPersistentContext(profile, { executablePath: chromiumLaunch.executablePath, args: chromiumLaunch.args });

/**
 * One demo visit in `profile`: ms from intent to ready and to the first semantic result after it,
 * and bytes from the network by then (bodies; the model's and the WASM runtime's apart). Files the
 * Cache API serves make no request; a revalidation that answers 304 has no body.
 */
async function demoVisit(profile: string, base: string, path: string, pauseMs = 1_000): Promise<{ readyMs: number; semanticMs: number; bytes: number; modelAndWasm: number; embedded: number }> {
  const context = await launchPersistent(profile);
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const transfers: Array<Promise<{ url: string; body: number }>> = [];
    context.on('requestfinished', (request) => transfers.push(request.sizes().then((sizes) => ({ url: request.url(), body: sizes.responseBodySize }), () => ({ url: request.url(), body: 0 }))));
    await recordTimeline(page);
    // How many documents this visit embedded (0 when every vector came from IndexedDB).
    await page.addInitScript(() => {
      const w = window as unknown as { __embedded: number };
      w.__embedded = 0;
      document.addEventListener('sgpt-progress', (event) => {
        const detail = (event as CustomEvent<{ phase: string; total?: number }>).detail;
        if (detail.phase === 'embed') w.__embedded = detail.total ?? 0;
      });
    });
    await page.goto(`${base}${path}`);
    await page.waitForTimeout(pauseMs);
    await page.locator('sgpt-search').getByRole('combobox').fill(DEMO_QUERY);
    const t = await waitFor(page, (x) => x.ready !== null && x.results.some((r) => r.stage === 'semantic' && r.at >= x.ready!), 400_000, 'the demo to be ready');
    const semantic = t.results.find((r) => r.stage === 'semantic' && r.at >= t.ready!)!;
    const done = await Promise.all(transfers);
    const embedded = await page.evaluate(() => (window as unknown as { __embedded: number }).__embedded);
    // A reader stays a moment after the results: the last vectors reach IndexedDB and Chromium
    // writes the WASM runtime's compiled code (closing the browser at once would lose both).
    await page.waitForTimeout(3_000);
    return {
      readyMs: t.ready! - t.focus!,
      semanticMs: semantic.at - t.focus!,
      bytes: done.reduce((sum, d) => sum + d.body, 0),
      modelAndWasm: done.filter((d) => /\/models\/|\.wasm(\?|$)/.test(d.url)).reduce((sum, d) => sum + d.body, 0),
      embedded,
    };
  } finally {
    await context.close();
  }
}

/**
 * The demo as a visitor gets it: built (`vite build`, the element and its worker bundled) into
 * `out`, with shipped.html beside index.html reading `shipped` (the documents with their vectors),
 * served by `vite preview` (the demo config's headers and /ort/ middleware) while `fn` runs.
 */
async function withBuiltDemo<T>(out: string, shipped: string, fn: (base: string) => Promise<T>): Promise<T> {
  const configFile = resolve(ROOT, 'vite.config.ts');
  await build({ configFile, logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
  const page = await readFile(join(out, 'index.html'), 'utf8');
  await writeFile(join(out, 'shipped.html'), page.replace('src="./data/python-docs.json"', 'src="./data/shipped.json"'));
  await copyFile(shipped, join(out, 'data/shipped.json'));
  const server = await preview({ configFile, logLevel: 'silent', build: { outDir: out }, preview: { port: Number(process.env.SGPT_BENCH_PORT ?? 0), strictPort: true, host: '127.0.0.1' } });
  try {
    const address = server.httpServer.address();
    if (address === null || typeof address === 'string') throw new Error('vite preview did not report a port');
    return await fn(`http://127.0.0.1:${address.port}`);
  } finally {
    await server.close();
  }
}

/**
 * The model's start-up in a worker (bench/roofline/wasm-worker, 1 thread, the model as shipped) on a first visit and on repeat visits (browser restarted, same profile), with
 * onnxruntime-web's binary streamed from its URL (as the element does: Chromium code-caches it)
 * and handed over as bytes (as it did before: no code cache); one profile each, visits interleaved.
 */
export async function startupVisits(work: string, repeats: number): Promise<Record<'streamed' | 'bytes', { first: Startup; repeat: Startup }>> {
  const modes = ['streamed', 'bytes'] as const;
  const runs = { streamed: [] as Startup[], bytes: [] as Startup[] };
  await withDevServer(async (base) => {
    for (let visit = 0; visit <= repeats; visit++) {
      for (const wasm of modes) {
        const context = await launchPersistent(join(work, `startup-${wasm}`));
        try {
          const page = context.pages()[0] ?? (await context.newPage());
          // A blank page of the server's origin: nothing else of ours runs beside the worker.
          await page.route(`${base}/__blank.html`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>start-up</title>' }));
          await page.goto(`${base}/__blank.html`);
          const model = `${base}/models/${DEFAULT_MODEL}/onnx/model.onnx`;
          // The worker lives on a few seconds, as the element's does while its page is open.
          runs[wasm].push(await inWasmWorker<Startup>(page, { kind: 'startup', ortBase: `${base}/ort/`, threads: 1, model, wasm }, 3_000));
        } finally {
          await context.close();
        }
      }
    }
  });
  const result = (list: Startup[]) => ({ first: list[0]!, repeat: medianStartup(list.slice(1)) });
  return { streamed: result(runs.streamed), bytes: result(runs.bytes) };
}

const kb = (bytes: number) => bytes / 1024;

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-loading-'));
  const rows: BenchRow[] = [];
  try {
    log(`${SECTION}: building the fixture site with the CLI`);
    buildRuntime(); // the site ships dist/runtime: never measure a stale one
    const site = await builtSite(work);
    const server = await serveFolder(site, PREFIX, {}, { gzip: true });
    try {
      const idleMs = 3_000;
      log(`${SECTION}: eager (baseline), cold`);
      const browser = await chromium.launch(chromiumLaunch);
      let eager: SiteVisit;
      try {
        eager = await siteVisit(await browser.newContext(), server, idleMs, 'eager.html');
      } finally {
        await browser.close();
      }
      const profile = join(work, 'profile');
      log(`${SECTION}: intent (default), cold, then a repeat visit`);
      const visit = async () => {
        const context = await launchPersistent(profile);
        try {
          return await siteVisit(context, server, idleMs);
        } finally {
          await context.close();
        }
      };
      const first = await visit();
      const repeat = await visit();
      const script = (await readFile(join(site, 'sgpt/sgpt-search.js'))).length;
      const note = 'built fixture site, gzip static server, cold Chromium; KB on the wire';
      rows.push(
        { section: SECTION, name: 'KB for a page view with no search', value: kb(first.pageView), unit: 'KB', baseline: { name: 'load="eager"', value: kb(eager.pageView) }, note: `${note}; element script ${kb(script).toFixed(0)} KB before gzip` },
        { section: SECTION, name: 'KB to the first keyword result', value: kb(first.toKeyword), unit: 'KB', baseline: { name: 'load="eager"', value: kb(eager.toKeyword) }, note: `${note}; requests started by then: the WASM runtime starts (in the worker) once the keyword index is in, within the 120 ms debounce` },
        { section: SECTION, name: 'KB to the first semantic result', value: kb(first.toSemantic), unit: 'KB', baseline: { name: 'load="eager"', value: kb(eager.toSemantic) }, note },
        { section: SECTION, name: 'repeat visit: KB to the first semantic result', value: kb(repeat.toSemantic), unit: 'KB', baseline: { name: 'first visit', value: kb(first.toSemantic) }, note: 'same profile, browser restarted' },
        { section: SECTION, name: 'repeat visit: model + WASM KB from the network', value: kb(repeat.modelAndWasm), unit: 'KB', baseline: { name: 'first visit', value: kb(first.modelAndWasm) }, note: 'Cache API' },
        { section: SECTION, name: 'ms from intent to the first keyword result', value: first.keywordMs, unit: 'ms', baseline: { name: 'load="eager"', value: eager.keywordMs }, note: 'focus, then the query typed at once' },
        { section: SECTION, name: 'ms from intent to the first semantic result', value: first.semanticMs, unit: 'ms', baseline: { name: 'load="eager" (model loaded during the idle page view)', value: eager.semanticMs } },
        { section: SECTION, name: 'repeat visit: ms from intent to the first semantic result', value: repeat.semanticMs, unit: 'ms', baseline: { name: 'first visit', value: first.semanticMs } },
      );
    } finally {
      await server.close();
    }

    log(`${SECTION}: the model's start-up in a worker, first vs repeat visits, WASM streamed vs handed over as bytes`);
    const startup = await startupVisits(work, ctx.quick ? 2 : 4);
    const parts = (s: Startup) => `runtime ${s.runtimeMs.toFixed(0)} + session ${s.sessionMs.toFixed(0)} + first query ${s.firstRunMs.toFixed(0)} ms`;
    const total = (s: Startup) => s.runtimeMs + s.sessionMs + s.firstRunMs;
    rows.push(
      { section: SECTION, name: 'repeat visit: model start-up in a worker, WASM streamed', value: total(startup.streamed.repeat), unit: 'ms', baseline: { name: 'WASM handed over as bytes (before)', value: total(startup.bytes.repeat) }, note: `medians of ${ctx.quick ? 2 : 4} restarts; streamed: ${parts(startup.streamed.repeat)}; bytes: ${parts(startup.bytes.repeat)}` },
      { section: SECTION, name: 'first visit: model start-up in a worker, WASM streamed', value: total(startup.streamed.first), unit: 'ms', baseline: { name: 'WASM handed over as bytes', value: total(startup.bytes.first) }, note: `streamed: ${parts(startup.streamed.first)}; bytes: ${parts(startup.bytes.first)}` },
    );

    if (!ctx.quick) {
      log(`${SECTION}: demo (built), 300 sections in the page: first visit, repeat visit, shipped vectors`);
      const shipped = join(work, 'shipped.json');
      await promisify(execFile)(process.execPath, [resolve(ROOT, 'bin/sgpt-search.js'), 'embed', '--documents', resolve(ROOT, 'demo/data/python-docs.json'), '--out', shipped]);
      await withBuiltDemo(join(work, 'demo'), shipped, async (base) => {
        const profile = join(work, 'demo-profile');
        const cold = await demoVisit(profile, base, '/');
        const warm = await demoVisit(profile, base, '/');
        const paused = await demoVisit(profile, base, '/', 3_000);
        const precomputed = await demoVisit(join(work, 'shipped-profile'), base, '/shipped.html');
        rows.push(
          { section: SECTION, name: 'demo repeat visit: ms from intent to semantic results over all 300', value: warm.semanticMs, unit: 'ms', baseline: { name: 'first visit', value: cold.semanticMs }, note: `the built demo (vite build, vite preview); vectors from IndexedDB (documents embedded on this visit: ${warm.embedded}); target ≤ 1000 ms (ready after ${warm.readyMs.toFixed(0)} ms)` },
          { section: SECTION, name: 'demo repeat visit, the reader types 3 s after the page loads: ms to semantic results', value: paused.semanticMs, unit: 'ms', baseline: { name: 'typing after 1 s', value: warm.semanticMs }, note: `documents embedded on this visit: ${paused.embedded}; ready after ${paused.readyMs.toFixed(0)} ms` },
          { section: SECTION, name: 'demo repeat visit: model + WASM KB from the network', value: kb(warm.modelAndWasm), unit: 'KB', baseline: { name: 'first visit', value: kb(cold.modelAndWasm) }, note: `all bodies by the semantic result: ${kb(warm.bytes).toFixed(0)} KB (first visit ${kb(cold.bytes).toFixed(0)} KB)` },
          { section: SECTION, name: 'demo first visit, vectors shipped (embed --documents): ms to semantic results', value: precomputed.semanticMs, unit: 'ms', baseline: { name: 'first visit, embedded in the browser', value: cold.semanticMs } },
        );
      });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return rows;
}
