/**
 * One onnxruntime-node session of a model in a worker thread, for the model-graph roofline
 * (graph-rate.ts): onnxruntime-node runs a session on the calling thread, so sessions only run at
 * once in separate threads. Gets {model, threads, batches, reps}; builds its feeds, warms up,
 * answers 'ready'; on 'go' runs every feed `reps` times and answers 'done'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { graphFeeds, runFeeds, type GraphBatch } from './graph-batches';

export interface GraphWorkerData {
  model: string;
  /** Undefined: the runtime's default thread count. */
  threads?: number;
  batches: GraphBatch[];
  reps: number;
}

const { model, threads, batches, reps } = workerData as GraphWorkerData;
const port = parentPort!;
const session = await ort.InferenceSession.create(model, threads === undefined ? {} : { intraOpNumThreads: threads, interOpNumThreads: 1 });
const feeds = graphFeeds(ort, batches);
await runFeeds(session, feeds.slice(0, 2), 1); // warm-up
port.once('message', async () => {
  await runFeeds(session, feeds, reps);
  await session.release();
  port.postMessage('done');
});
port.postMessage('ready');
