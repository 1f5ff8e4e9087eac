/**
 * The page's side of the worker: promises over the message protocol.
 *
 * - Latest wins: a new search aborts the previous one (and a new document set the previous set),
 *   which rejects with ABORTED at once; the worker's late answer is dropped.
 * - A worker that fails (an `error`/`messageerror` event, no answer to the heartbeat that each
 *   query sends within `heartbeatMs`, or silence past `timeoutMs` while a request waits) is
 *   terminated, every waiting request rejects with WORKER_DIED, and the next call starts a fresh
 *   worker and replays the last model and documents before doing its own work. Neither clock is
 *   reset by new requests, only by the worker's messages: a reader who keeps typing learns of a
 *   dead worker as soon as one who stops.
 */
import { SgptError, cspBlocked, type ErrorCode } from '../errors';
import type {
  EmbedQueryResult,
  WindowsResult,
  RerankResult,
  DeviceChoice,
  LoadResult,
  Progress,
  Request,
  RequestType,
  ResultMap,
  RuntimeOptions,
  SearchDocument,
  SearchResult,
  SetDocumentsResult,
} from './protocol';
import { isResponse } from './protocol';
import workerUrl from './worker.ts?worker&url';
import type { Mode } from '../embed/sgpt-settings';

/** The part of `Worker` the client uses (tests drive it with a worker_threads adapter). */
export interface WorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: Event) => void): void;
}

export interface ClientOptions {
  /** Default: the module worker next to this file, bundled by Vite. */
  createWorker?: () => WorkerLike;
  /** A waiting request with no word from the worker for this long means the worker is dead (default 60 s). */
  timeoutMs?: number;
  /**
   * A query sends a heartbeat that a live worker answers between two steps of whatever it does:
   * no word for this long means the worker is dead (default 5 s).
   */
  heartbeatMs?: number;
  /** Model download and document embedding progress, replays after a restart included. */
  onProgress?: (progress: Progress) => void;
  /** The worker died (even while idle); the next call restarts it. */
  onDeath?: (error: SgptError) => void;
}

export interface LoadOptions {
  mode?: Mode;
  device?: DeviceChoice;
  runtime?: RuntimeOptions;
}

type Payload = { [T in Exclude<RequestType, 'cancel' | 'ping'>]: Omit<Extract<Request, { type: T }>, 'id'> }[Exclude<RequestType, 'cancel' | 'ping'>];

interface Pending {
  resolve(result: unknown): void;
  reject(error: SgptError): void;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;

/** The Trusted Types policy the worker's URL goes through, on pages that enforce them (CSP `trusted-types sgpt-search`). */
export const TRUSTED_TYPES_POLICY = 'sgpt-search';

interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL(url: string): string }): { createScriptURL(url: string): unknown };
}
let policy: { createScriptURL(url: string): unknown } | undefined;

/**
 * The worker script's URL; through our Trusted Types policy where the page has Trusted Types, which
 * lets only this one URL through. Vite gives it absolute or from the site root, so the page resolves
 * it: a non-literal `new URL(…, import.meta.url)` is a module request webpack cannot find.
 */
function workerScriptUrl(): string {
  const url = new URL(workerUrl, location.href).href;
  const trustedTypes = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (trustedTypes === undefined) return url;
  try {
    policy ??= trustedTypes.createPolicy(TRUSTED_TYPES_POLICY, {
      createScriptURL: (candidate) => {
        if (candidate !== url) throw new TypeError(`${TRUSTED_TYPES_POLICY} only trusts its own worker script`);
        return candidate;
      },
    });
  } catch (error) {
    throw new SgptError('CSP_BLOCKED', `the page's Content Security Policy does not allow the Trusted Types policy "${TRUSTED_TYPES_POLICY}": add it to the trusted-types directive (${error instanceof Error ? error.message : String(error)})`);
  }
  return policy.createScriptURL(url) as string;
}

function defaultWorker(): WorkerLike {
  return new Worker(workerScriptUrl(), { type: 'module', name: 'sgpt-search' });
}

