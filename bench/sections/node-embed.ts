/**
 * Node embedding speed: ms per 12-token query (median of repeated runs) and documents per second
 * (a batch of 32 documents of ~128 tokens), each with default onnxruntime threads against 1 thread;
 * the session build of onnx/model.onnx in onnxruntime-node (1 thread) and the file's size with
 * gzip -9 (what a reader's first search downloads), against --baseline-model's when given
 * (interleaved rounds).
 *
 *   npm run bench -- node-embed [--model <folder>] [--baseline-model <folder>]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InferenceSession } from 'onnxruntime-node';
import { modelSource } from '../../src/build/default-model';
import { Embedder } from '../../src/embed/embedder';
import { median } from '../stats';
import type { BenchContext, BenchRow } from '../types';

const SECTION = 'node-embed';
const WORDS = (
  'the search index maps every section of the documentation to a vector so that a query finds ' +
  'pages by meaning rather than by exact words while the keyword index still answers at once ' +
  'configure the build to write the index next to the site and load the model in a worker'
).split(' ');

/** Words from `offset` on until the text has at least `tokens` tokens (the note reports the real count). */
function textOf(embedder: Embedder, tokens: number, offset: number): string {
  let text = '';
  for (let i = 0; embedder.tokenize(text).length < tokens; i++) text += ` ${WORDS[(offset + i) % WORDS.length]}`;
  return text;
}


async function timeIt(runs: number, warmup: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

interface Measured {
  queryMs: number;
  docsPerSecond: number;
  backend: string;
  modelId: string;
  queryTokens: number;
  docTokens: number;
}

async function measure(source: string, threads: number | undefined, quick: boolean): Promise<Measured> {
  const embedder = await Embedder.load(source, threads === undefined ? {} : { threads });
  try {
    const query = textOf(embedder, 12, 0);
    const queryTokens = embedder.tokenize(query).length;
    const docs = Array.from({ length: 32 }, (_, i) => textOf(embedder, 128, i * 3));
    const docTokens = docs.reduce((sum, d) => sum + embedder.tokenize(d).length, 0) / docs.length;
    const queryTimes = await timeIt(quick ? 5 : 30, 3, () => embedder.embedQuery(query));
    const docTimes = await timeIt(quick ? 2 : 5, 1, () => embedder.embed(docs, 'document', { batchSize: 32 }));
    return {
      queryMs: median(queryTimes),
      docsPerSecond: docs.length / (median(docTimes) / 1000),
      backend: embedder.backend,
      modelId: embedder.modelId,
      queryTokens,
      docTokens,
    };
  } finally {
    await embedder.dispose();
  }
}

/** Median ms to build a session from each model folder's onnx/model.onnx, interleaved rounds. */
async function sessionBuilds(folders: string[], rounds: number): Promise<number[]> {
  const times = folders.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [i, folder] of folders.entries()) {
      const started = performance.now();
      const session = await InferenceSession.create(join(folder, 'onnx', 'model.onnx'), { intraOpNumThreads: 1 });
      times[i]!.push(performance.now() - started);
      await session.release();
    }
  }
  return times.map(median);
}

/** The model file's size as a reader downloads it from a server that gzips (MB = 10^6 bytes). */
async function gzipMB(folder: string): Promise<number> {
  return gzipSync(await readFile(join(folder, 'onnx', 'model.onnx')), { level: 9 }).length / 1e6;
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const source = modelSource(ctx.model);
  const quick = ctx.quick ?? false;
  ctx.log?.(`${SECTION}: ${source}, default threads`);
  const auto = await measure(source, undefined, quick);
  ctx.log?.(`${SECTION}: ${source}, 1 thread`);
  const single = await measure(source, 1, quick);
  const rounds = quick ? 3 : 7;
  ctx.log?.(`${SECTION}: session build${ctx.baselineModel === undefined ? '' : `, against ${ctx.baselineModel}, interleaved`}`);
  const [build, before] = await sessionBuilds(ctx.baselineModel === undefined ? [source] : [source, ctx.baselineModel], rounds);
  const [gzipped, gzippedBefore] = await Promise.all([source, ctx.baselineModel].map((folder) => (folder === undefined ? undefined : gzipMB(folder))));
  const note = `${auto.modelId} on ${auto.backend}; query ${auto.queryTokens} tokens (+2 brackets in asymmetric mode), documents ~${Math.round(auto.docTokens)} tokens`;
  return [
    {
      section: SECTION,
      name: 'query latency (default threads)',
      value: auto.queryMs,
      unit: 'ms',
      baseline: { name: '1 thread', value: single.queryMs },
      note,
    },
    {
      section: SECTION,
      name: 'documents/s, batch of 32 (default threads)',
      value: auto.docsPerSecond,
      unit: 'docs/s',
      baseline: { name: '1 thread', value: single.docsPerSecond },
      note,
    },
    {
      section: SECTION,
      name: 'session build of onnx/model.onnx, onnxruntime-node, 1 thread',
      value: build!,
      unit: 'ms',
      ...(before === undefined ? {} : { baseline: { name: `--baseline-model ${ctx.baselineModel}`, value: before } }),
      note: `median of ${rounds} ${before === undefined ? 'rounds (no --baseline-model given)' : 'interleaved rounds'}; ${source}`,
    },
    {
      section: SECTION,
      name: 'onnx/model.onnx with gzip -9',
      value: gzipped!,
      unit: 'MB',
      ...(gzippedBefore === undefined ? {} : { baseline: { name: `--baseline-model ${ctx.baselineModel}`, value: gzippedBefore } }),
      note: `MB = 10^6 bytes; ${source}`,
    },
  ];
}
