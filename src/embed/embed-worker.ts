/**
 * The worker thread behind ./embed-workers (Node only): its own session of the caller's model,
 * loaded by the same code (./model) but without the tokenizer (the calling thread sends each
 * slice's ids: a tokenizer's load was a third of a thread's start-up); it embeds whole slices
 * (./slices), one at a time in the order asked, and transfers their pooled rows back (a cancelled
 * slice not yet begun is answered at once).
 * test/unit/embed-workers.test.ts holds its vectors to the calling thread's, bit for bit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toSgptError } from '../errors';
import type { EmbedReply, EmbedRequest, EmbedWorkerData } from './embed-worker-protocol';
import { loadHiddenStates } from './model';
import { nextTask } from './next-task';
import { embeddingCancelled, embedSlice, prepareSlice } from './slices';

const { source, load } = workerData as EmbedWorkerData;
const port = parentPort!;
// A load that fails throws here: the pool sees the worker fail before 'ready' and starts no more.
const encoder = await loadHiddenStates(source, load);
const run = encoder.run.bind(encoder);
/** Slices asked and not yet answered; of them, those begun, and those cancelled while under way. */
const asked = new Set<number>();
const begun = new Set<number>();
const cancelled = new Set<number>();

async function answer(request: EmbedRequest & { type: 'slice' }): Promise<EmbedReply> {
  const { id } = request;
  begun.add(id);
  try {
    const stopped = () => {
      if (cancelled.has(id)) throw embeddingCancelled();
    };
    stopped();
    const slice = prepareSlice(request.tokens, request.job, request.first);
    // Between batches, let a cancel message in (onnxruntime's run settles without a task of its own).
    const { owner, vectors } = await embedSlice(slice, [run], encoder.dims, { beforeBatch: async () => (await nextTask(), stopped()) });
    return { type: 'embedded', id, owner, vectors };
  } catch (error) {
    return { type: 'error', id, error: toSgptError(error).toJSON() };
  } finally {
    asked.delete(id);
    begun.delete(id);
    cancelled.delete(id);
  }
}

// Slices one at a time, in the order asked; a cancel acts at once, a close after what was asked.
let queue = Promise.resolve();
port.on('message', (request: EmbedRequest) => {
  if (request.type === 'cancel') {
    const { id } = request;
    if (begun.has(id)) cancelled.add(id);
    else if (asked.delete(id)) {
      // Not begun (behind another call's slice): answered now, and skipped when its turn comes.
      port.postMessage({ type: 'error', id, error: embeddingCancelled().toJSON() } satisfies EmbedReply);
    }
  } else if (request.type === 'close') {
    queue = queue.then(async () => {
      await encoder.dispose();
      port.close();
    });
  } else {
    asked.add(request.id);
    queue = queue.then(async () => {
      if (!asked.has(request.id)) return;
      const reply = await answer(request);
      port.postMessage(reply, reply.type === 'embedded' ? [reply.owner.buffer as ArrayBuffer, reply.vectors.buffer as ArrayBuffer] : []);
    });
  }
});
port.postMessage({ type: 'ready' } satisfies EmbedReply);
