/**
 * The worker's message format: the one place that knows it.
 *
 * Every request carries a numeric id chosen by the client; every response names the request it
 * answers. A request gets any number of `progress` responses, then exactly one `result` or `error`.
 * `cancel` has no answer of its own: the cancelled request answers with an ABORTED error.
 */
import { isMode, type Mode } from '../embed/sgpt-settings';
import type { ErrorCode, SerializedError } from '../errors';
import type { OrtWasmFiles } from '../embed/types';

/** What the element and the worker accept; 'auto' means WebGPU only on a real (non-fallback) GPU adapter. */
export type DeviceChoice = 'auto' | 'wasm' | 'webgpu';

/** Which onnxruntime-web WASM build to run: 'plain' (14 MB, CPU only) or 'asyncify' (27 MB, needed by WebGPU). */
export type WasmBuild = 'plain' | 'asyncify';

/** A searchable document as the page gives it. Title and text are plain text, never markup. */
export interface SearchDocument {
  id: string | number;
  title: string;
  text: string;
  url?: string;
  /** Its language (a `lang` value such as "de" or "ja-JP"): picks its keyword analysis; default English. */
  lang?: string;
  /** Multiplies its keyword score: a number > 0 and ≤ 100 (src/extract/weights), default 1. */
  weight?: number;
  /** Aliases that match like its title's words (e.g. ["venv", "virtualenv"]). */
  keywords?: string[];
}

export interface SearchHit {
  id: string | number;
  title: string;
  url?: string;
  /** A plain-text window of the document's text near the query's words. */
  excerpt: string;
  /**
   * The ranking's score: BM25 in stage 'keyword', the fused score in 'semantic' (a reranked hit
   * keeps it). The order of the results is the ranking, not this: a result whose title is the
   * query, word for word, comes first (the exact-title boost, src/search/ranking) with its own
   * score, so a score below it may be higher.
   */
  score: number;
  /** Site-index hits (src/index/site-search): the section's page, */
  pageTitle?: string;
  /** its heading path (outermost first, ending with the section's own title), */
  headingPath?: string[];
  /** [start, end) offsets in `excerpt` of the query's words (render as text, mark the ranges), */
  highlights?: Array<[number, number]>;
  /** the query as those marks read it (its last word whole, or a prefix: SiteHit's), for a result link to carry, */
  highlightQuery?: string;
  /** and whether the query's meaning ranked it (false: keyword results while the model loads). */
  semantic?: boolean;
  /** Stage 'reranked': the SGPT-CE score (summed query log-probability; closer to 0 is better). */
  rerankScore?: number;
}

/** Runtime knobs for benchmarks and deployments that serve onnxruntime-web's files elsewhere. */
export interface RuntimeOptions {
  /** URL folder serving onnxruntime-web's ort-wasm-simd-threaded*.{wasm,mjs} (default '/ort/'). */
  ortBase?: string;
  /** The plain build's own URLs when they are not in `ortBase` under their own names (a bundler renamed them). */
  ortWasm?: OrtWasmFiles;
  /** Override the build that `device` implies (WebGPU always needs 'asyncify'). */
  wasmBuild?: WasmBuild;
  /** onnxruntime WASM threads (default: DEFAULT_WASM_THREADS in ./runtime, chosen by measurement). */
  threads?: number;
  /**
   * Every model and WASM file's bytes by URL, for pages opened from disk: the worker then fetches
   * nothing, and a file not given is missing.
   */
  files?: Record<string, Uint8Array>;
}

export interface LoadRequest {
  id: number;
  type: 'load';
  /** Model folder URL (absolute, or relative to the page). */
  model: string;
  mode?: Mode;
  device?: DeviceChoice;
  runtime?: RuntimeOptions;
}

export interface SetDocumentsRequest {
  id: number;
  type: 'setDocuments';
  documents: SearchDocument[];
  /**
   * Vectors the page already has for the current model (IndexedDB, or shipped with the documents),
   * aligned with `documents`: one L2-normalised row per model window, or null to embed it here.
   */
  vectors?: Array<Float32Array | null>;
}

export interface SearchRequest {
  id: number;
  type: 'search';
  query: string;
  limit: number;
}

/** The query's SGPT vector, for searching a prebuilt site index outside the worker (src/index/site-search). */
export interface EmbedQueryRequest {
  id: number;
  type: 'embedQuery';
  query: string;
}

