/**
 * Embedding throughput against the machine's roofline, all in this run:
 *   - the matmul rate of onnxruntime-node on a plain MatMul graph of the model's weight shapes
 *     (bench/roofline/gemm-model.ts), 2,048 rows (a batch's padded tokens), for one thread, the
 *     runtime's default threads, and one single-thread session per core at once, before and after
 *     the embedding runs; the best is the peak;
 *   - the int8 kernel's rate at the same shapes (the headroom the fp32 engine leaves, and why it
 *     is not taken: quantising the activations breaks parity);
 *   - the model's FLOPs per token (bench/roofline/flops.ts), counted over real tokens only;
 *   - `sgpt-search embed` (the real CLI, start-up included) on 400 Python-docs sections against a
 *     naive loop (bench/roofline/naive-embed.ts: onnxruntime-node, one window per run, start-up
 *     included), both printing the same vectors (checked here);
 *   - the index build's embedding step (in process, model loaded) as a fraction of the peak,
 *     against the engine's previous settings (one session on default threads, batches of 16).
 *
 *   npm run bench -- throughput [--model <folder>] [--quick]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { modelSource } from '../../src/build/default-model';
import { Embedder } from '../../src/embed/embedder';
import { documentSessions } from '../../src/embed/node-sessions';
import type { LoadOptions, EmbedOptions } from '../../src/embed/types';
import { layerGemms, sequenceFlops, type DecoderShape } from '../roofline/flops';
import { modelShape } from '../roofline/model-shape';
import { GEMM_ROWS, gemmRate } from '../roofline/gemm-rate';
import { median } from '../stats';
import type { BenchContext, BenchRow } from '../types';

const SECTION = 'throughput';
const SECTIONS_FILE = '/work/shared/data/python-docs/sections.jsonl.gz';
const DOCS = 400;
const BIN = resolve('bin/sgpt-search.js');
const NAIVE = resolve('bench/roofline/naive-embed.ts');

/** The first `n` sections' texts, one per line (newlines inside a section become spaces). */
function sections(n: number): string[] {
  const lines = gunzipSync(readFileSync(SECTIONS_FILE)).toString('utf8').split('\n').filter((l) => l !== '');
  return lines.slice(0, n).map((line) => (JSON.parse(line) as { text: string }).text.replace(/\s*\n\s*/g, ' '));
}

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

/** Seconds for the embedding step alone (model loaded), median of `runs`. */
async function embedSeconds(source: string, texts: string[], load: LoadOptions, options: EmbedOptions, runs: number): Promise<number> {
  const embedder = await Embedder.load(source, load);
  try {
    await embedder.embed(texts.slice(0, 8), 'document', options); // warm-up
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const started = performance.now();
      await embedder.embed(texts, 'document', options);
      times.push((performance.now() - started) / 1000);
    }
    return median(times);
  } finally {
    await embedder.dispose();
  }
}

