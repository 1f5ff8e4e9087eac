/**
 * Node only: worker threads that each embed whole slices of a call (./embed-worker) while the
 * calling thread embeds others. onnxruntime-node runs a session on the thread that calls `run`
 * and blocks it, so a second session on the same thread never ran at the same time as the first;
 * one per thread does. A call starts threads for its text (one per CHARS_PER_WORKER, fewer than
 * its slices, up to the pool's size), which load while the calling thread embeds and join the call
 * when ready; threads already there help any call of two slices or more, overlapping calls too
 * (a thread answers its slices in order). They are let go IDLE_MS after the last call ends, each
 * once it has answered what it was asked. A worker that fails before it is ready (it could not
 * load the model) leaves every call to the calling thread from then on; one that throws or exits
 * during a call fails that call with WORKER_DIED, and a later call that starts threads starts a
 * fresh one.
 */
import { Worker } from 'node:worker_threads';
import { SgptError } from '../errors';
import type { EmbedReply, EmbedRequest, EmbedWorkerData } from './embed-worker-protocol';
import { embeddingCancelled, type SliceRunner, type SliceVectors, type SliceWork, type SliceWorkers } from './slices';
import type { WorkerLoad } from './types';

/** Without a call for this long, the threads (each holding a session) are let go. */
export const IDLE_MS = 30_000;

/** How long letting go waits for a thread still loading its session to end. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Characters of a call per thread it starts: a thread's start-up (its own session, ~0.4 s of a
 * core) must be repaid by the slices it takes. Measured on a fresh model, start-up included, one
 * worker against none on 2 idle cores (`npm run bench -- throughput`, "where a worker thread
 * starts to pay"), since the thread loads no tokenizer: level at 387 k characters (−8 % to +5 %
 * in three runs), 23–27 % faster at 808 k, 34–38 % at 1.8 M.
 */
export const CHARS_PER_WORKER = 600_000;

/**
 * The same, for a thread started ahead of a call (`warm`), whose start-up overlaps the caller's
 * own model load: measured with a thread started beside the Embedder's load, whole runs (README,
 * "Worker threads that embed"): level at 236 k characters, 7 % faster at 554 k, 21 % at 982 k.
 */
export const WARM_CHARS_PER_WORKER = 500_000;