/** Where the document windows the model embeds lie in each text (src/embed/embedder `windows`): excerpts at the window that won. */
export interface WindowsRequest {
  id: number;
  type: 'windows';
  texts: string[];
}

export interface CancelRequest {
  id: number;
  type: 'cancel';
  /** The id of the request to abort. */
  target: number;
}

/** SGPT-CE: score candidates for a query with a causal LM (src/rerank); cancel it like a search. */
export interface RerankRequest {
  id: number;
  type: 'rerank';
  /** Causal LM folder URL (loaded on first use, kept for later reranks). */
  model: string;
  query: string;
  /** What the LM reads of each candidate, e.g. title and text. */
  texts: string[];
}

/** Heartbeat: the worker answers `pong` at once, whatever else it is doing (src/worker/client). */
export interface PingRequest {
  id: number;
  type: 'ping';
}

export type Request = LoadRequest | SetDocumentsRequest | SearchRequest | EmbedQueryRequest | WindowsRequest | RerankRequest | CancelRequest | PingRequest;
export type RequestType = Request['type'];

export interface LoadResult {
  /** The backend that actually ran: 'wasm' or 'webgpu'. */
  backend: string;
  modelId: string;
  dims: number;
  mode: Mode;
  /** The model's identity hash over the files loaded (manifest model.hash); '' when unknown. */
  hash: string;
}

export interface SetDocumentsResult {
  /** Documents now searchable. */
  count: number;
  /** Documents embedded by this call (the rest were unchanged, or came with their vectors). */
  embedded: number;
  /** The vectors this call made, by index into `documents`, for the page to keep. */
  vectors: Array<{ index: number; rows: Float32Array }>;
}

/** The dense half of the in-page ranking (src/search/document-search fuses it with the keyword half). */
export interface SearchResult {
  query: string;
  /**
   * Documents by cosine of their best chunk, best first, over the documents embedded so far; `chunk`:
   * which of the document's `chunks` windows (rows, in order) won.
   */
  hits: Array<{ id: string | number; score: number; chunk: number; chunks: number }>;
  /** Documents of the current set embedded so far, of `total`. */
  embedded: number;
  total: number;
  /** Milliseconds the worker spent on this search (query embedding + ranking). */
  ms: number;
}

export interface WindowsResult {
  /** Per text, the [start, end) UTF-16 offsets of its windows in row order (one window: the whole text). */
  windows: Array<Array<[number, number]>>;
}

export interface EmbedQueryResult {
  /** L2-normalised, the model's dims. */
  vector: Float32Array;
  ms: number;
}

export interface RerankResult {
  query: string;
  /** Indices into `texts`, best first (ties: lower index first). */
  order: number[];
  /** scores[i] is the summed query log-probability given texts[i] (closer to 0 is better). */
  scores: number[];
  ms: number;
}

/** The result each request type resolves with. */
export interface ResultMap {
  load: LoadResult;
  setDocuments: SetDocumentsResult;
  search: SearchResult;
  embedQuery: EmbedQueryResult;
  windows: WindowsResult;
  rerank: RerankResult;
  cancel: never;
  ping: never;
}

export type Progress =
  | { phase: 'model'; loaded: number; total: number }
  | {
      phase: 'embed';
      done: number;
      total: number;
      /** After each slice: the vectors just made, by index into the request's documents (for the page to keep). */
      vectors?: SetDocumentsResult['vectors'];
    };

export type Response =
  | { id: number; type: 'progress'; progress: Progress }
  | { id: number; type: 'result'; result: ResultMap[Exclude<RequestType, 'cancel' | 'ping'>] }
  | { id: number; type: 'pong' }
  | { id: number; type: 'error'; error: SerializedError };

