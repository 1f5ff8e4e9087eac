/**
 * Embedding throughput against the machine's ceiling for the model, all in this run:
 *   - the model-graph peak (bench/roofline/graph-rate.ts): real tokens per second of the model's
 *     own ONNX graph through onnxruntime-node, fed the engine's windows of these sections
 *     pre-tokenised, length-sorted and padded into full batches before timing (no tokenisation,
 *     no pooling, no copies out), for 1 session on 1 thread, 1 session on the default threads and
 *     one single-thread session per core (worker threads: onnxruntime-node runs a session on the
 *     calling thread), at several batch sizes, before and after the embedding runs; the best is
 *     the peak. Every embedding path runs this graph on the same tokens and does more, so no path
 *     can beat it: fractions of it say how much of a path's time is the model;
 *   - for a graph whose work is matmuls (live attention or MLP layers), also the GEMM peak at the
 *     layer's shapes (src/build/onnx-graph.ts) and the int8 kernel's rate there; a pruned
 *     graph (a lookup, layer norms, a few units) has no such rows;
 *   - the model's FLOPs per token (bench/roofline/flops.ts), counted over real tokens only;
 *   - `sgpt-search embed` (the real CLI) on 400 Python-docs sections against a naive loop
 *     (bench/roofline/naive-embed.ts: onnxruntime-node, one window per run), both printing the
 *     same vectors (checked here), start-up included and excluded (each one's run on an empty
 *     input subtracted);
 *   - the index build's embedding step (in process, model loaded), against the engine's previous
 *     settings (one session on default threads, batches of 16), with --baseline-engine against
 *     another checkout's engine, and, the target row, against the graph alone timed just before
 *     and after each run (the same moment's load on both: the median of those pairs is the robust
 *     fraction), this engine (its default at this load), this engine with one worker thread forced on and
 *     --baseline-engine alternating;
 *   - where a worker thread starts to pay: a fresh model's first call, start-up included, with one
 *     worker thread forced on against every slice in-thread, at growing sizes.
 *
 *   npm run bench -- throughput [--model <folder>] [--quick]
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-node';
import { modelSource } from '../../src/build/default-model';
import { DEFAULT_BATCH_TOKENS } from '../../src/embed/batch';
import { Embedder } from '../../src/embed/embedder';
import { CHARS_PER_WORKER, embedWorkers } from '../../src/embed/embed-workers';
import { documentSessions, documentWorkers } from '../../src/embed/node-sessions';
import type { LoadOptions, EmbedOptions } from '../../src/embed/types';
import { layerGemms, matmulBound, sequenceFlops, type DecoderShape } from '../roofline/flops';
import { modelShape } from '../roofline/model-shape';
import { GEMM_ROWS, gemmRate } from '../roofline/gemm-rate';
import { graphBatches, graphFeeds, realTokens, runFeeds } from '../roofline/graph-batches';
import { describeConfig, graphPeak, type GraphConfig } from '../roofline/graph-rate';
import { median } from '../stats';
import type { BenchContext, BenchRow } from '../types';
import { pythonSections } from '../python-docs';

const SECTION = 'throughput';
const DOCS = 400;
/**
 * Sections an Embedder sees before the timed index-build step (the ones after the timed ones), in
 * one call as big as the index build's (src/index/collect-vectors.ts): a build part-way through
 * has seen their words and started its worker threads.
 */
const WARM_SECTIONS = 1024;
const BIN = resolve('bin/sgpt-search.js');
const NAIVE = resolve('bench/roofline/naive-embed.ts');

/** Wall seconds of a command with `input` on stdin, and its stdout. */
function timed(args: string[], input: string): Promise<{ seconds: number; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      else resolvePromise({ seconds: (performance.now() - started) / 1000, stdout: Buffer.concat(out).toString('utf8') });
    });
    child.stdin.end(input);
  });
}

