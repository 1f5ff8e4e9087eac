/**
 * The worker thread behind ./embed-workers (Node only): its own session of the caller's model,
 * loaded by the same code (./model), and its own piece memo (./piece-memo); it embeds whole slices
 * (./slices) and transfers their pooled rows back. test/unit/embed-workers.test.ts holds its vectors
 * to the calling thread's, bit for bit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toSgptError } from '../errors';
import type { EmbedReply, EmbedRequest, EmbedWorkerData } from './embed-worker-protocol';
import { loadEncoder } from './model';
import { pieceEncoder } from './piece-memo';
import { embedSlice, prepareSlice } from './slices';

const { source, load } = workerData as EmbedWorkerData;
const port = parentPort!;
// A load that fails throws here: the pool sees the worker fail before 'ready' and starts no more.
const encoder = await loadEncoder(source, load);
const { encode } = pieceEncoder(encoder.tokenizer);
const run = encoder.run.bind(encoder);

async function answer(request: EmbedRequest): Promise<EmbedReply> {
  try {
    const slice = prepareSlice(request.texts, encode, request.job, request.first);
    const { owner, vectors } = await embedSlice(slice, [run], encoder.dims);
    return { type: 'embedded', id: request.id, owner, vectors };
  } catch (error) {
    return { type: 'error', id: request.id, error: toSgptError(error).toJSON() };
  }
}

// One request at a time, answered in order.
let queue = Promise.resolve();
port.on('message', (request: EmbedRequest) => {
  queue = queue.then(async () => {
    const reply = await answer(request);
    port.postMessage(reply, reply.type === 'embedded' ? [reply.owner.buffer as ArrayBuffer, reply.vectors.buffer as ArrayBuffer] : []);
  });
});
port.postMessage({ type: 'ready' } satisfies EmbedReply);
