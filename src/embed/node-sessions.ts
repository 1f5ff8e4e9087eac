/**
 * How Node embeds many documents (Node only: reads the core count and the load). One model session
 * on one onnxruntime thread per thread: onnxruntime-node's `run` blocks the thread that calls it,
 * so worker threads (./embed-workers), each with its own session, embed some of a call's slices
 * while the calling thread embeds others, one per free core. A core counts as free when the
 * 1-minute load average leaves it so: on 2 cores busy with other jobs (load 4–7.5) a second busy
 * thread slowed the model's own 1.5–2.2 × and never paid (README, "The slice worker"); on an idle
 * machine each core embeds. An explicit thread count sets each session's threads, and the
 * workers are as many as fit beside it.
 */
import { availableParallelism, loadavg } from 'node:os';
import { embedWorkers } from './embed-workers';
import type { LoadOptions } from './types';

/** Worker threads at most: each holds a session (50–75 MB for sgpt-nano: README, "Worker threads that embed"), and a build's other steps need memory too. */
export const MAX_EMBED_WORKERS = 7;

/**
 * Worker threads beside the calling one: the cores the load average leaves free (this process's
 * own thread is ~1 of the load once it works, so a load up to ~1.5 leaves a second core of 2
 * free), each holding `threads` threads. 0 where the OS reports no load (Windows): every core.
 */
export function documentWorkers(threads = 1, cores = availableParallelism(), load = loadavg()[0]!): number {
  const busy = Math.max(0, Math.round(load - 1));
  const free = cores - 1 - busy;
  return Math.max(0, Math.min(MAX_EMBED_WORKERS, Math.floor(free / Math.max(1, threads))));
}

export function documentSessions(threads = 1, cores = availableParallelism(), load = loadavg()[0]!): Pick<LoadOptions, 'threads' | 'sessions' | 'sliceWorkers'> {
  const workers = documentWorkers(threads, cores, load);
  return { threads, sessions: 1, ...(workers > 0 ? { sliceWorkers: embedWorkers(workers) } : {}) };
}