/** Smallest cosine between two runs' outputs (JSON lines of a vector or a list of window vectors). */
function minCosine(a: string, b: string): number {
  const rows = (text: string) => text.trimEnd().split('\n').flatMap((line) => {
    const v = JSON.parse(line) as number[] | number[][];
    return Array.isArray(v[0]) ? (v as number[][]) : [v as number[]];
  });
  const [x, y] = [rows(a), rows(b)];
  if (x.length !== y.length) return -1;
  let min = 1;
  x.forEach((u, i) => {
    const v = y[i]!;
    let dot = 0;
    u.forEach((value, d) => (dot += value * v[d]!));
    min = Math.min(min, dot);
  });
  return min;
}

/**
 * Seconds for the embedding step alone (model loaded), the best of `runs`, each on a fresh
 * Embedder warmed on `warm` (other sections: a build part-way through has seen their words),
 * then timed once over `texts`: the best, as the peak is a best.
 */
async function embedSeconds(source: string, texts: string[], warm: string[], load: LoadOptions, options: EmbedOptions, runs: number, engine: Engine = Embedder): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const embedder = await engine.load(source, load);
    try {
      await embedder.embed(warm, 'document', options);
      const started = performance.now();
      await embedder.embed(texts, 'document', options);
      times.push((performance.now() - started) / 1000);
    } finally {
      await embedder.dispose();
    }
  }
  return Math.min(...times);
}

/** An embedding engine and the settings the step loads it with, as a paired measurement times it. */
interface StepEngine {
  name: string;
  engine: Engine;
  load: LoadOptions;
}

/** One engine's paired runs: the step's and the graph's rates (tokens/s) and their ratio (%), pair by pair. */
interface Pairs {
  step: number[];
  graph: number[];
  fraction: number[];
}

/**
 * The step against the graph at the same moment: rounds of the graph alone in this thread (1
 * thread, `batchTokens` per batch), then each engine's step (as embedSeconds, once) followed by
 * the graph again, so every run of the step sits between two runs of the graph and engines
 * alternate within a round; each pair's fraction is the step's rate over the better of its two
 * graph runs, so the machine's load at that moment weighs on both. The peak row compares bests
 * taken at different moments, which on a shared machine can flatter or wrong the step by tens of
 * percent.
 */
