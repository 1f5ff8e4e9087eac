/**
 * The model-graph roofline in Node: real tokens per second of a model's own ONNX graph through
 * onnxruntime-node on pre-padded batches (graph-batches.ts), `sessions` sessions at once, each in
 * its own worker thread (graph-worker.ts) with `threads` (undefined: the runtime's default).
 * Timed from the moment every session is built and warm until the last one is done.
 */
import { Worker } from 'node:worker_threads';
import { graphBatches, realTokens, type GraphBatch } from './graph-batches';
import type { GraphWorkerData } from './graph-worker';

const WORKER = new URL('./graph-worker.mjs', import.meta.url);

function message(worker: Worker, expected: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => (m === expected ? resolve() : reject(new Error(`graph worker said ${String(m)}`)));
    worker.once('message', onMessage);
    worker.once('error', reject);
  });
}

export async function graphRate(model: string, batches: readonly GraphBatch[], sessions: number, threads: number | undefined, reps: number): Promise<number> {
  // Round-robin, so each session gets long and short batches alike.
  const shares = Array.from({ length: sessions }, (_, s) => batches.filter((_, i) => i % sessions === s));
  const workers = shares.map((share) => {
    const data: GraphWorkerData = { model, batches: share, reps, ...(threads === undefined ? {} : { threads }) };
    return new Worker(WORKER, { workerData: data });
  });
  try {
    await Promise.all(workers.map((w) => message(w, 'ready')));
    const started = performance.now();
    const done = workers.map((w) => message(w, 'done'));
    for (const w of workers) w.postMessage('go');
    await Promise.all(done);
    return (realTokens(batches) * reps) / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** One measured configuration of the model-graph peak. */
export interface GraphConfig {
  sessions: number;
  /** Undefined: the runtime's default. */
  threads?: number;
  batchTokens: number;
  tokensPerSecond: number;
}

export function describeConfig(c: Omit<GraphConfig, 'tokensPerSecond'>): string {
  return `${c.sessions === 1 ? '1 session' : `${c.sessions} sessions`} × ${c.threads === undefined ? 'default threads' : `${c.threads} thread`}, ≤ ${c.batchTokens} tokens per batch`;
}

/**
 * The model-graph peak: `graphRate` for 1 session on 1 thread, 1 session on the runtime's default
 * threads and one single-thread session per core, each at several batch sizes; every
 * configuration measured, the caller takes the best.
 */
export async function graphPeak(model: string, sequences: readonly (readonly number[])[], padId: number, cores: number, batchSizes: readonly number[], reps: number): Promise<GraphConfig[]> {
  const configs: GraphConfig[] = [];
  for (const batchTokens of batchSizes) {
    const batches = graphBatches(sequences, padId, batchTokens);
    for (const [sessions, threads] of [[1, 1], [1, undefined], [cores, 1]] as const) {
      configs.push({ sessions, ...(threads === undefined ? {} : { threads }), batchTokens, tokensPerSecond: await graphRate(model, batches, sessions, threads, reps) });
    }
  }
  return configs;
}
