/**
 * The worker's request handling as a plain class: no `self`, no DOM, so Node tests drive it with
 * the real model. `worker.ts` wires it to a Web Worker; the I/O edges (model loading, the runtime
 * choice) come in as `HandlerDeps`.
 */
import type { Embedder } from '../embed/embedder';
import type { Reranker } from '../rerank/reranker';
import type { LoadOptions } from '../embed/types';
import { SgptError, toSgptError } from '../errors';
import { VectorStore } from '../search/vector-store';
import { documentText, validateDocuments } from './documents';
import type {
  EmbedQueryRequest,
  EmbedQueryResult,
  RerankRequest,
  RerankResult,
  LoadRequest,
  LoadResult,
  Progress,
  Request,
  Response,
  SearchDocument,
  SearchRequest,
  SearchResult,
  SetDocumentsRequest,
  SetDocumentsResult,
} from './protocol';
import { requestProblem } from './protocol';

export interface HandlerDeps {
  /**
   * Load the model for a request: resolve its device choice, configure the runtime, then load.
   * `onProgress` reports downloaded bytes.
   */
  loadEmbedder(request: LoadRequest, onProgress: NonNullable<LoadOptions['onProgress']>): Promise<{ embedder: Embedder; hash: string }>;
  /** Load a causal LM for `rerank` requests, on the backend the embedder got. Absent: no reranking. */
  loadReranker?(model: string, backend: string): Promise<Reranker>;
}

/** A document's vectors (one row per chunk), kept while its text is unchanged. */
interface Embedded {
  text: string;
  rows: Float32Array;
}

/**
 * The searchable state, replaced whole: a document set is published as soon as it arrives and
 * again after each slice of it is embedded, so searches rank the documents embedded so far (the
 * page ranks the rest by keyword) and a cancelled update keeps the vectors it already made.
 */
interface Corpus {
  documents: SearchDocument[];
  embedded: Map<string | number, Embedded>;
  store: VectorStore | null;
}

/** Documents embedded between two publications of the corpus. */
const SLICE = 64;

const EMPTY: Corpus = { documents: [], embedded: new Map(), store: null };

export class WorkerHandler {
  private embedder: Embedder | null = null;
  /** The causal LM of the last rerank, kept across queries (and model switches: it does not embed). */
  private reranker: { model: string; loading: Promise<Reranker> } | null = null;
  private loadResult: LoadResult | null = null;
  private corpus: Corpus = EMPTY;
  /**
   * load and setDocuments run one after another: each document set starts from the corpus the
   * previous left, and a model switch never lands in the middle of an embedding.
   */
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Settles once the newest document set received is the corpus (or has failed): a search waits
   * for it, so that the set before never answers for the new one (the page maps hits by id).
   */
  private corpusSwitch: Promise<unknown> = Promise.resolve();
  private readonly controllers = new Map<number, AbortController>();

  constructor(
    private readonly post: (response: Response) => void,
    private readonly deps: HandlerDeps,
  ) {}

  /**
   * Answer one message. Throws only for a message without a usable id (nobody to answer): the
   * worker lets that escape so the client sees an `error` event and restarts the worker.
   */
  async handle(data: unknown): Promise<void> {
    const problem = requestProblem(data);
    const id = (data as { id?: unknown } | null)?.id;
    if (problem !== null) {
      if (typeof id !== 'number') throw new SgptError('INTERNAL', `worker received a malformed message: ${problem}`);
      this.post({ id, type: 'error', error: { code: 'INPUT_INVALID', message: problem } });
      return;
    }
    const request = data as Request;
    if (request.type === 'cancel') {
      this.controllers.get(request.target)?.abort();
      return;
    }
    if (request.type === 'ping') return this.post({ id: request.id, type: 'pong' });
    const controller = new AbortController();
    this.controllers.set(request.id, controller);
    try {
      const result = await this.run(request, controller.signal);
      this.post({ id: request.id, type: 'result', result });
    } catch (error) {
      const serialized = toSgptError(error).toJSON();
      this.post({ id: request.id, type: 'error', error: serialized });
    } finally {
      this.controllers.delete(request.id);
    }
  }