async function pairedRuns(source: string, texts: string[], warm: string[], sequences: number[][], padId: number, batchTokens: number, engines: readonly StepEngine[], rounds: number): Promise<Pairs[]> {
  const session = await ort.InferenceSession.create(join(source, 'onnx', 'model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const batches = graphBatches(sequences, padId, batchTokens);
    const feeds = graphFeeds(ort, batches);
    const tokens = realTokens(batches);
    const graph = async () => {
      const started = performance.now();
      await runFeeds(session, feeds, 1);
      return tokens / ((performance.now() - started) / 1000);
    };
    await graph(); // warm-up
    const pairs = engines.map((): Pairs => ({ step: [], graph: [], fraction: [] }));
    for (let r = 0; r < rounds; r++) {
      let before = await graph();
      for (const [i, { engine, load }] of engines.entries()) {
        const step = tokens / (await embedSeconds(source, texts, warm, load, {}, 1, engine));
        const after = await graph();
        const best = Math.max(before, after);
        pairs[i]!.step.push(step);
        pairs[i]!.graph.push(best);
        pairs[i]!.fraction.push((100 * step) / best);
        before = after;
      }
    }
    return pairs;
  } finally {
    await session.release();
  }
}

/**
 * Where a worker thread starts to pay for a call (the step from a fresh model, start-up included,
 * one worker thread forced on against every slice in-thread), at growing sizes: the medians of
 * `reps` runs each, milliseconds. Needs `npm run build` (as the CLI rows do).
 */
async function workerThreshold(source: string, texts: string[], sizes: readonly number[], reps: number): Promise<Array<{ texts: number; chars: number; inThread: number; worker: number }>> {
  // The compiled engine, as the CLI and the package run it: from TypeScript sources the worker
  // would compile its modules as it starts.
  const compiled = (path: string) => import(pathToFileURL(resolve('dist/lib/embed', path)).href);
  const [{ Embedder: engine }, { embedWorkers: workers }] = (await Promise.all([compiled('embedder.js'), compiled('embed-workers.js')])) as [{ Embedder: typeof Embedder }, { embedWorkers: typeof embedWorkers }];
  const forced: LoadOptions = { threads: 1, sessions: 1, sliceWorkers: workers(1, { charsPerWorker: 0 }) };
  const out = [];
  for (const size of sizes) {
    const some = texts.slice(0, size);
    const times = { inThread: [] as number[], worker: [] as number[] };
    for (let r = 0; r < reps; r++) {
      for (const [mode, load] of [['inThread', { threads: 1, sessions: 1 }], ['worker', forced]] as const) {
        const embedder = await engine.load(source, load);
        try {
          const started = performance.now();
          await embedder.embed(some, 'document');
          times[mode].push(performance.now() - started);
        } finally {
          await embedder.dispose();
        }
      }
    }
    out.push({ texts: size, chars: some.reduce((n, t) => n + t.length, 0), inThread: median(times.inThread), worker: median(times.worker) });
  }
  return out;
}

/**
 * Wait (up to `maxSeconds`) until the 1-minute load average is below `below`: the CLI picks its
 * worker threads by the load (./node-sessions), and the bench's own graph runs just before would
 * otherwise count as other jobs. Returns the load it saw last.
 */
async function quiet(below: number, maxSeconds: number): Promise<number> {
  const until = performance.now() + maxSeconds * 1000;
  while (loadavg()[0]! >= below && performance.now() < until) await new Promise((done) => setTimeout(done, 2000));
  return loadavg()[0]!;
}

/** What is timed of an embedding engine (this checkout's Embedder, or --baseline-engine's). */
interface Engine {
  load(source: string, opts: LoadOptions): Promise<Pick<Embedder, 'embed' | 'dispose'>>;
}

/** --baseline-engine: another checkout's Embedder and its Node session settings. */
async function baselineEngine(checkout: string): Promise<StepEngine> {
  const from = (path: string) => import(pathToFileURL(resolve(checkout, path)).href);
  const [{ Embedder: engine }, { documentSessions: sessions }] = await Promise.all([from('src/embed/embedder.ts'), from('src/embed/node-sessions.ts')]);
  return { name: `the engine of ${checkout} (its own default settings)`, engine: engine as Engine, load: (sessions as typeof documentSessions)() };
}

/** What the graph computes, block by block (bench/roofline/flops.ts). */
function liveNote(shape: DecoderShape): string {
  if (shape.live === undefined) return 'every block whole';
  return shape.live.map((b, i) => `block ${i}: ${b.attention ? 'attention, ' : ''}${b.mlpUnits} MLP units`).join('; ');
}

/** The configuration with the most tokens per second. */
function fastest(configs: readonly GraphConfig[]): GraphConfig {
  return configs.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
}

/** Each configuration at its best over the rounds (before and after the embedding runs), and the best of them: the peak. */
function bestOf(rounds: GraphConfig[][]): { best: GraphConfig; all: GraphConfig[] } {
  const all = rounds[0]!.map((config, i) => ({ ...config, tokensPerSecond: Math.max(...rounds.map((round) => round[i]!.tokensPerSecond)) }));
  return { best: fastest(all), all };
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const source = modelSource(ctx.model);
  const quick = ctx.quick ?? false;
  const texts = pythonSections(quick ? 100 : DOCS);
  const shape = modelShape(source);
  const modelFile = join(source, 'onnx', 'model.onnx');

  // The work: every window the embedder runs, and its FLOPs over real tokens.
  const probe = await Embedder.load(source);
  const sequences = texts.flatMap((text) => probe.sequences(text, 'document'));
  const padId = probe.settings.padTokenId;
  await probe.dispose();
  const lengths = sequences.map((s) => s.length);
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const flops = lengths.reduce((sum, length) => sum + sequenceFlops(shape, length), 0);
  const wholeFlops = lengths.reduce((sum, length) => sum + sequenceFlops({ layers: shape.layers, dims: shape.dims }, length), 0);
  const work = `${texts.length} sections, ${lengths.length} windows, ${tokens} tokens (mean ${(tokens / lengths.length).toFixed(0)})`;
  const matmul = matmulBound(shape);

  const cores = availableParallelism();
  const reps = quick ? 3 : 10;
  const graphReps = quick ? 2 : 3;
  const batchSizes = quick ? [1024, 2048] : [512, 1024, 2048, 4096];
  const peakRound = async () => graphPeak(modelFile, sequences, padId, cores, batchSizes, graphReps);
  log(`${SECTION}: model-graph peak (${work}; 1 session × 1 thread, default threads, ${cores} sessions × 1 thread; ≤ ${batchSizes.join(' / ')} tokens per batch)`);
  const graphRounds = [await peakRound()];
  const gemm = { one: 0, defaults: 0, perCore: 0, int8: 0 };
  const gemmRound = async (all: boolean) => {
    gemm.one = Math.max(gemm.one, await gemmRate(shape, 1, 1, reps));
    gemm.int8 = Math.max(gemm.int8, await gemmRate(shape, 1, 1, reps, true));
    if (all) gemm.defaults = Math.max(gemm.defaults, await gemmRate(shape, 1, undefined, reps));
    gemm.perCore = Math.max(gemm.perCore, await gemmRate(shape, cores, 1, reps));
  };
  if (matmul) {
    log(`${SECTION}: GEMM peak at the model's shapes (${GEMM_ROWS} rows)`);
    for (let round = 0; round < 2; round++) await gemmRound(true);
  }

  log(`${SECTION}: sgpt-search embed vs the naive loop, ${work}, interleaved, and each on an empty input (start-up)`);
  const input = `${texts.join('\n')}\n`;
  const times = { cli: [] as number[], naive: [] as number[], cliStart: [] as number[], naiveStart: [] as number[] };
  const cliArgs = [BIN, 'embed', '--role', 'document', '--model', source];
  const naiveArgs = ['--import', 'tsx', NAIVE, source];
  let agreement = 1;
  const loads: number[] = [];
  for (let round = 0; round < (quick ? 1 : 2); round++) {
    const naive = await timed(naiveArgs, input);
    loads.push(await quiet(1, quick ? 10 : 90));
    const cli = await timed(cliArgs, input);
    times.naive.push(naive.seconds);
    times.cli.push(cli.seconds);
    times.naiveStart.push((await timed(naiveArgs, '')).seconds);
    times.cliStart.push((await timed(cliArgs, '')).seconds);
    agreement = Math.min(agreement, minCosine(cli.stdout, naive.stdout));
  }
  const [cliSeconds, naiveSeconds, cliStart, naiveStart] = [median(times.cli), median(times.naive), median(times.cliStart), median(times.naiveStart)];

  log(`${SECTION}: the index build's embedding step, this engine vs its previous settings`);
  const runs = quick ? 2 : 3;
  const warm = pythonSections(WARM_SECTIONS, DOCS);
  const fastLoad = loadavg()[0]!;
  const fastWorkers = documentWorkers(1, cores, fastLoad);
  const fast = await embedSeconds(source, texts, warm, documentSessions(1, cores, fastLoad), {}, runs);
  const before = await embedSeconds(source, texts, warm, {}, { batchSize: 16, batchTokens: Infinity }, runs);
  let checkout: number | undefined;
  const baseline = ctx.baselineEngine === undefined ? undefined : await baselineEngine(ctx.baselineEngine);
  if (baseline !== undefined) {
    log(`${SECTION}: the same step with ${baseline.name}`);
    checkout = await embedSeconds(source, texts, warm, baseline.load, {}, runs, baseline.engine);
  }

  // One reading of the load for the label and the settings alike.
  const load = loadavg()[0]!;
  const defaultWorkers = documentWorkers(1, cores, load);
  const engines: StepEngine[] = [
    { name: `this engine (${defaultWorkers === 0 ? 'every slice in-thread: the default at this load' : `with ${defaultWorkers} worker thread${defaultWorkers === 1 ? '' : 's'}: the default at this load`})`, engine: Embedder, load: documentSessions(1, cores, load) },
    { name: 'this engine with one worker thread forced on', engine: Embedder, load: { threads: 1, sessions: 1, sliceWorkers: embedWorkers(1, { charsPerWorker: 0 }) } },
    ...(baseline === undefined ? [] : [baseline]),
  ];
  const rounds = quick ? 3 : 7;
  log(`${SECTION}: the same step between runs of the graph alone, paired, ${rounds} rounds of: ${engines.map((e) => e.name).join('; ')}`);
  const [pairs, worker, checkoutPairs] = await pairedRuns(source, texts, warm, sequences, padId, fastest(graphRounds[0]!).batchTokens, engines, rounds);

  log(`${SECTION}: where a worker thread starts to pay (fresh model, start-up included)`);
  const threshold = await workerThreshold(source, pythonSections(quick ? 80 : 1280, DOCS + WARM_SECTIONS), quick ? [20, 80] : [40, 160, 320, 640, 1280], quick ? 1 : 3);

  // Measured again after the embedding runs: on a shared machine the rate moves with others' load,
  // and a peak taken in a busy moment would flatter every fraction.
  log(`${SECTION}: model-graph peak again`);
  graphRounds.push(await peakRound());
  if (matmul) await gemmRound(false);
  const { best, all } = bestOf(graphRounds);
  const peak = best.tokensPerSecond;
  const rate = (seconds: number) => tokens / seconds;
  const percent = (seconds: number) => (100 * rate(seconds)) / peak;
  const kilo = (tokensPerSecond: number) => `${(tokensPerSecond / 1000).toFixed(0)} k tokens/s`;
  const note = `${probe.modelId}; ${work}`;
  const oneThread = fastest(all.filter((c) => c.sessions === 1 && c.threads === 1));
  const rows: BenchRow[] = [
    {
      section: SECTION,
      name: "model-graph peak: the model's own ONNX graph, onnxruntime-node, pre-tokenised full batches",
      value: peak,
      unit: 'tokens/s',
      baseline: { name: `1 session × 1 thread (${oneThread.batchTokens} tokens per batch)`, value: oneThread.tokensPerSecond },
      note: `best: ${describeConfig(best)}; all (k tokens/s, best of 2 rounds): ${all.map((c) => `${describeConfig(c)} ${(c.tokensPerSecond / 1000).toFixed(0)}`).join('; ')}; the engine's windows of ${texts.length} sections; no tokenisation, pooling or copies out: every embedding path runs this graph on these tokens and more`,
    },
  ];
  if (matmul) {
    const gemmPeak = Math.max(gemm.one, gemm.defaults, gemm.perCore);
    rows.push(
      { section: SECTION, name: 'matmul peak, onnxruntime-node GEMM at the model shapes', value: gemmPeak, unit: 'GFLOP/s', baseline: { name: '1 thread', value: gemm.one }, note: `1 thread ${gemm.one.toFixed(1)}, default threads ${gemm.defaults.toFixed(1)}, ${cores} sessions × 1 thread ${gemm.perCore.toFixed(1)} GFLOP/s; ${GEMM_ROWS} × [${layerGemms(shape).map(([k, n]) => `${k}×${n}`).join(', ')}]` },
      { section: SECTION, name: 'model-graph peak, fraction of the matmul peak', value: (100 * (peak * flops) / tokens / 1e9) / gemmPeak, unit: '%', note: `${((peak * flops) / tokens / 1e9).toFixed(1)} GFLOP/s in the graph` },
      { section: SECTION, name: 'int8 kernel (DynamicQuantizeMatMul), matmul rate at the model shapes, 1 thread', value: gemm.int8, unit: 'GFLOP/s', baseline: { name: 'fp32, 1 thread', value: gemm.one }, note: 'headroom not taken: it quantises the activations per call, which breaks parity on sgpt-nano (cosine 0.79 to the reference; target ≥ 0.9999; model/quantize.py)' },
    );
  }
  rows.push(
    { section: SECTION, name: 'model FLOPs per token (real tokens), the live graph', value: flops / tokens / 1e6, unit: 'MFLOP', baseline: { name: 'every block whole', value: wholeFlops / tokens / 1e6 }, note: `${shape.layers} layers × ${shape.dims}; ${liveNote(shape)}; weight matmuls and attention at the windows' own lengths${matmul ? '' : '; not matmul-bound, so no GEMM peak: the model graph above is the ceiling'}` },
    { section: SECTION, name: `sgpt-search embed, ${texts.length} Python-docs sections, start-up included`, value: texts.length / cliSeconds, unit: 'docs/s', baseline: { name: 'naive loop (onnxruntime-node, one window per run)', value: texts.length / naiveSeconds }, note: `${cliSeconds.toFixed(2)} s vs ${naiveSeconds.toFixed(2)} s; same vectors (min cosine ${agreement.toFixed(6)}); 1-minute load before each CLI run ${loads.map((l) => l.toFixed(2)).join(', ')} (the CLI's worker threads follow it; waited for < 1, up to 90 s); ${note}` },
    { section: SECTION, name: 'sgpt-search embed, start-up included, fraction of the model-graph peak', value: percent(cliSeconds), unit: '%', baseline: { name: 'naive loop', value: percent(naiveSeconds) }, note: `${kilo(rate(cliSeconds))} vs ${kilo(rate(naiveSeconds))}` },
    { section: SECTION, name: 'sgpt-search embed, start-up excluded, fraction of the model-graph peak', value: percent(cliSeconds - cliStart), unit: '%', baseline: { name: 'naive loop', value: percent(naiveSeconds - naiveStart) }, note: `${kilo(rate(cliSeconds - cliStart))} vs ${kilo(rate(naiveSeconds - naiveStart))}; start-up (each one's run on an empty input): ${cliStart.toFixed(2)} s vs ${naiveStart.toFixed(2)} s` },
    { section: SECTION, name: "index build's embedding step, fraction of the model-graph peak", value: percent(fast), unit: '%', baseline: { name: 'one session on default threads, batches of 16 (before)', value: percent(before) }, note: `${kilo(rate(fast))} vs ${kilo(rate(before))}; model loaded, warmed on ${warm.length} other sections, best of ${runs}; 1 session × 1 thread on this thread and ${fastWorkers} worker thread(s) at this load, ≤ ${DEFAULT_BATCH_TOKENS} padded tokens per batch` },
  );
  const paired = (p: Pairs) => `step ${kilo(median(p.step))}, graph ${kilo(median(p.graph))} (medians); pairs ${p.fraction.map((f) => f.toFixed(1)).join(', ')} %`;
  const against = checkoutPairs ?? worker!;
  rows.push({
    section: SECTION,
    name: "index build's embedding step, fraction of the graph alone timed around it (median of pairs)",
    value: median(pairs!.fraction),
    unit: '%',
    baseline: { name: engines[checkoutPairs === undefined ? 1 : 2]!.name, value: median(against.fraction) },
    note: `the target row (≥ 60 %); ${rounds} rounds, each engine's run between two runs of the graph alone in this thread (the better of the two), 1 thread; this engine: ${paired(pairs!)}; ${checkoutPairs === undefined ? 'one worker thread forced on' : 'baseline'}: ${paired(against)}${checkoutPairs === undefined ? '' : `; one worker thread forced on: median ${median(worker!.fraction).toFixed(1)} %, ${paired(worker!)}`}`,
  });
  // The smallest size from which the worker is faster at every size measured (none: it never paid here).
  const crossing = threshold.find((_, i) => threshold.slice(i).every((t) => t.worker < t.inThread));
  rows.push({
    section: SECTION,
    name: 'one worker thread on a fresh model, start-up included: the smallest call it pays for',
    value: crossing?.chars ?? Number.NaN,
    unit: 'chars',
    baseline: { name: 'the smallest call that starts one: CHARS_PER_WORKER (src/embed/embed-workers.ts)', value: CHARS_PER_WORKER },
    note: `medians, ms in-thread vs worker: ${threshold.map((t) => `${t.texts} sections (${t.chars} chars) ${t.inThread.toFixed(0)} vs ${t.worker.toFixed(0)}`).join('; ')}`,
  });
  if (checkout !== undefined) {
    rows.push({ section: SECTION, name: "index build's embedding step, fraction of the model-graph peak, against --baseline-engine", value: percent(fast), unit: '%', baseline: { name: `the engine of ${ctx.baselineEngine} (its own default settings)`, value: percent(checkout) }, note: `${kilo(rate(fast))} vs ${kilo(rate(checkout))}; same sections, warm-up and runs` });
  }
  return rows;
}
