/**
 * How Node embeds many documents (Node only: reads the core count, starts worker threads). One
 * model session on one onnxruntime thread, on the calling thread, with a worker thread that
 * tokenises the next slices of a call meanwhile (./slice-worker-client): onnxruntime-node's `run`
 * blocks the thread that calls it, so a second session there never ran at the same time as the
 * first (it only held a second copy of the weights), and tokenising on that thread was time the
 * model waited (`npm run bench -- throughput`). An explicit thread count sets the session's threads.
 */
import { sliceWorker } from './slice-worker-client';
import type { LoadOptions } from './types';

export function documentSessions(threads = 1): Pick<LoadOptions, 'threads' | 'sessions' | 'sliceHelper'> {
  return { threads, sessions: 1, sliceHelper: sliceWorker };
}