  private run(request: Exclude<Request, { type: 'cancel' | 'ping' }>, signal: AbortSignal) {
    switch (request.type) {
      case 'load':
        return this.enqueue(() => this.load(request));
      case 'setDocuments': {
        let switched!: () => void;
        this.corpusSwitch = new Promise<void>((resolve) => (switched = resolve));
        const done = this.enqueue(() => this.setDocuments(request, signal, switched));
        done.then(switched, switched);
        return done;
      }
      case 'search':
        return this.corpusSwitch.then(() => this.search(request, signal));
      case 'embedQuery':
        return this.embedQuery(request, signal);
      case 'windows':
        return { windows: request.texts.map((text) => this.requireEmbedder().windows(text, 'document')) };
      case 'rerank':
        return this.rerank(request, signal);
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private progress(id: number, progress: Progress): void {
    this.post({ id, type: 'progress', progress });
  }

  private async load(request: LoadRequest): Promise<LoadResult> {
    const previous = this.embedder;
    this.embedder = null;
    this.loadResult = null;
    // Vectors from another model (or mode) are not comparable with the new one's.
    this.corpus = EMPTY;
    await previous?.dispose();
    const { embedder, hash } = await this.deps.loadEmbedder(request, (loaded, total) =>
      this.progress(request.id, { phase: 'model', loaded, total }),
    );
    this.embedder = embedder;
    this.loadResult = { backend: embedder.backend, modelId: embedder.modelId, dims: embedder.dims, mode: embedder.settings.mode, hash };
    return this.loadResult;
  }

  private requireEmbedder(): Embedder {
    if (this.embedder === null) throw new SgptError('INPUT_INVALID', 'no model is loaded: send load before documents or searches');
    return this.embedder;
  }

  /** `published`: called once the set is the corpus (its reused and given vectors searchable, the rest to come). */
  private async setDocuments(request: SetDocumentsRequest, signal: AbortSignal, published: () => void): Promise<SetDocumentsResult> {
    const embedder = this.requireEmbedder();
    const documents = validateDocuments(request.documents);
    const previous = this.corpus.embedded;
    const texts = documents.map(documentText);
    const embedded = new Map<string | number, Embedded>();
    const changed: number[] = [];
    documents.forEach((doc, i) => {
      const old = previous.get(doc.id);
      const given = request.vectors?.[i];
      if (old !== undefined && old.text === texts[i]) embedded.set(doc.id, old);
      else if (given) embedded.set(doc.id, { text: texts[i] as string, rows: checkedRows(given, embedder.dims, i) });
      else changed.push(i);
    });
    const made: SetDocumentsResult['vectors'] = [];
    if (signal.aborted) throw aborted();
    const publish = () => (this.corpus = { documents, embedded: new Map(embedded), store: buildStore(documents, embedded, embedder.dims) });
    publish();
    published();
    if (changed.length > 0) this.progress(request.id, { phase: 'embed', done: 0, total: changed.length });
    for (let from = 0; from < changed.length; from += SLICE) {
      const slice = changed.slice(from, from + SLICE);
      const out = await embedder.embed(
        slice.map((i) => texts[i] as string),
        'document',
        { signal, onProgress: (done) => this.progress(request.id, { phase: 'embed', done: from + done, total: changed.length }) },
      );
      if (signal.aborted) throw aborted();
      const dims = out.dims;
      let row = 0;
      for (let k = 0; k < slice.length; k++) {
        const start = row;
        while (row < out.rows && out.owner[row] === k) row++;
        const i = slice[k] as number;
        const rows = out.vectors.slice(start * dims, row * dims);
        embedded.set(documents[i]!.id, { text: texts[i] as string, rows });
        made.push({ index: i, rows });
      }
      publish();
      // Each slice's vectors go to the page as they are made: a reader who leaves mid-way keeps them.
      this.progress(request.id, { phase: 'embed', done: from + slice.length, total: changed.length, vectors: made.slice(-slice.length) });
    }
    return { count: documents.length, embedded: changed.length, vectors: made };
  }

  private async embedQuery(request: EmbedQueryRequest, signal: AbortSignal): Promise<EmbedQueryResult> {
    const embedder = this.requireEmbedder();
    const started = performance.now();
    const vector = await embedder.embedQuery(request.query, { signal });
    if (signal.aborted) throw aborted();
    return { vector, ms: performance.now() - started };
  }

  private async rerank(request: RerankRequest, signal: AbortSignal): Promise<RerankResult> {
    const started = performance.now();
    const reranker = await this.rerankerFor(request.model);
    const { order, scores } = await reranker.rerank(request.query, request.texts, { signal });
    return { query: request.query, order, scores, ms: performance.now() - started };
  }

  private rerankerFor(model: string): Promise<Reranker> {
    const load = this.deps.loadReranker;
    if (load === undefined) throw new SgptError('INPUT_INVALID', 'this worker cannot rerank: it was started without a reranker loader');
    if (this.reranker?.model !== model) {
      const previous = this.reranker?.loading;
      const loading = (async () => {
        await previous?.then((old) => old.dispose(), () => undefined);
        return load(model, this.loadResult?.backend ?? 'wasm');
      })();
      const entry = { model, loading };
      this.reranker = entry;
      // A failed load is not cached: the next rerank tries again.
      loading.catch(() => {
        if (this.reranker === entry) this.reranker = null;
      });
    }
    return this.reranker!.loading;
  }

  private async search(request: SearchRequest, signal: AbortSignal): Promise<SearchResult> {
    const embedder = this.requireEmbedder();
    const started = performance.now();
    const query = request.query.trim();
    const { documents, store } = this.corpus;
    const counts = { embedded: store?.size ?? 0, total: documents.length };
    if (query === '' || store === null) return { query: request.query, hits: [], ...counts, ms: 0 };
    const vector = await embedder.embedQuery(query, { signal });
    if (signal.aborted) throw aborted();
    const hits = store.search(vector, request.limit).map(({ id, score, chunk, chunks }) => ({ id, score, chunk, chunks }));
    return { query: request.query, hits, ...counts, ms: performance.now() - started };
  }
}

/** Vectors the page gave for document `index`: whole rows of the model's width, finite. */
function checkedRows(rows: Float32Array, dims: number, index: number): Float32Array {
  if (rows.length === 0 || rows.length % dims !== 0 || !rows.every(Number.isFinite)) {
    throw new SgptError('DOCUMENTS_INVALID', `document ${index}: its vector has ${rows.length} numbers, not whole rows of the model's ${dims} dimensions`);
  }
  return rows;
}

function aborted(): SgptError {
  return new SgptError('ABORTED', 'superseded by a newer request');
}

/** One contiguous store over the rows of the documents embedded so far (null: none); ids are the documents' ids. */
function buildStore(documents: SearchDocument[], embedded: Map<string | number, Embedded>, dims: number): VectorStore | null {
  const ready = documents.filter((doc) => embedded.has(doc.id));
  if (ready.length === 0) return null;
  const parts = ready.map((doc) => (embedded.get(doc.id) as Embedded).rows);
  const rows = parts.reduce((sum, part) => sum + part.length / dims, 0);
  const vectors = new Float32Array(rows * dims);
  const owner = new Int32Array(rows);
  let row = 0;
  parts.forEach((part, doc) => {
    vectors.set(part, row * dims);
    owner.fill(doc, row, row + part.length / dims);
    row += part.length / dims;
  });
  return new VectorStore(vectors, owner, dims, ready.map((doc) => doc.id));
}