/** What the graph computes, block by block (bench/roofline/flops.ts). */
function liveNote(shape: DecoderShape): string {
  if (shape.live === undefined) return 'every block whole';
  return shape.live.map((b, i) => `block ${i}: ${b.attention ? 'attention, ' : ''}${b.mlpUnits} MLP units`).join('; ');
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const source = modelSource(ctx.model);
  const quick = ctx.quick ?? false;
  const texts = sections(quick ? 100 : DOCS);
  const shape = modelShape(source);

  // The work: every window the embedder runs, and its FLOPs over real tokens.
  const probe = await Embedder.load(source);
  const lengths = texts.flatMap((text) => probe.sequences(text, 'document').map((s) => s.length));
  await probe.dispose();
  const tokens = lengths.reduce((a, b) => a + b, 0);
  const flops = lengths.reduce((sum, length) => sum + sequenceFlops(shape, length), 0);
  const wholeFlops = lengths.reduce((sum, length) => sum + sequenceFlops({ layers: shape.layers, dims: shape.dims }, length), 0);
  const work = `${texts.length} sections, ${lengths.length} windows, ${tokens} tokens (mean ${(tokens / lengths.length).toFixed(0)})`;

  const cores = availableParallelism();
  const reps = quick ? 3 : 10;
  log(`${SECTION}: GEMM peak at the model's shapes (${GEMM_ROWS} rows; 1 thread, default threads, ${cores} sessions × 1 thread)`);
  const gemm = { one: 0, defaults: 0, perCore: 0, int8: 0 };
  for (let round = 0; round < 2; round++) {
    gemm.one = Math.max(gemm.one, await gemmRate(shape, 1, 1, reps));
    gemm.int8 = Math.max(gemm.int8, await gemmRate(shape, 1, 1, reps, true));
    gemm.defaults = Math.max(gemm.defaults, await gemmRate(shape, 1, undefined, reps));
    gemm.perCore = Math.max(gemm.perCore, await gemmRate(shape, cores, 1, reps));
  }

  log(`${SECTION}: sgpt-search embed vs the naive loop, ${work}, interleaved`);
  const input = `${texts.join('\n')}\n`;
  const cliTimes: number[] = [];
  const naiveTimes: number[] = [];
  let agreement = 1;
  for (let round = 0; round < (quick ? 1 : 2); round++) {
    const naive = await timed(['--import', 'tsx', NAIVE, source], input);
    const cli = await timed([BIN, 'embed', '--role', 'document', '--model', source], input);
    naiveTimes.push(naive.seconds);
    cliTimes.push(cli.seconds);
    agreement = Math.min(agreement, minCosine(cli.stdout, naive.stdout));
  }
  const [cliSeconds, naiveSeconds] = [median(cliTimes), median(naiveTimes)];

  log(`${SECTION}: the index build's embedding step, this engine vs its previous settings`);
  const runs = quick ? 1 : 2;
  const fast = await embedSeconds(source, texts, documentSessions(), {}, runs);
  const before = await embedSeconds(source, texts, {}, { batchSize: 16, batchTokens: Infinity }, runs);

  // Measured again after the embedding runs: on a shared machine the rate moves with others' load,
  // and a peak taken in a busy moment would flatter every fraction.
  log(`${SECTION}: GEMM peak again`);
  gemm.one = Math.max(gemm.one, await gemmRate(shape, 1, 1, reps));
  gemm.int8 = Math.max(gemm.int8, await gemmRate(shape, 1, 1, reps, true));
  gemm.perCore = Math.max(gemm.perCore, await gemmRate(shape, cores, 1, reps));
  const peak = Math.max(gemm.one, gemm.defaults, gemm.perCore);
  const percent = (seconds: number) => (100 * flops) / seconds / 1e9 / peak;
  const note = `${probe.modelId}; ${work}`;
  return [
    { section: SECTION, name: 'matmul peak, onnxruntime-node GEMM at the model shapes', value: peak, unit: 'GFLOP/s', baseline: { name: '1 thread', value: gemm.one }, note: `1 thread ${gemm.one.toFixed(1)}, default threads ${gemm.defaults.toFixed(1)}, ${cores} sessions × 1 thread ${gemm.perCore.toFixed(1)} GFLOP/s; ${GEMM_ROWS} × [${layerGemms(shape).map(([k, n]) => `${k}×${n}`).join(', ')}]` },
    { section: SECTION, name: 'int8 kernel (DynamicQuantizeMatMul), matmul rate at the model shapes, 1 thread', value: gemm.int8, unit: 'GFLOP/s', baseline: { name: 'fp32, 1 thread', value: gemm.one }, note: 'headroom not taken: it quantises the activations per call, which breaks parity on sgpt-nano (cosine 0.79 to the reference; target ≥ 0.9999; model/quantize.py)' },
    { section: SECTION, name: 'model FLOPs per token (real tokens), the live graph', value: flops / tokens / 1e6, unit: 'MFLOP', baseline: { name: 'every block whole', value: wholeFlops / tokens / 1e6 }, note: `${shape.layers} layers × ${shape.dims}; ${liveNote(shape)}; weight matmuls and attention at the windows' own lengths` },
    { section: SECTION, name: `sgpt-search embed, ${texts.length} Python-docs sections, start-up included`, value: texts.length / cliSeconds, unit: 'docs/s', baseline: { name: 'naive loop (onnxruntime-node, one window per run)', value: texts.length / naiveSeconds }, note: `${cliSeconds.toFixed(1)} s vs ${naiveSeconds.toFixed(1)} s; same vectors (min cosine ${agreement.toFixed(6)}); ${note}` },
    { section: SECTION, name: 'sgpt-search embed, fraction of the matmul peak', value: percent(cliSeconds), unit: '%', baseline: { name: 'naive loop', value: percent(naiveSeconds) }, note: 'start-up included' },
    { section: SECTION, name: "index build's embedding step, fraction of the matmul peak", value: percent(fast), unit: '%', baseline: { name: 'one session on default threads, batches of 16 (before)', value: percent(before) }, note: `${(flops / fast / 1e9).toFixed(1)} GFLOP/s; model loaded; ${documentSessions().sessions} sessions × 1 thread, ≤ 2048 padded tokens per batch` },
  ];
}
