/// <reference lib="webworker" />
/**
 * Web Worker entry: owns the model, the vectors and the search. All logic is in WorkerHandler;
 * this file only connects it to `self`.
 */
import { cspBlocked } from '../errors';
import { Reranker } from '../rerank/reranker';
import { WorkerHandler } from './handler';
import type { Response } from './protocol';
import { watchFolder } from './model-files';
import { folderUrl, loadBrowserEmbedder } from './runtime';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** The last Content Security Policy refusal here (a model file, the WASM runtime): the failure it causes is reported as CSP_BLOCKED. */
let violation: SecurityPolicyViolationEvent | null = null;
scope.addEventListener('securitypolicyviolation', (event) => {
  violation = event as SecurityPolicyViolationEvent;
});

function post(response: Response): void {
  if (response.type === 'error' && response.error.code !== 'ABORTED' && violation !== null) {
    response = { ...response, error: cspBlocked(violation.effectiveDirective, `${violation.blockedURI || 'a request'} (${response.error.message})`).toJSON() };
    violation = null;
  }
  scope.postMessage(response);
}

const handler = new WorkerHandler(post, {
  loadEmbedder: loadBrowserEmbedder,
  // The runtime is configured by the embedder's load; the LM runs on the backend it got, its files
  // fetched like the embedder's (once, through the Cache API; the watch lets go of their bytes after).
  loadReranker: async (model, backend) => {
    const watch = watchFolder(folderUrl(model));
    try {
      return await Reranker.load(model, { device: backend === 'webgpu' ? 'webgpu' : 'wasm', allowWebGpu: backend === 'webgpu' });
    } finally {
      watch.close();
    }
  },
});

scope.onmessage = (event: MessageEvent<unknown>) => {
  // A message without an id rejects here, uncaught: the page sees an `error` event and restarts us.
  handler.handle(event.data).catch((error: unknown) => {
    setTimeout(() => {
      throw error;
    });
  });
};