export class SearchClient {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  /** Set while a heartbeat waits for its answer. */
  private heartbeat: ReturnType<typeof setTimeout> | undefined;
  private lastLoad: Omit<Extract<Request, { type: 'load' }>, 'id'> | null = null;
  private lastDocuments: Omit<Extract<Request, { type: 'setDocuments' }>, 'id'> | null = null;
  private ready: Promise<void> = Promise.resolve();
  /** Why the last worker died: the answer for calls that were about to post to it. */
  private death: SgptError | null = null;
  private searchController: AbortController | null = null;
  private documentsController: AbortController | null = null;
  private readonly createWorker: () => WorkerLike;
  private readonly timeoutMs: number;
  private readonly heartbeatMs: number;

  constructor(private readonly options: ClientOptions = {}) {
    this.createWorker = options.createWorker ?? defaultWorker;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  }

  /** Load (or switch) the model; documents must be set again afterwards. */
  async load(model: string, options: LoadOptions = {}): Promise<LoadResult> {
    this.lastLoad = { type: 'load', model, ...options };
    this.lastDocuments = null;
    // Documents still being embedded by the old model are of no use to the new one.
    this.documentsController?.abort();
    return this.send(this.lastLoad, undefined, false) as Promise<LoadResult>;
  }

  /**
   * Replace the searchable documents; only new or changed ones are embedded, except those
   * `vectors` (aligned with `documents`) already has for this model.
   */
  async setDocuments(documents: SearchDocument[], vectors?: Array<Float32Array | null>): Promise<SetDocumentsResult> {
    this.documentsController?.abort();
    const controller = new AbortController();
    this.documentsController = controller;
    const payload = { type: 'setDocuments' as const, documents, ...(vectors === undefined ? {} : { vectors }) };
    const result = (await this.send(payload, controller.signal)) as SetDocumentsResult;
    // A restarted worker gets the set back with every vector known by now.
    const known = vectors?.slice() ?? documents.map(() => null);
    for (const { index, rows } of result.vectors) known[index] = rows;
    this.lastDocuments = { type: 'setDocuments', documents, vectors: known };
    return result;
  }

  /** Rank the documents for `query`; a newer call or `signal` aborts this one with ABORTED. */
  async search(query: string, limit: number, signal?: AbortSignal): Promise<SearchResult> {
    return this.send({ type: 'search', query, limit }, this.latest(signal)) as Promise<SearchResult>;
  }

  /** The query's vector (for a prebuilt site index); shares `search`'s latest-wins slot. */
  async embedQuery(query: string, signal?: AbortSignal): Promise<EmbedQueryResult> {
    return this.send({ type: 'embedQuery', query }, this.latest(signal)) as Promise<EmbedQueryResult>;
  }

  /** Where the model's windows of each document text lie (excerpts at the window that won a semantic hit). */
  async windows(texts: string[], signal?: AbortSignal): Promise<WindowsResult> {
    return this.send({ type: 'windows', texts }, signal) as Promise<WindowsResult>;
  }

  /**
   * SGPT-CE scores of `texts` for `query` with the causal LM at `model` (a folder URL); shares the
   * latest-wins slot, so a newer search cancels a running rerank in the worker.
   */
  async rerank(model: string, query: string, texts: string[], signal?: AbortSignal): Promise<RerankResult> {
    return this.send({ type: 'rerank', model, query, texts }, this.latest(signal)) as Promise<RerankResult>;
  }

  /** Abort the previous search-like request; the new one's signal also follows `signal`. */
  private latest(signal: AbortSignal | undefined): AbortSignal {
    this.searchController?.abort();
    const controller = new AbortController();
    this.searchController = controller;
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    if (signal?.aborted) controller.abort();
    return controller.signal;
  }

  /** Stop the worker; waiting requests reject with ABORTED. */
  dispose(): void {
    this.stop('ABORTED', 'the search client was disposed');
    this.lastLoad = null;
    this.lastDocuments = null;
  }

  private async send(payload: Payload, signal: AbortSignal | undefined, replay = true): Promise<ResultMap[Payload['type']]> {
    if (this.worker === null) {
      this.worker = this.start();
      const load = replay ? this.lastLoad : null;
      const documents = this.lastDocuments;
      // Calls made while the fresh worker catches up wait for it; a failed replay fails them too.
      this.ready =
        load === null
          ? Promise.resolve()
          : this.post(load).then(() => (documents === null ? undefined : this.post(documents).then(() => undefined)));
    }
    await this.ready;
    return this.post(payload, signal);
  }