const DEVICES: readonly string[] = ['auto', 'wasm', 'webgpu'];
const BUILDS: readonly string[] = ['plain', 'asyncify'];
const ERROR_CODES: readonly ErrorCode[] = [
  'MODEL_NOT_FOUND',
  'MODEL_INVALID',
  'MODEL_LOAD_FAILED',
  'BACKEND_UNAVAILABLE',
  'DOCUMENTS_INVALID',
  'DOCUMENTS_FETCH_FAILED',
  'INDEX_INVALID',
  'INDEX_MODEL_MISMATCH',
  'INDEX_VERSION',
  'INPUT_INVALID',
  'WORKER_DIED',
  'CSP_BLOCKED',
  'ABORTED',
  'INTERNAL',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isOptional(value: unknown, allowed: readonly string[]): boolean {
  return value === undefined || (typeof value === 'string' && allowed.includes(value));
}

function isRuntime(value: unknown): boolean {
  if (value === undefined) return true;
  if (!isRecord(value)) return false;
  return (
    (value.ortBase === undefined || typeof value.ortBase === 'string') &&
    (value.ortWasm === undefined || (isRecord(value.ortWasm) && typeof value.ortWasm.mjs === 'string' && typeof value.ortWasm.wasm === 'string')) &&
    isOptional(value.wasmBuild, BUILDS) &&
    (value.threads === undefined || (typeof value.threads === 'number' && Number.isInteger(value.threads) && value.threads > 0)) &&
    (value.files === undefined || (isRecord(value.files) && Object.values(value.files).every((bytes) => bytes instanceof Uint8Array)))
  );
}

/**
 * Why `data` is not a well-formed request, or null when it is. Document contents are checked
 * separately (`validateDocuments`) so that the error can name the offending index.
 */
export function requestProblem(data: unknown): string | null {
  if (!isRecord(data)) return 'a request must be an object';
  if (!isId(data.id)) return 'a request needs a non-negative integer id';
  switch (data.type) {
    case 'load':
      if (typeof data.model !== 'string' || data.model === '') return 'load needs a model URL';
      if (data.mode !== undefined && !isMode(data.mode)) return 'load: mode must be "symmetric" or "asymmetric"';
      if (!isOptional(data.device, DEVICES)) return 'load: device must be "auto", "wasm" or "webgpu"';
      if (!isRuntime(data.runtime)) return 'load: malformed runtime options';
      return null;
    case 'setDocuments':
      if (!Array.isArray(data.documents)) return 'setDocuments needs a documents array';
      if (data.vectors !== undefined && !(Array.isArray(data.vectors) && data.vectors.length === data.documents.length && data.vectors.every((v) => v === null || v instanceof Float32Array))) {
        return 'setDocuments: vectors must be an array of Float32Array or null, one per document';
      }
      return null;
    case 'search':
      if (typeof data.query !== 'string') return 'search needs a query string';
      if (!(typeof data.limit === 'number' && Number.isInteger(data.limit) && data.limit > 0)) {
        return 'search needs a positive integer limit';
      }
      return null;
    case 'embedQuery':
      return typeof data.query === 'string' ? null : 'embedQuery needs a query string';
    case 'windows':
      return Array.isArray(data.texts) && data.texts.every((text) => typeof text === 'string') ? null : 'windows needs a texts array of strings';
    case 'rerank':
      if (typeof data.model !== 'string' || data.model === '') return 'rerank needs a causal LM model URL';
      if (typeof data.query !== 'string') return 'rerank needs a query string';
      if (!Array.isArray(data.texts) || !data.texts.every((text) => typeof text === 'string')) return 'rerank needs a texts array of strings';
      return null;
    case 'cancel':
      return isId(data.target) ? null : 'cancel needs the target request id';
    case 'ping':
      return null;
    default:
      return `unknown request type ${JSON.stringify(data.type)}`;
  }
}

export function isRequest(data: unknown): data is Request {
  return requestProblem(data) === null;
}

function isSerializedError(value: unknown): value is SerializedError {
  return (
    isRecord(value) &&
    typeof value.code === 'string' &&
    (ERROR_CODES as readonly string[]).includes(value.code) &&
    typeof value.message === 'string'
  );
}

function isProgress(value: unknown): value is Progress {
  if (!isRecord(value)) return false;
  if (value.phase === 'model') return typeof value.loaded === 'number' && typeof value.total === 'number';
  if (value.phase === 'embed') return typeof value.done === 'number' && typeof value.total === 'number' && (value.vectors === undefined || Array.isArray(value.vectors));
  return false;
}

/** Shape check for what arrives from the worker; the result's own shape is the worker's promise. */
export function isResponse(data: unknown): data is Response {
  if (!isRecord(data) || !isId(data.id)) return false;
  switch (data.type) {
    case 'progress':
      return isProgress(data.progress);
    case 'result':
      return isRecord(data.result);
    case 'error':
      return isSerializedError(data.error);
    case 'pong':
      return true;
    default:
      return false;
  }
}
