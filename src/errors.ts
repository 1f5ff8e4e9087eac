/**
 * Errors are values with a code a program can branch on and a message a person can act on.
 * They cross the worker boundary as plain objects (`SerializedError`) and are rebuilt on the other side.
 */
export type ErrorCode =
  | 'MODEL_NOT_FOUND' // a model file answered 404 / does not exist
  | 'MODEL_INVALID' // files exist but are not a usable SGPT/GPT model (bad config, wrong outputs)
  | 'MODEL_LOAD_FAILED' // network / runtime failure while loading
  | 'BACKEND_UNAVAILABLE' // requested device (e.g. webgpu) cannot run
  | 'DOCUMENTS_INVALID' // malformed documents (not an array, missing id, non-string text, duplicates)
  | 'DOCUMENTS_FETCH_FAILED' // the `src` URL could not be fetched or parsed
  | 'INDEX_INVALID' // manifest / index files malformed, truncated or corrupt
  | 'INDEX_MODEL_MISMATCH' // index built with another model or mode
  | 'INDEX_VERSION' // unsupported index format version
  | 'INPUT_INVALID' // bad CLI/API argument
  | 'WORKER_DIED' // the worker crashed or could not start
  | 'CSP_BLOCKED' // the page's Content Security Policy refused the worker, the WASM runtime or a fetch (the message names the directive)
  | 'ABORTED' // superseded by a newer request
  | 'INTERNAL';

export interface SerializedError {
  code: ErrorCode;
  message: string;
}

export class SgptError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SgptError';
    this.code = code;
  }

  toJSON(): SerializedError {
    return { code: this.code, message: this.message };
  }

  static from(serialized: SerializedError): SgptError {
    return new SgptError(serialized.code, serialized.message);
  }
}

/** Wrap anything thrown into an SgptError, keeping an existing code. */
export function toSgptError(error: unknown, fallback: ErrorCode = 'INTERNAL', context?: string): SgptError {
  if (error instanceof SgptError) return error;
  const text = error instanceof Error ? error.message : String(error);
  return new SgptError(fallback, context ? `${context}: ${text}` : text, { cause: error });
}

export function isAbort(error: unknown): boolean {
  return error instanceof SgptError && error.code === 'ABORTED';
}

/**
 * A Content Security Policy refusal: names the directive that refused and the minimal policy
 * sgpt-search needs (docs/ELEMENT.md, "Content Security Policy").
 */
export function cspBlocked(directive: string, what: string): SgptError {
  return new SgptError(
    'CSP_BLOCKED',
    `the page's Content Security Policy directive ${directive} blocked ${what}. sgpt-search needs script-src 'self' 'wasm-unsafe-eval', worker-src 'self' and connect-src 'self' (and with Trusted Types: trusted-types sgpt-search lit-html)`,
  );
}

/**
 * The largest count (results, shards, batch, threads, …) a CLI flag or an API option may ask for:
 * no real request is anywhere near it, so larger is a typo, not a request for gigabytes.
 */
export const MAX_COUNT = 1_000_000;

/** A value as an error message shows it: strings quoted, so that "3" and 3 differ. */
export function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'an array' : String(value);
}

/**
 * An options object, or nothing (the defaults), whose keys are all in `known`: a misspelt option
 * (`{ limt: 3 }`) is INPUT_INVALID naming it, not silently the default.
 */
export function checkOptions(value: unknown, name: string, known: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SgptError('INPUT_INVALID', `${name} must be an object, got ${shown(value)}`);
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new SgptError('INPUT_INVALID', `${name} has no option ${unknown.map(shown).join(', ')}: it takes ${known.join(', ')}`);
  }
}