  private post(payload: Payload, signal?: AbortSignal): Promise<ResultMap[Payload['type']]> {
    if (signal?.aborted) return Promise.reject(abortError());
    const worker = this.worker;
    if (worker === null) return Promise.reject(this.death ?? new SgptError('WORKER_DIED', 'the search worker stopped before the request could be sent'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.delete(id)) return;
        worker.postMessage({ id: this.nextId++, type: 'cancel', target: id } satisfies Request);
        reject(abortError());
        this.arm(false);
      };
      this.pending.set(id, {
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result as ResultMap[Payload['type']]);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      worker.postMessage({ id, ...payload } as Request);
      if (payload.type === 'search' || payload.type === 'embedQuery') this.ping(worker);
      this.arm(false);
    });
  }

  /** Ask the worker for a sign of life, unless a heartbeat already waits (a newer query does not move its deadline). */
  private ping(worker: WorkerLike): void {
    if (this.heartbeat !== undefined) return;
    worker.postMessage({ id: this.nextId++, type: 'ping' } satisfies Request);
    this.heartbeat = setTimeout(() => {
      this.stop('WORKER_DIED', `the search worker did not answer for ${this.heartbeatMs / 1000} s; it restarts on the next search`);
    }, this.heartbeatMs);
  }

  private start(): WorkerLike {
    let worker: WorkerLike;
    try {
      worker = this.createWorker();
    } catch (error) {
      if (error instanceof SgptError) throw error;
      if (/Content Security Policy/i.test(String(error))) throw cspBlocked('worker-src', `the search worker (${String(error)})`);
      throw new SgptError('WORKER_DIED', `could not start the search worker: ${error instanceof Error ? error.message : String(error)}`);
    }
    worker.addEventListener('message', (event) => {
      if (worker === this.worker) this.receive((event as MessageEvent).data);
    });
    worker.addEventListener('error', (event) => {
      if (worker !== this.worker) return;
      event.preventDefault?.();
      const detail = (event as ErrorEvent).message;
      this.stop('WORKER_DIED', `the search worker crashed${detail ? `: ${detail}` : ''}; it restarts on the next search`);
    });
    worker.addEventListener('messageerror', () => {
      if (worker === this.worker) this.stop('WORKER_DIED', 'the search worker sent a message that could not be read; it restarts on the next search');
    });
    return worker;
  }

  private receive(data: unknown): void {
    if (!isResponse(data)) {
      this.stop('WORKER_DIED', 'the search worker answered outside the protocol; it restarts on the next search');
      return;
    }
    this.arm();
    clearTimeout(this.heartbeat); // any word from the worker answers the heartbeat
    this.heartbeat = undefined;
    if (data.type === 'pong') return;
    if (data.type === 'progress') {
      // Progress of a superseded request is stale too.
      if (this.pending.has(data.id)) this.options.onProgress?.(data.progress);
      return;
    }
    const waiting = this.pending.get(data.id);
    if (waiting === undefined) return; // aborted here already
    this.pending.delete(data.id);
    if (data.type === 'result') waiting.resolve(data.result);
    else waiting.reject(SgptError.from(data.error));
    this.arm();
  }

  /**
   * The silence timer while anything waits; stopped when nothing does. `restart` (the worker spoke)
   * starts it over; a new request only starts it when it is not running.
   */
  private arm(restart = true): void {
    const idle = this.pending.size === 0 || this.worker === null;
    if (!idle && !restart && this.watchdog !== undefined) return;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    if (idle) return;
    this.watchdog = setTimeout(() => {
      this.stop('WORKER_DIED', `the search worker did not answer for ${Math.round(this.timeoutMs / 1000)} s; it restarts on the next search`);
    }, this.timeoutMs);
  }

  private stop(code: ErrorCode, message: string): void {
    const worker = this.worker;
    this.worker = null;
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    clearTimeout(this.heartbeat);
    this.heartbeat = undefined;
    worker?.terminate();
    if (code === 'WORKER_DIED') this.death = new SgptError(code, message);
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const request of waiting) request.reject(new SgptError(code, message));
    if (code === 'WORKER_DIED' && worker !== null) this.options.onDeath?.(new SgptError(code, message));
  }
}

function abortError(): SgptError {
  return new SgptError('ABORTED', 'superseded by a newer request');
}
