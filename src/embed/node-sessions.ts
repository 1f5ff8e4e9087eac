/**
 * How Node embeds many documents (Node only: reads the core count, may start a worker thread).
 * One model session on one onnxruntime thread, on the calling thread: onnxruntime-node's `run`
 * blocks the thread that calls it, so a second session there never ran at the same time as the
 * first (it only held a second copy of the weights). With more than two cores, a worker thread
 * tokenises the next slices and pools (./slice-worker-client) while the model runs. On the 2-core
 * development machine (both cores busy with other jobs) it did not pay: a second busy thread
 * slowed the model's own 1.5–2.2 ×, and it never beat the in-thread path on a fresh model or in
 * the paired rows of `npm run bench -- throughput` (README, "The slice worker"), so there every
 * slice stays in-thread. An explicit thread count sets the session's threads.
 */
import { availableParallelism } from 'node:os';
import { sliceWorker } from './slice-worker-client';
import type { LoadOptions } from './types';

/** Cores from which the slice worker runs beside the model (measured not to pay on 2). */
export const SLICE_WORKER_MIN_CORES = 3;

export function documentSessions(threads = 1, cores = availableParallelism()): Pick<LoadOptions, 'threads' | 'sessions' | 'sliceHelper'> {
  return { threads, sessions: 1, ...(cores >= SLICE_WORKER_MIN_CORES ? { sliceHelper: sliceWorker } : {}) };
}
