/**
 * Browser embedding speed in headless Chromium, through the real worker and client: ms per query
 * (median round trip of client.search over 32 documents) and documents per second
 * (client.setDocuments of 32 new documents of ~128 words).
 *
 * Configurations, all in this run on one page: onnxruntime-web's plain WASM build with 1 thread
 * (what the element uses on CPU), the asyncify build with 1 thread (transformers.js' default and
 * the one WebGPU needs: the baseline), the plain build with 2 threads, and WebGPU only if the
 * browser offers a real adapter (headless Chromium here offers none: reported as n/a).
 *
 *   npx tsx bench/sections/chromium-embed.ts [model]      (standalone: prints the rows)
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunch } from '../../playwright.config';
import { modelSource } from '../../src/cli/default-model';
import type { BenchContext, BenchRow } from '../types';

const SECTION = 'chromium-embed';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PUBLIC = resolve(ROOT, 'public');
const BENCH_PAGE = '/__bench__.html';
const WORDS = (
  'the search index maps every section of the documentation to a vector so that a query finds ' +
  'pages by meaning rather than by exact words while the keyword index still answers at once ' +
  'configure the build to write the index next to the site and load the model in a worker'
).split(' ');

interface Config {
  name: string;
  device: 'wasm' | 'webgpu';
  wasmBuild?: 'plain' | 'asyncify';
  threads?: number;
}

interface Measured {
  queryMs: number;
  docsPerSecond: number;
  backend: string;
  modelId: string;
  isolated: boolean;
}

function words(count: number, offset: number): string {
  return Array.from({ length: count }, (_, i) => WORDS[(offset + i) % WORDS.length]).join(' ');
}

/** The browser can only fetch models the dev server serves: folders under public/, or URLs. */
function modelUrl(source: string): string {
  if (/^https?:\/\//.test(source)) return source;
  const inside = relative(PUBLIC, resolve(source));
  if (inside.startsWith('..')) throw new Error(`chromium-embed needs a model under public/ or a URL, got ${source}`);
  return `/${inside.split('\\').join('/')}/`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs in the page: load, embed documents, time queries, dispose. Medians are taken here in Node. */
async function measureInPage(page: Page, model: string, config: Config, runs: { queries: number; docs: number }): Promise<Measured> {
  const queries = Array.from({ length: 4 }, (_, i) => words(12, i * 5));
  const docs = (run: number) => Array.from({ length: 32 }, (_, i) => ({ id: `${run}-${i}`, title: '', text: words(128, i * 3 + run) }));
  const batches = Array.from({ length: runs.docs + 1 }, (_, run) => docs(run));
  // No named inner functions in the page code: tsx would wrap them in a helper the page lacks.
  const measured = await page.evaluate(
    async ({ model, config, queries, batches, queryRuns, clientModule }) => {
      const { SearchClient } = (await import(/* @vite-ignore */ clientModule)) as typeof import('../../src/worker/client');
      const client = new SearchClient({ timeoutMs: 300_000 });
      try {
        const runtime = { ...(config.wasmBuild ? { wasmBuild: config.wasmBuild } : {}), ...(config.threads ? { threads: config.threads } : {}) };
        const loaded = await client.load(new URL(model, location.href).href, { device: config.device, runtime });
        // First set: warm-up (kernels, allocations); then one timed set per run, each all new.
        await client.setDocuments(batches[0]!);
        const docTimes: number[] = [];
        for (const batch of batches.slice(1)) {
          const start = performance.now();
          await client.setDocuments(batch);
          docTimes.push(performance.now() - start);
        }
        for (const query of queries) await client.search(query, 5);
        const queryTimes: number[] = [];
        for (let i = 0; i < queryRuns; i++) {
          const start = performance.now();
          await client.search(queries[i % queries.length]!, 5);
          queryTimes.push(performance.now() - start);
        }
        return {
          queryTimes,
          docTimes,
          backend: loaded.backend,
          modelId: loaded.modelId,
          isolated: crossOriginIsolated,
        };
      } finally {
        client.dispose();
      }
    },
    // The dev server serves (and compiles) the repository's own client module.
    { model, config, queries, batches, queryRuns: runs.queries, clientModule: `/@fs${ROOT}src/worker/client.ts` },
  );
  return {
    queryMs: median(measured.queryTimes),
    docsPerSecond: 32 / (median(measured.docTimes) / 1000),
    backend: measured.backend,
    modelId: measured.modelId,
    isolated: measured.isolated,
  };
}

/** Whether this browser would run WebGPU for real (a non-fallback adapter). */
async function realGpu(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean } } | null> } }).gpu;
    const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
    return adapter !== null && adapter.info?.isFallbackAdapter !== true;
  });
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const model = modelUrl(modelSource(ctx.model));
  const runs = ctx.quick ? { queries: 7, docs: 1 } : { queries: 31, docs: 3 };
  process.env.SGPT_E2E = '1'; // no file watching while measuring
  const server = await createServer({ configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'silent', server: { port: 0, host: '127.0.0.1' } });
  await server.listen();
  const address = server.httpServer?.address();
  if (address === null || address === undefined || typeof address === 'string') throw new Error('vite did not report a port');
  const base = `http://127.0.0.1:${address.port}`;
  const browser = await chromium.launch(chromiumLaunch);
  try {
    const page = await browser.newPage();
    // A blank same-origin page, cross-origin isolated so that 2 WASM threads are possible.
    await page.route(`${base}${BENCH_PAGE}`, (route) =>
      route.fulfill({
        contentType: 'text/html',
        headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        body: '<!doctype html><title>bench</title>',
      }),
    );
    await page.goto(`${base}${BENCH_PAGE}`);
    // transformers.js caches the .wasm (Cache API), so a build shows up on its first use only.
    const fetched: string[] = [];
    page.on('request', (request) => {
      const name = request.url().match(/\/ort\/(ort-wasm[^/?]*\.wasm)/)?.[1];
      if (name !== undefined) fetched.push(name);
    });
    const measure = async (config: Config) => {
      log(`${SECTION}: ${config.name}`);
      const measured = await measureInPage(page, model, config, runs);
      // Make sure the build we name is the build that ran.
      const expected = config.device === 'webgpu' || config.wasmBuild === 'asyncify' ? 'ort-wasm-simd-threaded.asyncify.wasm' : 'ort-wasm-simd-threaded.wasm';
      if (!fetched.includes(expected)) throw new Error(`${config.name}: expected ${expected} to load, saw [${fetched.join(', ')}]`);
      return measured;
    };
    const asyncify = await measure({ name: 'asyncify build, 1 thread', device: 'wasm', wasmBuild: 'asyncify', threads: 1 });
    const plain = await measure({ name: 'plain build, 1 thread', device: 'wasm', wasmBuild: 'plain', threads: 1 });
    const twoThreads = await measure({ name: 'plain build, 2 threads', device: 'wasm', wasmBuild: 'plain', threads: 2 });
    const gpu = (await realGpu(page)) ? await measure({ name: 'WebGPU', device: 'webgpu' }) : null;

    const note = `${new URL(plain.modelId).pathname}; 12-word queries over 32 documents of 128 words; median of ${runs.queries} queries / ${runs.docs} document sets${plain.isolated ? '' : '; NOT cross-origin isolated'}`;
    const rows: BenchRow[] = [
      { section: SECTION, name: 'query, WASM plain build, 1 thread', value: plain.queryMs, unit: 'ms', baseline: { name: 'asyncify build, 1 thread', value: asyncify.queryMs }, note },
      { section: SECTION, name: 'query, WASM plain build, 2 threads', value: twoThreads.queryMs, unit: 'ms', baseline: { name: 'plain build, 1 thread', value: plain.queryMs }, note },
      { section: SECTION, name: 'documents/s, WASM plain build, 1 thread', value: plain.docsPerSecond, unit: 'docs/s', baseline: { name: 'asyncify build, 1 thread', value: asyncify.docsPerSecond }, note },
      { section: SECTION, name: 'documents/s, WASM plain build, 2 threads', value: twoThreads.docsPerSecond, unit: 'docs/s', baseline: { name: 'plain build, 1 thread', value: plain.docsPerSecond }, note },
    ];
    if (gpu === null) {
      rows.push({ section: SECTION, name: 'query, WebGPU', value: Number.NaN, unit: 'ms', note: 'n/a: this headless Chromium offers no (non-fallback) WebGPU adapter' });
    } else {
      rows.push(
        { section: SECTION, name: 'query, WebGPU', value: gpu.queryMs, unit: 'ms', baseline: { name: 'WASM plain build, 1 thread', value: plain.queryMs }, note },
        { section: SECTION, name: 'documents/s, WebGPU', value: gpu.docsPerSecond, unit: 'docs/s', baseline: { name: 'WASM plain build, 1 thread', value: plain.docsPerSecond }, note },
      );
    }
    return rows;
  } finally {
    await browser.close();
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await run({ model: process.argv[2], log: (m) => process.stderr.write(`${m}\n`) });
  for (const row of rows) {
    const base = row.baseline ? `  (${row.baseline.name}: ${row.baseline.value.toFixed(2)})` : '';
    process.stdout.write(`${row.section}  ${row.name}: ${row.value.toFixed(2)} ${row.unit}${base}\n  ${row.note ?? ''}\n`);
  }
}