const WORKER_FILE = new URL(`./embed-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url);

export interface EmbedWorkersOptions {
  /** The worker's module (tests: one that fails). */
  url?: URL;
  idleMs?: number;
  /** Characters of a call per thread it starts (tests: 0, every call with two slices starts one). */
  charsPerWorker?: number;
  /** Characters of an announced call per thread started ahead of it. */
  warmCharsPerWorker?: number;
}

/** A worker thread for `url`; from TypeScript sources (tsx, vitest) it registers tsx first, as worker threads do not inherit a loader. */
function spawn(url: URL, workerData: EmbedWorkerData): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

interface Thread {
  worker: Worker;
  ready: Promise<SliceRunner | null>;
  /** Let go on purpose (idle, dispose): its exit is no failure. */
  leaving: boolean;
  /** It has loaded its session (only then can it be inside onnxruntime's run). */
  loaded: boolean;
  /** Cancel every slice it was asked and has not answered. */
  cancelAll: () => void;
  /** Its exit, once it has happened. */
  exited: Promise<void>;
}

/** Up to `size` worker threads, each with its own session of the model the Embedder loads. */
export function embedWorkers(size: number, options: EmbedWorkersOptions = {}): (source: string, load: WorkerLoad) => SliceWorkers {
  return (source, load) => {
    const url = options.url ?? WORKER_FILE;
    const threads: Thread[] = [];
    /** Threads let go and not yet ended (dispose waits for them too). */
    const closing = new Set<Thread>();
    /** A worker could not load the model: none will. */
    let unavailable = false;
    let disposed = false;
    /** Calls under way: threads are let go only IDLE_MS after the last one ends. */
    let calls = 0;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let requests = 0;

    const start = (): Thread => {
      const worker = spawn(url, { source, load });
      worker.unref(); // held (ref) only while a request waits: an idle worker never keeps the process alive
      /** Its slices asked and not yet answered (by id: a cancelled one not yet begun is answered first). */
      const waiting = new Map<number, { resolve(out: SliceVectors): void; reject(error: SgptError): void }>();
      let becameReady: (runner: SliceRunner | null) => void = () => {};
      let exited: () => void = () => {};
      const thread: Thread = {
        worker,
        ready: new Promise((resolve) => (becameReady = resolve)),
        leaving: false,
        loaded: false,
        cancelAll: () => {
          for (const id of waiting.keys()) worker.postMessage({ type: 'cancel', id } satisfies EmbedRequest);
        },
        exited: new Promise((resolve) => (exited = resolve)),
      };
      const end = (error: SgptError) => {
        const at = threads.indexOf(thread);
        if (at !== -1) threads.splice(at, 1);
        // It could not load what the calling thread loaded: the next would not either.
        if (!thread.loaded && !thread.leaving) unavailable = true;
        becameReady(null);
        void worker.terminate();
        for (const pending of waiting.values()) pending.reject(error);
        waiting.clear();
      };
      const runner: SliceRunner = {
        embed(tokens, first, job, stop) {
          const id = ++requests;
          return new Promise<SliceVectors>((resolve, reject) => {
            if (!threads.includes(thread)) {
              reject(new SgptError('WORKER_DIED', 'the worker thread that embeds texts is gone'));
              return;
            }
            if (stop.aborted) {
              reject(embeddingCancelled());
              return;
            }
            const cancel = () => worker.postMessage({ type: 'cancel', id } satisfies EmbedRequest);
            stop.addEventListener('abort', cancel, { once: true });
            const settled = () => {
              stop.removeEventListener('abort', cancel);
              waiting.delete(id);
              if (waiting.size === 0) worker.unref();
            };
            waiting.set(id, {
              resolve: (out) => (settled(), resolve(out)),
              reject: (error) => (settled(), reject(error)),
            });
            worker.ref();
            worker.postMessage({ type: 'slice', id, tokens, first, job } satisfies EmbedRequest, [tokens.ids.buffer as ArrayBuffer, tokens.ends.buffer as ArrayBuffer]);
          });
        },
      };
      worker.on('message', (message: EmbedReply) => {
        if (message.type === 'ready') {
          thread.loaded = true;
          becameReady(runner);
          return;
        }
        const pending = waiting.get(message.id);
        if (message.type === 'error') pending?.reject(SgptError.from(message.error));
        else pending?.resolve({ owner: message.owner, vectors: message.vectors });
      });
      worker.on('error', (error: Error) => end(new SgptError('WORKER_DIED', `the worker thread that embeds texts failed: ${error.message}`, { cause: error })));
      worker.on('exit', (code) => {
        closing.delete(thread);
        exited();
        end(new SgptError('WORKER_DIED', `the worker thread that embeds texts exited (code ${code}) before it was done`));
      });
      return thread;
    };

    /**
     * Ask every thread to end once it has answered what it was asked, its unanswered slices
     * cancelled (they stop before their next batch). Never `terminate()` one: a thread stopped
     * inside onnxruntime's run aborts the whole process (a native exception), so the wait for a
     * loaded thread has no limit (it is about one batch). A thread still loading (a slow
     * download) ends once loaded; that wait is bounded, and an unref'd thread never keeps the
     * process alive.
     */
    const letGo = async () => {
      clearTimeout(idleTimer);
      for (const thread of threads.splice(0)) {
        thread.leaving = true;
        closing.add(thread);
        thread.cancelAll();
        thread.worker.postMessage({ type: 'close' } satisfies EmbedRequest);
      }
      const all = [...closing];
      let waited: ReturnType<typeof setTimeout> | undefined;
      const bound = new Promise<void>((resolve) => (waited = setTimeout(resolve, CLOSE_WAIT_MS)));
      await Promise.all(all.map((thread) => (thread.loaded ? thread.exited : Promise.race([thread.exited, bound]))));
      clearTimeout(waited);
    };

    /** Threads a call of `work` may use, and those worth starting for it at `per` characters each. */
    const worth = ({ slices, chars }: SliceWork, per: number) => {
      const usable = disposed ? 0 : Math.max(0, Math.min(size, slices - 1));
      return { usable, started: Math.min(usable, per > 0 ? Math.floor(chars / per) : Infinity) };
    };

    const startIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => void letGo(), options.idleMs ?? IDLE_MS);
      idleTimer.unref();
    };

    /** Threads up to `wanted`, started now. */
    const fill = (wanted: number) => {
      while (!unavailable && !disposed && threads.length < wanted) {
        try {
          threads.push(start());
        } catch {
          // No worker threads here (a sandbox, a resource limit): every slice on the calling thread.
          unavailable = true;
        }
      }
    };

    return {
      runners(work) {
        calls++;
        clearTimeout(idleTimer);
        // New threads only where the call repays their start-up; threads already there help any call.
        const { usable, started } = worth(work, options.charsPerWorker ?? CHARS_PER_WORKER);
        fill(started);
        return threads.slice(0, usable).map((thread) => thread.ready);
      },
      warm(work) {
        fill(worth(work, options.warmCharsPerWorker ?? WARM_CHARS_PER_WORKER).started);
        // Let go in time if the call never comes.
        if (calls === 0 && threads.length > 0) startIdleTimer();
      },
      idle() {
        calls = Math.max(0, calls - 1);
        if (calls > 0 || disposed) return;
        startIdleTimer();
      },
      dispose() {
        disposed = true;
        return letGo();
      },
    };
  };
}
