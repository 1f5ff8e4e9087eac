/**
 * Node only: a worker thread that tokenises the next slice of a call's texts, and pools each batch's
 * hidden states, while the model runs the next batch. onnxruntime-node runs a session on the
 * calling thread (its `run` blocks it), so nothing else on that thread overlaps the graph; the
 * rest done elsewhere leaves that thread to the model.
 * One call at a time (a second one at once is prepared in-thread); the worker starts with the
 * first call big enough to repay its start-up and lives until `dispose`; until it has started,
 * the calling thread prepares and pools as it would without it. A worker that throws or
 * exits fails the call with WORKER_DIED; the next call starts a fresh one.
 */
import { Worker } from 'node:worker_threads';
import { SgptError } from '../errors';
import type { TokenizerLike } from './piece-memo';
import type { SliceReply, SliceRequest, SliceWorkerData } from './slice-protocol';
import { poolInThread, prepareSlice, type Slice, type SliceHelper, type SliceSource } from './slices';

/**
 * Characters left after a call's first slice below which it is tokenised in-thread rather than
 * by a worker not yet started: the worker's start-up (~0.3 s, most of it the tokenizer built
 * from its JSON) against what it takes off the model's thread (tokenising and pooling). Measured
 * in `npm run bench -- throughput` (the "slice worker" row).
 */
export const WORKER_MIN_CHARS = 200_000;

/** Batches the worker may have waiting for pooling; past that the calling thread pools the next itself. */
const POOLS_QUEUED = 2;

const WORKER_FILE = new URL(`./slice-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);

export interface SliceWorkerOptions {
  /** The worker's module (tests: one that fails). */
  url?: URL;
  minChars?: number;
}

/** A worker thread for `url`; from TypeScript sources (tsx, vitest) it registers tsx first, as worker threads do not inherit a loader. */
function spawn(url: URL, workerData: SliceWorkerData): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

interface Waiting {
  resolve(answer: Slice | Float32Array | null): void;
  reject(error: SgptError): void;
}

/** The array's own buffer to transfer, or nothing (a view into a larger buffer is copied, never detached under its owner). */
function own(array: Float32Array | Uint8Array): ArrayBuffer[] {
  return array.byteOffset === 0 && array.byteLength === array.buffer.byteLength ? [array.buffer as ArrayBuffer] : [];
}

export function sliceWorker(tokenizer: TokenizerLike, options: SliceWorkerOptions = {}): SliceHelper {
  const url = options.url ?? WORKER_FILE;
  const minChars = options.minChars ?? WORKER_MIN_CHARS;
  let worker: Worker | null = null;
  /** The call the worker works for, and its requests not yet answered, oldest first (the worker answers in order). */
  let job = 0;
  let waiting: Waiting[] = [];
  let busy = false;
  let calls = 0;
  /** Whether the worker has built its tokenizer; what the call under way does then. */
  let ready = false;
  let whenReady: (() => void) | undefined;
  /** No worker can start here: every call in-thread. */
  let unavailable = false;

  const fail = (error: SgptError) => {
    const dead = worker;
    worker = null;
    // A worker that could not even build its tokenizer will not do better next time: stay in-thread.
    if (!ready) unavailable = true;
    ready = false;
    void dead?.terminate();
    for (const w of waiting.splice(0)) w.reject(error);
  };

  const start = (): Worker => {
    const data: SliceWorkerData = { tokenizerJSON: tokenizer._tokenizerJSON, tokenizerConfig: (tokenizer._tokenizerConfig ?? {}) as object };
    const w = spawn(url, data);
    w.unref(); // held (ref) only while a request waits: an idle worker never keeps the process alive
    w.on('message', (message: SliceReply) => {
      if (w !== worker) return;
      if (message.type === 'ready') {
        ready = true;
        whenReady?.();
        return;
      }
      if (message.id !== job) return;
      const next = waiting.shift();
      if (waiting.length === 0) w.unref();
      if (message.type === 'error') next?.reject(SgptError.from(message.error));
      else next?.resolve(message.type === 'slice' ? message.slice : message.vectors);
    });
    w.on('error', (error: Error) => {
      if (w === worker) fail(new SgptError('WORKER_DIED', `the worker thread that tokenises texts for the model failed: ${error.message}`, { cause: error }));
    });
    w.on('exit', (code) => {
      if (w === worker) fail(new SgptError('WORKER_DIED', `the worker thread that tokenises texts for the model exited (code ${code}) before it was done`));
    });
    return w;
  };

  /** Send a request of the current call; its answer comes in order. */
  const ask = <T extends Slice | Float32Array | null>(request: SliceRequest, transfer: ArrayBuffer[] = []): Promise<T> => {
    const answer = new Promise<T>((resolve, reject) => waiting.push({ resolve: resolve as Waiting['resolve'], reject }));
    answer.catch(() => undefined); // a prefetch nobody awaits (the call stopped) must not be an unhandled rejection
    if (worker === null) {
      fail(new SgptError('WORKER_DIED', 'the worker thread that tokenises texts for the model is gone'));
    } else {
      worker.ref();
      worker.postMessage(request, transfer);
    }
    return answer;
  };

  return {
    slices(texts, first, sliceJob, encode): SliceSource | null {
      if (busy) return null;
      if (worker === null) {
        if (unavailable) return null;
        let chars = 0;
        for (let i = first; i < texts.length && chars < minChars; i++) chars += texts[i]!.length;
        if (chars < minChars) return null;
        try {
          worker = start();
        } catch {
          // No worker threads here (a sandbox, a resource limit): every slice in-thread.
          unavailable = true;
          return null;
        }
      }
      busy = true;
      const id = (job = ++calls);
      waiting = [];
      worker.postMessage({ type: 'job', id, texts, job: sliceJob } satisfies SliceRequest);
      let at = first;
      /** The slice from `at`, asked of the worker while the caller runs the one before. */
      let ahead: Promise<Slice | null> | null = null;
      let closed = false;
      let pooling = 0;
      const askAhead = () => {
        if (!closed && ahead === null && ready && at < texts.length) ahead = ask<Slice | null>({ type: 'next', id, start: at });
      };
      // Until the worker has started, this thread prepares and pools, so its start-up never holds the model up.
      whenReady = askAhead;
      askAhead();
      return {
        async next() {
          if (closed || at >= texts.length) return null;
          askAhead();
          let slice: Slice | null;
          if (ahead === null) slice = prepareSlice(texts, at, encode, sliceJob);
          else {
            slice = await ahead;
            ahead = null;
          }
          if (slice === null) return null;
          at = slice.end;
          askAhead();
          return slice;
        },
        pool(batch, hidden, dims) {
          // A worker behind (tokenising cold text is slow) would hold the model up: pool here then.
          if (!ready || pooling >= POOLS_QUEUED) return poolInThread(batch, hidden, dims);
          const { attentionMask: mask, rows, seqLen } = batch;
          pooling++;
          const pooled = ask<Float32Array>({ type: 'pool', id, hidden, mask, rows, seqLen, dims }, [...own(hidden), ...own(mask)]);
          void pooled.finally(() => pooling--).catch(() => undefined);
          return pooled;
        },
        close() {
          if (closed) return;
          closed = true;
          busy = false;
          whenReady = undefined;
          worker?.postMessage({ type: 'close', id } satisfies SliceRequest);
          for (const w of waiting.splice(0)) w.resolve(null);
          worker?.unref();
        },
      };
    },
    async dispose() {
      const w = worker;
      worker = null;
      ready = false;
      for (const waiter of waiting.splice(0)) waiter.resolve(null);
      await w?.terminate();
    },
  };
}
