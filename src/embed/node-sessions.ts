/**
 * How Node embeds many documents (Node only: reads the core count). One model session per core,
 * each on one onnxruntime thread, fed whole batches: on these small GEMMs one thread per session
 * beats one session spread over the cores (its threads wait on each other), and measured no worse
 * on a busy machine (`npm run bench -- throughput`). An explicit thread count keeps one session.
 */
import { availableParallelism } from 'node:os';
import type { LoadOptions } from './types';

/** More sessions than this only add memory (each holds its own copy of the weights). */
const MAX_SESSIONS = 8;

export function documentSessions(threads?: number): Pick<LoadOptions, 'threads' | 'sessions'> {
  if (threads !== undefined) return { threads, sessions: 1 };
  return { threads: 1, sessions: Math.max(1, Math.min(availableParallelism(), MAX_SESSIONS)) };
}
