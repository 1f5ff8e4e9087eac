/**
 * The worker thread behind ./slice-worker-client (Node only): the model's tokenizer, rebuilt from
 * the JSON the main thread loaded (test/unit/slice-worker.test.ts holds its ids and vectors to the
 * main thread's, bit for bit), with its own piece memo (./piece-memo), preparing one call's
 * slices (./slices), one per 'next' request, and pooling the batches' hidden states, so
 * the main thread only runs the model. Arrays are transferred both ways, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Tokenizer } from '@huggingface/tokenizers';
import { toSgptError } from '../errors';
import { pieceEncoder, type TokenizerLike } from './piece-memo';
import { weightedMeanPool } from './pooling';
import { prepareSlice } from './slices';
import type { SliceRequest, SliceReply, SliceWorkerData } from './slice-protocol';

const { tokenizerJSON, tokenizerConfig } = workerData as SliceWorkerData;
// The tokenizer transformers.js' own encode runs (its PreTrainedTokenizer wraps this class and
// returns its ids), without loading transformers.js: its import was half the worker's start-up.
const tokenizer = new Tokenizer(tokenizerJSON as object, tokenizerConfig);
const bare: TokenizerLike = {
  encode: (text, options) => tokenizer.encode(text, options).ids,
  _tokenizerJSON: tokenizerJSON,
  _tokenizerConfig: tokenizerConfig,
};
const { encode } = pieceEncoder(bare);
const port = parentPort!;

let current: (SliceRequest & { type: 'job' }) | null = null;

function reply(message: SliceReply, transfer: ArrayBufferLike[] = []): void {
  port.postMessage(message, transfer as ArrayBuffer[]);
}

port.on('message', (request: SliceRequest) => {
  if (request.type === 'job') current = request;
  else if (request.type === 'close') {
    if (current?.id === request.id) current = null;
  } else {
    try {
      if (request.type === 'next') {
        const slice = current === null || current.id !== request.id ? null : prepareSlice(current.texts, request.start, encode, current.job);
        const transfer = slice === null ? [] : [slice.owner.buffer, ...slice.batches.flatMap((b) => [b.inputIds.buffer, b.attentionMask.buffer, b.windows.buffer])];
        reply({ type: 'slice', id: request.id, slice }, transfer);
      } else {
        const vectors = weightedMeanPool(request.hidden, request.mask, request.rows, request.seqLen, request.dims);
        reply({ type: 'pooled', id: request.id, vectors }, [vectors.buffer]);
      }
    } catch (error) {
      reply({ type: 'error', id: request.id, error: toSgptError(error).toJSON() });
    }
  }
});
port.postMessage({ type: 'ready' } satisfies SliceReply);
