/**
 * How Node embeds many documents (Node only: reads the core count, may start a worker thread).
 * One model session on one onnxruntime thread, on the calling thread: onnxruntime-node's `run`
 * blocks the thread that calls it, so a second session there never ran at the same time as the
 * first (it only held a second copy of the weights). A worker thread tokenises the next slices and
 * pools (./slice-worker-client) while the model runs. It pays when a core is free for it: from 3
 * cores, and on 2 when the machine is otherwise idle (the paired rows of `npm run bench --
 * throughput` at load ~1: the embedding step at 83 % of the graph alone with the worker, 59 %
 * without). On 2 cores busy with other jobs (load 4–7.5) a second busy thread slowed the model's
 * own 1.5–2.2 × and never beat the in-thread path (README, "The slice worker"), so there every
 * slice stays in-thread. An explicit thread count sets the session's threads.
 */
import { availableParallelism, loadavg } from 'node:os';
import { sliceWorker } from './slice-worker-client';
import type { LoadOptions } from './types';

/** Cores from which the slice worker runs beside the model whatever the load. */
export const SLICE_WORKER_MIN_CORES = 3;

/**
 * With 2 cores, the 1-minute load average below which the second core counts as free (this
 * process's own thread is ~1 of it). 0 where the OS reports none (Windows): the worker runs.
 */
export const SLICE_WORKER_IDLE_LOAD = 1.5;

export function documentSessions(threads = 1, cores = availableParallelism(), load = loadavg()[0]!): Pick<LoadOptions, 'threads' | 'sessions' | 'sliceHelper'> {
  const worker = cores >= SLICE_WORKER_MIN_CORES || (cores === 2 && load < SLICE_WORKER_IDLE_LOAD);
  return { threads, sessions: 1, ...(worker ? { sliceHelper: sliceWorker } : {}) };
}
