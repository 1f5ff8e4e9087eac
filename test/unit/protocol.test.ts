/** The worker message format: what is accepted, what is refused, and that it survives structured clone. */
import { describe, expect, it } from 'vitest';
import { isRequest, isResponse, requestProblem } from '../../src/worker/protocol';

describe('requestProblem', () => {
  it('accepts each well-formed request', () => {
    expect(requestProblem({ id: 1, type: 'load', model: '/models/tiny-gpt2/' })).toBeNull();
    expect(requestProblem({ id: 2, type: 'load', model: 'https://x/m/', mode: 'symmetric', device: 'wasm', runtime: { ortBase: '/ort/', wasmBuild: 'plain', threads: 2 } })).toBeNull();
    expect(requestProblem({ id: 3, type: 'load', model: 'm', runtime: { ortWasm: { mjs: '/assets/glue-1a2b.mjs', wasm: '/assets/ort-3c4d.wasm' } } })).toBeNull();
    expect(requestProblem({ id: 4, type: 'load', model: 'https://x/m/', runtime: { files: { 'https://x/m/config.json': new Uint8Array([123, 125]) } } })).toBeNull();
    expect(requestProblem({ id: 3, type: 'setDocuments', documents: [] })).toBeNull();
    expect(requestProblem({ id: 4, type: 'search', query: 'tea', limit: 5 })).toBeNull();
    expect(requestProblem({ id: 5, type: 'cancel', target: 4 })).toBeNull();
    expect(isRequest({ id: 0, type: 'search', query: '', limit: 1 })).toBe(true);
  });

  it.each([
    [null, 'a request must be an object'],
    [[], 'a request must be an object'],
    [{ type: 'search', query: 'x', limit: 1 }, 'a request needs a non-negative integer id'],
    [{ id: -1, type: 'search', query: 'x', limit: 1 }, 'a request needs a non-negative integer id'],
    [{ id: 1.5, type: 'search', query: 'x', limit: 1 }, 'a request needs a non-negative integer id'],
    [{ id: 1, type: 'explode' }, 'unknown request type "explode"'],
    [{ id: 1, type: 'load' }, 'load needs a model URL'],
    [{ id: 1, type: 'load', model: '' }, 'load needs a model URL'],
    [{ id: 1, type: 'load', model: 'm', mode: 'sideways' }, 'load: mode must be "symmetric" or "asymmetric"'],
    [{ id: 1, type: 'load', model: 'm', device: 'cpu' }, 'load: device must be "auto", "wasm" or "webgpu"'],
    [{ id: 1, type: 'load', model: 'm', runtime: { threads: 0 } }, 'load: malformed runtime options'],
    [{ id: 1, type: 'load', model: 'm', runtime: { wasmBuild: 'jsep' } }, 'load: malformed runtime options'],
    [{ id: 1, type: 'load', model: 'm', runtime: { ortWasm: { mjs: '/x.mjs' } } }, 'load: malformed runtime options'],
    [{ id: 1, type: 'load', model: 'm', runtime: { files: { 'https://x/m/config.json': '{}' } } }, 'load: malformed runtime options'],
    [{ id: 1, type: 'load', model: 'm', runtime: { files: [new Uint8Array(1)] } }, 'load: malformed runtime options'],
    [{ id: 1, type: 'setDocuments', documents: {} }, 'setDocuments needs a documents array'],
    [{ id: 1, type: 'setDocuments', documents: [{}], vectors: [[1, 2]] }, 'setDocuments: vectors must be an array of Float32Array or null, one per document'],
    [{ id: 1, type: 'setDocuments', documents: [{}], vectors: [] }, 'setDocuments: vectors must be an array of Float32Array or null, one per document'],
    [{ id: 1, type: 'search', limit: 1 }, 'search needs a query string'],
    [{ id: 1, type: 'search', query: 'x', limit: 0 }, 'search needs a positive integer limit'],
    [{ id: 1, type: 'search', query: 'x', limit: 2.5 }, 'search needs a positive integer limit'],
    [{ id: 1, type: 'cancel' }, 'cancel needs the target request id'],
  ])('refuses %j', (data, problem) => {
    expect(requestProblem(data)).toBe(problem);
    expect(isRequest(data)).toBe(false);
  });
});

describe('isResponse', () => {
  it('accepts progress, results and errors with a known code, also after structured clone', () => {
    const responses = [
      { id: 1, type: 'progress', progress: { phase: 'model', loaded: 10, total: 100 } },
      { id: 1, type: 'progress', progress: { phase: 'embed', done: 3, total: 7 } },
      { id: 2, type: 'result', result: { query: 'q', hits: [], ms: 1 } },
      { id: 3, type: 'error', error: { code: 'MODEL_NOT_FOUND', message: 'gone' } },
    ];
    for (const response of responses) {
      expect(isResponse(response)).toBe(true);
      expect(isResponse(structuredClone(response))).toBe(true);
    }
  });

  it.each([
    [{ type: 'result', result: {} }],
    [{ id: 1, type: 'progress', progress: { phase: 'model', loaded: 1 } }],
    [{ id: 1, type: 'progress', progress: { phase: 'download', done: 1, total: 2 } }],
    [{ id: 1, type: 'result', result: 42 }],
    [{ id: 1, type: 'error', error: { code: 'OOPS', message: 'x' } }],
    [{ id: 1, type: 'error', error: { code: 'INTERNAL' } }],
    [{ id: 1, type: 'hello' }],
  ])('refuses %j', (data) => {
    expect(isResponse(data)).toBe(false);
  });
});
