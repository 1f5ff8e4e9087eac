/**
 * Hands onnxruntime-web the Response of its WASM binary, so that Chromium can cache the compiled
 * code (browser edge).
 *
 * onnxruntime-web takes the binary as bytes (`env.wasm.wasmBinary`: compiled with
 * `WebAssembly.instantiate`, never code-cached) or as a URL that its Emscripten glue fetches with
 * the global `fetch` and compiles with `WebAssembly.instantiateStreaming`; it has no option for a
 * Response. Streaming compiles while the body arrives (a first visit's start-up), and only a
 * module streamed from a Response fetched by URL through the HTTP cache may be code-cached by
 * Chromium for the next visit (`npm run bench -- browser-loading` measures both). So the worker's
 * `fetch` answers that one URL, once,
 * with the Response the worker fetched itself (its download progress counted, a 404 reported as
 * ours); every other request goes through untouched.
 */

const waiting = new Map<string, Response>();
let routed = false;

function absolute(input: RequestInfo | URL): string {
  const url = input instanceof Request ? input.url : String(input);
  return new URL(url, globalThis.location?.href).href;
}

/** The next fetch of `url` in this worker gets `response` instead of a request of its own. */
export function answerOnce(url: string, response: Response): void {
  waiting.set(absolute(url), response);
  if (routed) return;
  routed = true;
  const plain = globalThis.fetch.bind(globalThis);
  globalThis.fetch = (input, init) => {
    const key = absolute(input);
    const response = waiting.get(key);
    if (response === undefined) return plain(input, init);
    waiting.delete(key);
    return Promise.resolve(response);
  };
}
