/**
 * Browser embedding speed in headless Chromium, through the real worker and client: ms per query
 * (median round trip of client.search over 32 documents) and documents per second
 * (client.setDocuments of 32 new documents of ~128 words).
 *
 * Configurations, all in this run on one page, measured in interleaved rounds: onnxruntime-web's plain WASM build with 1 thread
 * (what the element uses on CPU), the asyncify build with 1 thread (transformers.js' default and
 * the one WebGPU needs: the baseline), the plain build with 2 threads, and WebGPU only if the
 * browser offers a real adapter (headless Chromium here offers none: reported as n/a).
 *
 * The roofline, in the same page: the model-graph peak (the model's own graph on pre-tokenised
 * batches of Python-docs windows, bench/roofline) in a worker with onnxruntime-web's plain WASM
 * build, 1 and 2 threads, against onnxruntime-node's single thread, and documents/s in tokens as a
 * fraction of it; for a model whose work is matmuls also the matmul rate at its GEMM shapes.
 *
 * The model: the bundled default, a folder (under public/ or anywhere: served by the bench's dev
 * server) or a URL.
 *
 *   npm run bench -- chromium-embed [--model <folder>] [--baseline-model <folder>]
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import type { Plugin } from 'vite';
import { modelSource } from '../../src/build/default-model';
import { Embedder } from '../../src/embed/embedder';
import { matmulBound, sequenceFlops, type DecoderShape } from '../roofline/flops';
import { graphBatches, type GraphBatch } from '../roofline/graph-batches';
import { graphRate } from '../roofline/graph-rate';
import { modelShape } from '../roofline/model-shape';
import { GEMM_ROWS, gemmRate } from '../roofline/gemm-rate';
import type { PlainBatch, Startup, WasmBenchRequest } from '../roofline/wasm-worker';
import { withBenchBrowser } from '../browser';
import { median } from '../stats';
import type { BenchContext, BenchRow } from '../types';
import { pythonSections } from '../python-docs';

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

const MODEL_ROUTE = '/__bench-model__/';

/** Where the page loads the model from: a URL as it is, a folder under public/ by its path, any other folder through MODEL_ROUTE. */
function modelLocation(source: string): { url: string; folder?: string } {
  if (/^https?:\/\//.test(source)) return { url: source };
  const inside = relative(PUBLIC, resolve(source));
  if (!inside.startsWith('..')) return { url: `/${inside.split(sep).join('/')}/` };
  if (!existsSync(join(source, 'config.json'))) throw new Error(`chromium-embed: ${source} is neither a URL nor a model folder`);
  return { url: `${MODEL_ROUTE}${basename(resolve(source))}/`, folder: resolve(source) };
}

/** Dev-server plugin serving one model folder at MODEL_ROUTE (streamed: models can be large). */
function serveModelFolder(folder: string): Plugin {
  return {
    name: 'bench-model-folder',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent(req.url?.split('?')[0] ?? '');
        const prefix = `${MODEL_ROUTE}${basename(folder)}/`;
        if (!path.startsWith(prefix)) return next();
        const file = resolve(folder, path.slice(prefix.length));
        if (!file.startsWith(folder + sep) || !existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.setHeader('Content-Length', statSync(file).size);
        res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
  };
}


/**
 * Runs in the page: one client (one worker) per configuration, measured in interleaved rounds so
 * that load from other processes hits every configuration alike. Medians are taken here in Node.
 */
interface Corpus {
  queries: string[];
  /** sets[0] only warms up; every later set is timed and all new to the worker. */
  sets: Array<Array<{ id: string; title: string; text: string }>>;
}

/** The default corpus: 12-word queries, sets of 32 documents of ~128 words. */
function syntheticCorpus(runs: { docs: number }): Corpus {
  const docs = (run: number) => Array.from({ length: 32 }, (_, i) => ({ id: `${run}-${i}`, title: '', text: words(128, i * 3 + run) }));
  return { queries: Array.from({ length: 4 }, (_, i) => words(12, i * 5)), sets: [docs(0).slice(0, 4), ...Array.from({ length: runs.docs }, (_, run) => docs(run + 1))] };
}

/** The demo's sections (demo/data), `size` per timed set, and questions a reader asks. */
function demoCorpus(runs: { docs: number }, size: number): Corpus {
  const sections = (JSON.parse(readFileSync(resolve(ROOT, 'demo/data/python-docs.json'), 'utf8')) as Array<{ id: string; title: string; text: string }>).map(({ id, title, text }) => ({ id, title, text }));
  const sets = [sections.slice(0, 4), ...Array.from({ length: runs.docs }, (_, run) => sections.slice(4 + run * size, 4 + (run + 1) * size))];
  return { queries: ['how do I read a file line by line', 'sort a list of dictionaries by a key', 'what is a generator', 'parse command line arguments'], sets };
}

async function measureInPage(page: Page, model: string, configs: Config[], runs: { queries: number; docs: number }, corpus: Corpus = syntheticCorpus(runs)): Promise<Measured[]> {
  const { queries, sets: batches } = corpus;
  // No named inner functions in the page code: tsx would wrap them in a helper the page lacks.
  const measured = await page.evaluate(
    async ({ model, configs, queries, batches, queryRuns, clientModule }) => {
      const { SearchClient } = (await import(/* @vite-ignore */ clientModule)) as typeof import('../../src/worker/client');
      const clients = configs.map(() => new SearchClient({ timeoutMs: 300_000 }));
      try {
        const loaded = [];
        for (const [c, config] of configs.entries()) {
          const runtime = { ...(config.wasmBuild ? { wasmBuild: config.wasmBuild } : {}), ...(config.threads ? { threads: config.threads } : {}) };
          loaded.push(await clients[c]!.load(new URL(model, location.href).href, { device: config.device, runtime }));
        }
        // Warm-up (kernels, allocations), then timed rounds; every timed document set is all new.
        for (const client of clients) {
          await client.setDocuments(batches[0]!);
          for (const query of queries) await client.search(query, 5);
        }
        const docTimes = clients.map((): number[] => []);
        for (const batch of batches.slice(1)) {
          for (const [c, client] of clients.entries()) {
            const start = performance.now();
            await client.setDocuments(batch);
            docTimes[c]!.push(performance.now() - start);
          }
        }
        const queryTimes = clients.map((): number[] => []);
        for (let i = 0; i < queryRuns; i++) {
          for (const [c, client] of clients.entries()) {
            const start = performance.now();
            await client.search(queries[i % queries.length]!, 5);
            queryTimes[c]!.push(performance.now() - start);
          }
        }
        return loaded.map((result, c) => ({
          queryTimes: queryTimes[c]!,
          docTimes: docTimes[c]!,
          backend: result.backend,
          modelId: result.modelId,
          isolated: crossOriginIsolated,
        }));
      } finally {
        for (const client of clients) client.dispose();
      }
    },
    // The dev server serves (and compiles) the repository's own client module.
    { model, configs, queries, batches, queryRuns: runs.queries, clientModule: `/@fs${ROOT}src/worker/client.ts` },
  );
  return measured.map((m) => ({
    queryMs: median(m.queryTimes),
    docsPerSecond: (corpus.sets[1]?.length ?? 0) / (median(m.docTimes) / 1000),
    backend: m.backend,
    modelId: m.modelId,
    isolated: m.isolated,
  }));
}

/**
 * The roofline of the page's runtime, measured in this run: the model-graph peak (the model's own
 * graph on pre-padded batches of Python-docs windows, bench/roofline/graph-batches.ts) in a worker
 * of the (cross-origin isolated) bench page with onnxruntime-web's plain WASM build, 1 and 2
 * threads, against onnxruntime-node's single thread on the same batches; for a model whose work is
 * matmuls also the GEMM rate at its shapes. Null for a model that is not a local folder.
 */
interface Roofline {
  /** Real tokens per second of the model's graph. */
  graph: { wasmOne: number; wasmTwo: number; node: number; batchTokens: number };
  /** Real tokens in one benchmark document (its windows). */
  tokensPerDoc: number;
  gemm?: { wasmOne: number; wasmTwo: number; node: number; flopsPerDoc: number };
}

/**
 * One measurement in a fresh worker of `page` running onnxruntime-web's plain build
 * (bench/roofline/wasm-worker). `lingerMs`: how long the worker lives on after its answer (Chromium
 * writes a module's compiled code a while after it got hot, never for a worker already ended).
 */
export function inWasmWorker<T>(page: Page, request: WasmBenchRequest, lingerMs = 0): Promise<T> {
  return page.evaluate(
    // No named inner functions in the page code: tsx would wrap them in a helper the page lacks.
    async ({ url, request, lingerMs }) => {
      const worker = new Worker(url, { type: 'module' });
      try {
        return await new Promise<T>((resolve, reject) => {
          worker.onmessage = (event: MessageEvent<{ result?: T; error?: string }>) => (event.data.error === undefined ? resolve(event.data.result!) : reject(new Error(event.data.error)));
          worker.onerror = (event) => reject(new Error(event.message || 'the bench worker did not start'));
          worker.postMessage(request);
        });
      } finally {
        await new Promise((done) => setTimeout(done, lingerMs));
        worker.terminate();
      }
    },
    { url: `/@fs${ROOT}bench/roofline/wasm-worker.ts`, request, lingerMs },
  );
}

function wasmGemmRate(page: Page, base: string, shape: DecoderShape, threads: number, reps: number): Promise<number> {
  return inWasmWorker<number>(page, { kind: 'gemm', ortBase: `${base}/ort/`, threads, shape, reps });
}

/** Start-up of each model (URLs) in a fresh worker, 1 thread, interleaved; medians. */
async function wasmStartup(page: Page, base: string, models: string[], rounds: number): Promise<Startup[]> {
  const runs = models.map(() => [] as Startup[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, model] of models.entries()) {
      const url = new URL('onnx/model.onnx', new URL(model, base)).href;
      runs[i]!.push(await inWasmWorker<Startup>(page, { kind: 'startup', ortBase: `${base}/ort/`, threads: 1, model: url }));
    }
  }
  return runs.map(medianStartup);
}

/** Each part's median over several start-ups. */
export function medianStartup(list: Startup[]): Startup {
  return {
    runtimeMs: median(list.map((s) => s.runtimeMs)),
    sessionMs: median(list.map((s) => s.sessionMs)),
    firstRunMs: median(list.map((s) => s.firstRunMs)),
  };
}

/** Sections whose windows the model-graph peak runs, and its batch size (bench/sections/throughput.ts measures the best in Node). */
const GRAPH_SECTIONS = 100;
const GRAPH_BATCH_TOKENS = 1024;

async function roofline(page: Page, base: string, source: string, modelUrl: string, quick: boolean): Promise<Roofline | null> {
  if (!existsSync(join(source, 'config.json'))) return null;
  const shape = modelShape(source);
  const embedder = await Embedder.load(source);
  let lengths: number[];
  let batches: GraphBatch[];
  try {
    lengths = Array.from({ length: 32 }, (_, i) => words(128, i * 3 + 1)).flatMap((text) => embedder.sequences(text, 'document').map((seq) => seq.length));
    const sequences = pythonSections(GRAPH_SECTIONS).flatMap((text) => embedder.sequences(text, 'document'));
    batches = graphBatches(sequences, embedder.settings.padTokenId, GRAPH_BATCH_TOKENS);
  } finally {
    await embedder.dispose();
  }
  const plain: PlainBatch[] = batches.map((b) => ({ rows: b.rows, seqLen: b.seqLen, inputIds: Array.from(b.inputIds), attentionMask: Array.from(b.attentionMask) }));
  const modelFile = new URL('onnx/model.onnx', new URL(modelUrl, base)).href;
  const reps = quick ? 1 : 3;
  // Interleaved, best of two rounds: other processes' load hits every runtime alike.
  const graph = { wasmOne: 0, wasmTwo: 0, node: 0, batchTokens: GRAPH_BATCH_TOKENS };
  const wasmGraph = (threads: number) => inWasmWorker<number>(page, { kind: 'graph', ortBase: `${base}/ort/`, threads, model: modelFile, batches: plain, reps });
  for (let round = 0; round < 2; round++) {
    graph.wasmOne = Math.max(graph.wasmOne, await wasmGraph(1));
    graph.wasmTwo = Math.max(graph.wasmTwo, await wasmGraph(2));
    graph.node = Math.max(graph.node, await graphRate(join(source, 'onnx', 'model.onnx'), batches, 1, 1, reps));
  }
  const tokensPerDoc = lengths.reduce((a, b) => a + b, 0) / 32;
  if (!matmulBound(shape)) return { graph, tokensPerDoc };
  const gemmReps = quick ? 2 : 5;
  const gemm = { wasmOne: 0, wasmTwo: 0, node: 0, flopsPerDoc: lengths.reduce((sum, length) => sum + sequenceFlops(shape, length), 0) / 32 };
  for (let round = 0; round < 2; round++) {
    gemm.wasmOne = Math.max(gemm.wasmOne, await wasmGemmRate(page, base, shape, 1, gemmReps));
    gemm.wasmTwo = Math.max(gemm.wasmTwo, await wasmGemmRate(page, base, shape, 2, gemmReps));
    gemm.node = Math.max(gemm.node, await gemmRate(shape, 1, 1, gemmReps));
  }
  return { graph, tokensPerDoc, gemm };
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
  const { url: model, folder } = modelLocation(modelSource(ctx.model));
  const baseline = ctx.baselineModel === undefined ? undefined : modelLocation(ctx.baselineModel);
  const runs = ctx.quick ? { queries: 7, docs: 1 } : { queries: 31, docs: 3 };
  return withBenchBrowser(async (browser, base) => {
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
    const fetched = new Set<string>();
    page.on('request', (request) => {
      const name = request.url().match(/\/ort\/(ort-wasm[^/?]*\.wasm)/)?.[1];
      if (name !== undefined) fetched.add(name);
    });
    const configs: Config[] = [
      { name: 'asyncify build, 1 thread', device: 'wasm', wasmBuild: 'asyncify', threads: 1 },
      { name: 'plain build, 1 thread', device: 'wasm', wasmBuild: 'plain', threads: 1 },
      { name: 'plain build, 2 threads', device: 'wasm', wasmBuild: 'plain', threads: 2 },
    ];
    const gpuAvailable = await realGpu(page);
    if (gpuAvailable) configs.push({ name: 'WebGPU', device: 'webgpu' });
    log(`${SECTION}: ${configs.map((c) => c.name).join(' / ')}, interleaved`);
    const [asyncify, plain, twoThreads, gpu] = await measureInPage(page, model, configs, runs);
    if (asyncify === undefined || plain === undefined || twoThreads === undefined) throw new Error('a configuration returned no measurement');
    // Make sure the builds we name are the builds that ran.
    for (const file of ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.wasm']) {
      if (!fetched.has(file)) throw new Error(`expected ${file} to load, saw [${[...fetched].join(', ')}]`);
    }
    if (gpu !== undefined && gpu.backend !== 'webgpu') throw new Error(`the WebGPU configuration ran on ${gpu.backend}`);

    const note = `${folder ?? new URL(plain.modelId).pathname}; 12-word queries over 32 documents of 128 words; median of ${runs.queries} queries / ${runs.docs} document sets${plain.isolated ? '' : '; NOT cross-origin isolated'}`;
    const rows: BenchRow[] = [
      { section: SECTION, name: 'query, WASM plain build, 1 thread', value: plain.queryMs, unit: 'ms', baseline: { name: 'asyncify build, 1 thread', value: asyncify.queryMs }, note },
      { section: SECTION, name: 'query, WASM plain build, 2 threads', value: twoThreads.queryMs, unit: 'ms', baseline: { name: 'plain build, 1 thread', value: plain.queryMs }, note },
      { section: SECTION, name: 'documents/s, WASM plain build, 1 thread', value: plain.docsPerSecond, unit: 'docs/s', baseline: { name: 'asyncify build, 1 thread', value: asyncify.docsPerSecond }, note },
      { section: SECTION, name: 'documents/s, WASM plain build, 2 threads', value: twoThreads.docsPerSecond, unit: 'docs/s', baseline: { name: 'plain build, 1 thread', value: plain.docsPerSecond }, note },
    ];
    // The default thread count is chosen by this: the demo's own sections and questions, 1 vs 2 threads, isolated.
    log(`${SECTION}: the demo's sections, 1 vs 2 threads`);
    const [demoOne, demoTwo] = await measureInPage(page, model, configs.slice(1, 3), runs, demoCorpus(runs, ctx.quick ? 16 : 48));
    if (demoOne === undefined || demoTwo === undefined) throw new Error('a thread configuration returned no measurement');
    const demoNote = `the demo's sections and four questions; median of ${runs.queries} queries / ${runs.docs} sets${demoOne.isolated ? ', cross-origin isolated' : '; NOT cross-origin isolated'}`;
    rows.push(
      { section: SECTION, name: "demo query, 2 threads", value: demoTwo.queryMs, unit: 'ms', baseline: { name: '1 thread', value: demoOne.queryMs }, note: demoNote },
      { section: SECTION, name: "demo sections embedded/s, 2 threads", value: demoTwo.docsPerSecond, unit: 'docs/s', baseline: { name: '1 thread', value: demoOne.docsPerSecond }, note: demoNote },
    );
    log(`${SECTION}: the roofline: the model's graph in WASM, 1 and 2 threads, against onnxruntime-node`);
    const peak = await roofline(page, base, modelSource(ctx.model), model, ctx.quick ?? false);
    if (peak !== null) {
      const { graph, tokensPerDoc, gemm } = peak;
      const isolation = plain.isolated ? ', cross-origin isolated' : '; NOT cross-origin isolated';
      const graphNote = `the model's own graph on the windows of ${GRAPH_SECTIONS} Python-docs sections, pre-tokenised, ≤ ${graph.batchTokens} tokens per batch; best of 2 interleaved rounds`;
      const tokenRate = (docsPerSecond: number) => `${((docsPerSecond * tokensPerDoc) / 1000).toFixed(1)} k tokens/s`;
      const percent = (docsPerSecond: number, tokensPerSecond: number) => (100 * docsPerSecond * tokensPerDoc) / tokensPerSecond;
      rows.push(
        { section: SECTION, name: 'model-graph peak, WASM plain build, 1 thread', value: graph.wasmOne, unit: 'tokens/s', baseline: { name: 'onnxruntime-node, 1 thread', value: graph.node }, note: graphNote },
        { section: SECTION, name: 'model-graph peak, WASM plain build, 2 threads', value: graph.wasmTwo, unit: 'tokens/s', baseline: { name: '1 thread', value: graph.wasmOne }, note: `${graphNote}${isolation}` },
        { section: SECTION, name: 'documents/s, WASM plain build, 1 thread, fraction of the WASM model-graph peak', value: percent(plain.docsPerSecond, graph.wasmOne), unit: '%', baseline: { name: 'asyncify build, 1 thread', value: percent(asyncify.docsPerSecond, graph.wasmOne) }, note: `${tokenRate(plain.docsPerSecond)} vs ${tokenRate(asyncify.docsPerSecond)}; ${tokensPerDoc.toFixed(0)} tokens per document; of the native 1-thread graph: ${percent(plain.docsPerSecond, graph.node).toFixed(1)} %` },
        { section: SECTION, name: 'documents/s, WASM plain build, 2 threads, fraction of the 2-thread WASM model-graph peak', value: percent(twoThreads.docsPerSecond, graph.wasmTwo), unit: '%', baseline: { name: '1 thread, of the 1-thread peak', value: percent(plain.docsPerSecond, graph.wasmOne) }, note: `${tokenRate(twoThreads.docsPerSecond)} vs ${tokenRate(plain.docsPerSecond)}` },
      );
      if (gemm !== undefined) {
        const ofGemm = (docsPerSecond: number, rate: number) => (100 * docsPerSecond * gemm.flopsPerDoc) / 1e9 / rate;
        const shapes = `${GEMM_ROWS} rows × the model's four weight GEMMs; best of 2 interleaved rounds`;
        rows.push(
          { section: SECTION, name: 'matmul peak, WASM plain build, 1 thread', value: gemm.wasmOne, unit: 'GFLOP/s', baseline: { name: 'onnxruntime-node, 1 thread', value: gemm.node }, note: shapes },
          { section: SECTION, name: 'matmul peak, WASM plain build, 2 threads', value: gemm.wasmTwo, unit: 'GFLOP/s', baseline: { name: '1 thread', value: gemm.wasmOne }, note: `${shapes}${isolation}` },
          { section: SECTION, name: 'documents/s, WASM plain build, 1 thread, fraction of the WASM matmul peak', value: ofGemm(plain.docsPerSecond, gemm.wasmOne), unit: '%', baseline: { name: 'asyncify build, 1 thread', value: ofGemm(asyncify.docsPerSecond, gemm.wasmOne) }, note: `${(gemm.flopsPerDoc / 1e6).toPrecision(3)} MFLOP per document` },
        );
      }
    }
    log(`${SECTION}: the model's start-up in a worker${baseline === undefined ? '' : ', against --baseline-model, interleaved'}`);
    const rounds = ctx.quick ? 2 : 5;
    const [start, before] = await wasmStartup(page, base, baseline === undefined ? [model] : [model, baseline.url], rounds);
    const detail = (s: Startup) => `runtime start ${s.runtimeMs.toFixed(0)} ms, session ${s.sessionMs.toFixed(0)} ms, first run ${s.firstRunMs.toFixed(0)} ms`;
    rows.push({
      section: SECTION,
      name: 'model start-up in a worker, WASM 1 thread: session build',
      value: start!.sessionMs,
      unit: 'ms',
      ...(before === undefined ? {} : { baseline: { name: `--baseline-model ${ctx.baselineModel}`, value: before.sessionMs } }),
      note: `medians of ${rounds} ${before === undefined ? 'rounds (no --baseline-model given)' : 'interleaved rounds'}; ${detail(start!)}${before === undefined ? '' : `; baseline: ${detail(before)}`}`,
    });
    if (gpu === undefined) {
      rows.push({ section: SECTION, name: 'query, WebGPU', value: Number.NaN, unit: 'ms', note: 'n/a: this headless Chromium offers no (non-fallback) WebGPU adapter' });
    } else {
      rows.push(
        { section: SECTION, name: 'query, WebGPU', value: gpu.queryMs, unit: 'ms', baseline: { name: 'WASM plain build, 1 thread', value: plain.queryMs }, note },
        { section: SECTION, name: 'documents/s, WebGPU', value: gpu.docsPerSecond, unit: 'docs/s', baseline: { name: 'WASM plain build, 1 thread', value: plain.docsPerSecond }, note },
      );
    }
    return rows;
  }, [folder, baseline?.folder].flatMap((f) => (f === undefined ? [] : [serveModelFolder(f)])));
}
