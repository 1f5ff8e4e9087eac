/**
 * What <sgpt-search> does, without the view: when to load (the load policy and the reader's
 * intent), the model and documents and their races (a generation counter: a newer load wins), the
 * vectors kept across visits, and each query's stages (latest wins; a later stage waits while the
 * pointer is over the list). A plain class: Node tests drive it with a fake client and source.
 *
 * Nothing heavy before intent: with load="intent" (the default) neither the documents, the site
 * index, the worker, the WASM runtime nor the model is fetched until the reader focuses the box,
 * points at it, types, or presses the shortcut. Then the keyword half (documents or the index's
 * keyword files) comes first, and the model starts loading in the worker only once that is in, so
 * keyword results never wait for the model or share the network with its download.
 */
import type { Mode } from '../embed/sgpt-settings';
import { SgptError, isAbort, type SerializedError } from '../errors';
import { hitText } from '../rerank/hit-text';
import { DocumentSearch } from '../search/document-search';
import { DEFAULT_FUSION, fixedWeight } from '../search/fusion';
import type { SearchClient } from '../worker/client';
import { contentHash, modelKey, parseDocumentFile, stampMismatch, type DocumentFile } from '../worker/document-vectors';
import { documentText } from '../worker/documents';
import type { DeviceChoice, LoadResult, Progress, SearchDocument, SearchHit } from '../worker/protocol';
import { ortRuntime, type ElementDefaults } from './defaults';
import { RerankingSource } from './reranking-source';
import { DocumentSource, type SearchSource, type SearchStage } from './source';
import type { VectorCache } from './vector-cache';

export const DEBOUNCE_MS = 120;

/** Loads started over after the worker died before ready, in a row: a transient crash is survived, a worker that cannot run is not retried at every keystroke. */
export const MAX_RESTARTS = 2;

/** When the model and the documents load: on the reader's intent (default), when the page is idle, or at once. */
export type LoadPolicy = 'intent' | 'idle' | 'eager';

export function loadPolicy(value: unknown): LoadPolicy {
  return value === 'eager' || value === 'idle' ? value : 'intent';
}

export interface ControllerSettings {
  /** Model folder URL; empty: the index's model, else the default. */
  model: string;
  src?: string | undefined;
  index?: string | undefined;
  fusionWeight?: number | undefined;
  mode?: Mode | undefined;
  limit: number;
  device: DeviceChoice;
  rerank: boolean;
  rerankModel: string;
  load: LoadPolicy;
}

export type Phase = 'idle' | 'loading' | 'embedding' | 'ready';

export interface ReadyDetail {
  backend: string;
  modelId: string;
  dims: number;
}

/** What the controller tells the view. */
export interface ControllerView {
  /** Phase, progress bar or error changed. */
  state(state: { phase: Phase; progress: Progress | null; error: SerializedError | null }): void;
  /** A stage of the current query's results to show (`later`: a later stage of the same query). */
  results(query: string, shown: SearchStage, later: boolean): void;
  ready(detail: ReadyDetail): void;
  progress(progress: Progress): void;
  error(error: SerializedError): void;
}

/** A site-index source: also names the model its index ships. */
export interface SiteSourceLike extends SearchSource {
  /** Settles once the manifest and keyword index are in (or failed). */
  readonly site: Promise<unknown>;
  modelUrl(): Promise<string | undefined>;
}

export type ControllerClient = Pick<SearchClient, 'load' | 'setDocuments' | 'search' | 'embedQuery' | 'windows' | 'rerank' | 'dispose'>;

/** The I/O edges, injected: the browser's in ./sgpt-search, fakes in tests. */
export interface ControllerDeps {
  client: ControllerClient;
  /** Absolute URL of a (possibly relative) URL on the page. */
  resolve(url: string): string;
  /** The default model folder and ORT files (./defaults), read at load time. */
  defaults(): Readonly<ElementDefaults>;
  fetchJson(url: string): Promise<unknown>;
  openSite(manifestUrl: string, modelLoad: () => Promise<LoadResult>, weight: () => number | undefined): SiteSourceLike;
  openVectors(): Promise<VectorCache>;
  /** Whether this browser keeps the file at `url` (the model loads without a download); absent: never. */
  isStored?(url: string): Promise<boolean>;
  /** The language searched (a `lang` value; the element's, else the page's), read at each query; absent: none asked. */
  language?(): string | undefined;
  /** Run `task` when the page is idle; returns a cancel function. */
  whenIdle(task: () => void): () => void;
  /** Console notes (fallbacks that are not errors). */
  warn(message: string): void;
  /** The error as shown and announced (the page may know better, e.g. a Content Security Policy refusal behind it). */
  describe(error: unknown): SerializedError;
  debounceMs?: number;
}

export class SearchController {
  private settings: ControllerSettings;
  private started = false;
  private cancelIdle: (() => void) | null = null;
  private source: SearchSource;
  private phase: Phase = 'idle';
  private progressState: Progress | null = null;
  private error: SerializedError | null = null;

  private goodDocuments: SearchDocument[] | null = null;
  /** Whether goodDocuments came from `src` (taking `src` away then takes them away). */
  private documentsFromSrc = false;
  /** Content hashes of goodDocuments (the keys of their kept vectors), computed while the model loads. */
  private goodHashes: Promise<string[]> | null = null;
  /** Vectors shipped with the documents (sgpt-search embed --documents), used once the model is known to match. */
  private shipped: DocumentFile['shipped'] = null;
  /** The latest documents accepted (their keyword search may still wait for a language's analysis). */
  private pendingDocuments: DocumentFile | null = null;
  /** Keyword index and fusion over goodDocuments, built when they arrive (no model needed). */
  private documentSearch: DocumentSearch | null = null;
  private embeddedDocuments: SearchDocument[] | null = null;
  private loaded: LoadResult | null = null;
  /** Why the latest model load failed: shown beside the keyword results still given. */
  private loadError: SerializedError | null = null;
  /** The latest model load, for semantic stages to wait on (null: none yet, or the element left the page since). */
  private modelLoad: Promise<LoadResult> | null = null;
  /** Asked for while modelLoad is null: settles as the next load does (the first waits for the keyword half). */
  private modelComing: Deferred<LoadResult> | null = null;
  /** The model folder URL of the latest load (for the reranker's "-lm" sibling). */
  private modelHref: string | null = null;
  private vectors: Promise<VectorCache> | null = null;
  /** The keys of the document set the worker is embedding (null: none, or nothing is kept for this model). */
  private embeddingKeys: string[] | null = null;
  private generation = 0;
  /** Out of the page (disconnected): nothing loads, so no worker starts, until it is connected again. */
  private detached = false;
  private readyFired = false;
  /** The worker died before the model and documents were in: the next search starts the load over. */
  private restartWanted = false;
  /** Such deaths since the last ready: a worker that dies at every load is not started again at every keystroke. */
  private earlyDeaths = 0;
  /**
   * Settles once the worker has been handed the searched documents for the current model: the
   * dense list waits for it, since until then the worker would answer from the set before (whose
   * ids may name other documents of the new set).
   */
  private handover = newDeferred<void>();
  /**
   * A kept model warming up before intent (load="intent"): resolve with the documents' fetch at
   * intent; the load waits for it before it takes documents, announces anything or shows progress.
   */
  private warming: { intent: (documentsIn: Promise<unknown>) => void } | null = null;

  private query = '';
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private searchController: AbortController | null = null;
  private searchWanted = false;
  /** While the pointer is over the list, a later stage waits here instead of moving items under it. */
  private pointerInList = false;
  private heldStage: (() => void) | null = null;

  constructor(
    private readonly view: ControllerView,
    private readonly deps: ControllerDeps,
    settings: ControllerSettings,
  ) {
    this.settings = settings;
    this.source = this.documentSource();
  }

  /** Whether loading has begun (intent shown, or the policy started it). */
  get isStarted(): boolean {
    return this.started;
  }

  /** The last valid documents given (property or `src`). */
  get documents(): SearchDocument[] | null {
    return this.goodDocuments;
  }

  // --- lifecycle and settings ------------------------------------------------------------------

  /** Back in the page before its first render (appended and moved in one task): nothing was scheduled yet, the first settings will; only the detachment ends. */
  attach(): void {
    this.detached = false;
  }

  /** The element is in the page: start now, when idle, or on intent, as the policy says; a reconnect reloads. */
  connect(): void {
    this.attach();
    if (this.started) {
      void this.loadModel();
      return;
    }
    this.schedule();
  }

  disconnect(): void {
    clearTimeout(this.debounce);
    this.cancelIdle?.();
    this.cancelIdle = null;
    this.warming = null;
    this.searchController?.abort();
    this.detached = true;
    // Loads that wait (for the documents, the index, the browser's cache) see a newer generation
    // and drop; semantic stages wait for the load of the next connect.
    this.generation++;
    this.modelLoad = null;
    this.restartWanted = false;
    this.loaded = null;
    this.embeddedDocuments = null;
    this.deps.client.dispose();
  }

  /** New settings; `changed` names the ones that differ from before. Nothing loads before the start. */
  configure(settings: ControllerSettings, changed: ReadonlySet<keyof ControllerSettings>): void {
    this.settings = settings;
    if (!this.started) {
      // What decides the load (and so a warm-up's model) changed: schedule again.
      const reschedule = changed.has('model') || changed.has('mode') || changed.has('device') || changed.has('index') || changed.has('load');
      if (reschedule) this.schedule();
      return;
    }
    if (changed.has('index')) this.source = this.makeSource();
    // Without a model attribute the index names the model, so a new index may mean a new model.
    const reload = changed.has('model') || changed.has('mode') || changed.has('device') || (changed.has('index') && !settings.model);
    // `src` taken away: the documents it gave go with it (documents given as the property stay).
    if (changed.has('src') && !settings.src && this.documentsFromSrc) void this.acceptDocuments([]);
    const documents = changed.has('src') && settings.src ? this.fetchDocuments(settings.src) : Promise.resolve();
    // Results of another index, weight or limit must not stay on screen: search again at once
    // (after a reload has begun, so that the query's model is the new one).
    const again = changed.has('index') || changed.has('fusionWeight') || changed.has('limit') || changed.has('rerank') || changed.has('rerankModel');
    if (reload) {
      this.earlyDeaths = 0;
      this.loadAfter(documents);
      // Called after loadAfter's, so it runs once the reload has begun.
      if (again) void documents.then(() => this.rerun());
    } else if (again) this.rerun();
  }

  /** Search the current query again (something the source reads at each query, e.g. its filters, changed). */
  rerun(): void {
    if (this.started && this.query.trim() !== '') void this.runSearch();
  }

  private schedule(): void {
    this.cancelIdle?.();
    this.cancelIdle = null;
    if (this.warming !== null) {
      // Warmed with settings that changed since: that load is dropped.
      this.warming = null;
      this.generation++;
      this.deps.client.dispose();
    }
    if (this.settings.load === 'eager') this.start();
    else if (this.settings.load === 'idle') this.cancelIdle = this.deps.whenIdle(() => this.start());
    else this.cancelIdle = this.deps.whenIdle(() => void this.warm());
  }

  /**
   * load="intent" on a page whose model this browser keeps: nothing to download, so the model
   * starts in the worker when the page is idle (its CPU, not the network), and the reader's first
   * keystroke finds it ready. The documents (or a site index, which names its own model) still
   * wait for intent, and nothing shows or is announced before it.
   */
  private async warm(): Promise<void> {
    this.cancelIdle = null;
    if (this.started || this.settings.index) return;
    const stored = await this.modelStored();
    if (!stored || this.started || this.warming !== null || this.detached) return;
    let intent: (documentsIn: Promise<unknown>) => void = () => undefined;
    const documentsIn = new Promise<Promise<unknown>>((resolve) => (intent = resolve));
    this.warming = { intent };
    void this.loadModel(documentsIn, true);
  }

  /** The reader showed intent (focus, pointer over, a key, the shortcut): start loading if not yet. */
  intent(): void {
    this.start();
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.cancelIdle?.();
    this.cancelIdle = null;
    // The keyword half first; the model (worker, WASM, weights) once it is in or has failed, so
    // that its download never competes with the keyword half. A model this browser keeps needs
    // no download: it starts at once, beside the keyword half (a repeat visit's start-up is the
    // worker's CPU time), and takes the documents once they are in.
    let keyword: Promise<unknown> = Promise.resolve();
    if (this.settings.index) {
      const site = this.makeSource() as SiteSourceLike;
      this.source = site;
      // An index that cannot be read loads no model (its first search says why).
      this.loadAfter(site.site);
      return;
    }
    if (this.settings.src) keyword = this.fetchDocuments(this.settings.src);
    if (this.warming !== null) {
      // The warm load goes on; it takes the documents once they are in.
      this.warming.intent(keyword);
      this.warming = null;
      if (this.loaded === null && this.error === null) this.setState({ phase: 'loading', progress: { phase: 'model', loaded: 0, total: 0 } });
      return;
    }
    this.loadAfter(this.modelStored().then((stored) => (stored ? undefined : keyword)), keyword);
  }

  /**
   * Load the model once `after` has settled (dropped if it rejects), unless a newer load began or
   * the element left the page meanwhile (its connect loads again): a worker started then would
   * never be stopped.
   */
  private loadAfter(after: Promise<unknown>, documentsIn?: Promise<unknown>): void {
    const generation = this.generation;
    void after.then(
      () => {
        if (generation === this.generation) void this.loadModel(documentsIn);
      },
      () => undefined,
    );
  }

  /** Whether the model's files are kept in this browser (its config.json, stored with them on the load that fetched them). */
  private async modelStored(): Promise<boolean> {
    if (this.deps.isStored === undefined || this.deps.defaults().offline !== undefined) return false;
    const folder = (await this.modelUrl()).replace(/\/*$/, '/');
    return this.deps.isStored(new URL('config.json', folder).href).catch(() => false);
  }

  private makeSource(): SearchSource {
    const index = this.settings.index;
    return index ? this.deps.openSite(index, () => this.currentModel(), () => this.validFusionWeight()) : this.documentSource();
  }

  /** The latest model load, or the one coming: a search typed at once reaches its semantic stage before the load begins (it waits for the keyword half). */
  private currentModel(): Promise<LoadResult> {
    return this.modelLoad ?? (this.modelComing ??= newDeferred<LoadResult>()).promise;
  }

  /** Resolves once the worker has the model and the searched documents (rejects if either failed). */
  private async denseReady(): Promise<void> {
    await this.currentModel();
    await this.handover.promise;
  }

  /** A new handover (new documents, or a new model whose worker starts empty); whoever waits on the old one waits on it. */
  private renewHandover(): void {
    const next = newDeferred<void>();
    this.handover.resolve(next.promise);
    this.handover = next;
  }

  private documentSource(): DocumentSource {
    return new DocumentSource(
      this.deps.client,
      () => this.documentSearch,
      () => this.denseReady(),
      () => {
        const weight = this.validFusionWeight();
        return weight === undefined ? DEFAULT_FUSION : fixedWeight(DEFAULT_FUSION, weight);
      },
      () => this.deps.language?.(),
    );
  }

  /** The `fusion-weight` attribute when it is a share in [0, 1]. */
  private validFusionWeight(): number | undefined {
    const weight = this.settings.fusionWeight;
    return typeof weight === 'number' && weight >= 0 && weight <= 1 ? weight : undefined;
  }

  // --- model and documents -------------------------------------------------------------------

  private setState(patch: Partial<{ phase: Phase; progress: Progress | null; error: SerializedError | null }>): void {
    if (patch.phase !== undefined) this.phase = patch.phase;
    if (patch.progress !== undefined) this.progressState = patch.progress;
    if (patch.error !== undefined) this.error = patch.error;
    this.view.state({ phase: this.phase, progress: this.progressState, error: this.error });
  }

  /** Model download or embedding progress from the worker; vectors that come with it are kept at once. */
  onProgress(progress: Progress): void {
    if (!this.started) return; // a warm load before intent shows nothing
    if (progress.phase === 'embed' && progress.vectors !== undefined) {
      const { vectors, ...shown } = progress;
      const keys = this.embeddingKeys;
      if (keys !== null && this.vectors !== null) {
        const fresh = vectors.map(({ index, rows }) => ({ key: keys[index]!, rows }));
        void this.vectors.then((cache) => cache.put(fresh));
      }
      progress = shown;
    }
    this.setState({ progress });
    this.view.progress(progress);
  }

  /**
   * Load the model, then hand it the documents once `documentsIn` (their fetch) has settled; `warm`:
   * before intent (./warm); `restart`: after a worker died early, the error staying shown (and
   * unannounced again) until the load gets through.
   */
  private async loadModel(documentsIn: Promise<unknown> = Promise.resolve(), warm = false, restart = false): Promise<void> {
    if (this.detached || (!this.started && !warm)) return;
    const generation = ++this.generation;
    this.loaded = null;
    this.embeddedDocuments = null;
    this.readyFired = false;
    if (!restart) this.loadError = null;
    this.restartWanted = false;
    this.renewHandover();
    // A new model clears the old model's error, not the documents' (they were fetched first).
    if (!warm) this.setState({ error: restart || this.documentsRefused() ? this.error : null, phase: 'loading', progress: { phase: 'model', loaded: 0, total: 0 } });
    try {
      const { mode, device } = this.settings;
      const options = {
        ...(mode ? { mode } : {}),
        device: device || 'auto',
        runtime: ortRuntime(this.deps.defaults(), (url) => this.deps.resolve(url)),
      };
      // Documents' kept vectors are read once the model is in: their database opens beside its
      // download, so an open that hangs (given up after 3 s) does not delay semantic results.
      if (!this.settings.index) this.vectors ??= this.deps.openVectors();
      this.modelLoad = this.modelUrl().then(async (model) => {
        // A newer load started while the index's manifest was read: it loads its own model.
        if (generation !== this.generation) throw new SgptError('ABORTED', 'superseded by a newer model load');
        this.modelHref = model;
        // From disk the files' bytes travel with the load (nothing may be fetched).
        const offline = this.deps.defaults().offline;
        if (offline === undefined) return this.deps.client.load(model, options);
        const prepared = await offline.prepareLoad(model, options.runtime);
        return this.deps.client.load(prepared.model, { ...options, runtime: prepared.runtime });
      });
      this.modelComing?.resolve(this.modelLoad);
      this.modelComing = null;
      const loaded = await this.modelLoad;
      await documentsIn;
      if (generation !== this.generation) return;
      this.loaded = loaded;
      await this.syncDocuments(generation);
    } catch (error) {
      if (generation !== this.generation || isAbort(error)) return;
      if (!this.started) {
        // A warm load that failed before intent is dropped quietly: intent loads (and reports) again.
        this.warming = null;
        return;
      }
      // As shown: a worker the page's policy refused (CSP_BLOCKED) is not restarted.
      this.loadError = this.deps.describe(error);
      this.restartWanted = this.diedEarly(this.loadError);
      this.fail(error);
    }
  }

  /** Whether the error shown is the page's documents refused (the set before is searched): that holds until it gives others, so new results do not clear it. */
  private documentsRefused(): boolean {
    return this.error?.code === 'DOCUMENTS_INVALID' || this.error?.code === 'DOCUMENTS_FETCH_FAILED';
  }

  /** Whether `shown` is a worker's death to start over from: at most MAX_RESTARTS in a row without a ready between. */
  private diedEarly(shown: SerializedError): boolean {
    return shown.code === 'WORKER_DIED' && ++this.earlyDeaths <= MAX_RESTARTS;
  }

  /** The `model` setting, else the model the site index ships (its manifest's model.url), else the default. */
  private async modelUrl(): Promise<string> {
    if (this.settings.model) return this.deps.resolve(this.settings.model);
    const site = this.source as Partial<SiteSourceLike>;
    const indexModel = typeof site.modelUrl === 'function' ? await site.modelUrl() : undefined;
    return indexModel ?? this.deps.resolve(this.deps.defaults().model);
  }

  private async fetchDocuments(url: string): Promise<void> {
    let data: unknown;
    try {
      data = await this.deps.fetchJson(url);
    } catch (error) {
      this.fail(new SgptError('DOCUMENTS_FETCH_FAILED', `could not load documents from ${url}: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    // Their keyword search too: a big set is indexed in slices, and the model takes the documents once they are in.
    if (url === this.settings.src) await this.acceptDocuments(data, true);
  }

  /** New documents (a documents file's content, or the `documents` property); settles once they are searched (or refused). */
  acceptDocuments(value: unknown, fromSrc = false): Promise<void> {
    let file: DocumentFile;
    try {
      file = parseDocumentFile(value);
    } catch (error) {
      // The previous good set stays searchable.
      this.fail(error);
      return Promise.resolve();
    }
    // Documents in a language not analysed yet wait for its stemmer (fetched once), a big set for
    // its keyword index (built in slices); a small English set is searched at once.
    const search = DocumentSearch.open(file.documents);
    this.pendingDocuments = file;
    if (search instanceof DocumentSearch) {
      this.useDocuments(file, search, fromSrc);
      return Promise.resolve();
    }
    return search.then(
      (ready) => void (this.pendingDocuments === file && this.useDocuments(file, ready, fromSrc)),
      (error) => this.fail(error),
    );
  }

  /** The newest documents (with their keyword search) become the searched set. */
  private useDocuments(file: DocumentFile, search: DocumentSearch, fromSrc: boolean): void {
    this.goodDocuments = file.documents;
    this.documentsFromSrc = fromSrc;
    this.goodHashes = Promise.all(file.documents.map(contentHash));
    this.goodHashes.catch(() => undefined); // awaited, and its failure reported, by knownVectors
    this.shipped = file.shipped;
    this.documentSearch = search;
    this.renewHandover();
    if (this.documentsRefused()) this.setState({ error: null });
    if (this.loaded !== null) void this.syncDocuments(this.generation);
    // Keyword results need no model: answer a waiting query with the new documents now.
    if (!this.settings.index && this.query.trim() !== '') void this.runSearch();
  }

  /** Vectors the page already has for `documents` under the loaded model: shipped ones, then kept ones. */
  private async knownVectors(documents: SearchDocument[], loaded: LoadResult): Promise<{ vectors: Array<Float32Array | null>; keys: string[] | null }> {
    const vectors: Array<Float32Array | null> = documents.map(() => null);
    const shipped = this.shipped;
    if (shipped !== null) {
      const mismatch = stampMismatch(shipped.model, loaded);
      if (mismatch === null) shipped.vectors.forEach((rows, i) => (vectors[i] = rows));
      else this.deps.warn(`sgpt-search: the documents' vectors were made by another model (${mismatch}); embedding the documents here instead`);
    }
    const model = modelKey(loaded);
    if (model === null) return { vectors, keys: null };
    const hashes = documents === this.goodDocuments && this.goodHashes !== null ? this.goodHashes : Promise.all(documents.map(contentHash));
    const keys = (await hashes).map((hash) => `${model} ${hash}`);
    this.vectors ??= this.deps.openVectors();
    const kept = await (await this.vectors).get(keys);
    kept.forEach((rows, i) => {
      if (vectors[i] === null && rows !== null && rows.length % loaded.dims === 0) vectors[i] = rows;
    });
    return { vectors, keys };
  }

  /** Hand the current documents to the worker (after the model), then announce readiness. */
  private async syncDocuments(generation: number): Promise<void> {
    const documents = this.goodDocuments;
    const loaded = this.loaded;
    if (documents !== null && documents !== this.embeddedDocuments && loaded !== null) {
      this.setState({ phase: 'embedding' });
      try {
        const { vectors, keys } = await this.knownVectors(documents, loaded);
        if (generation !== this.generation || documents !== this.goodDocuments) return;
        this.embeddingKeys = keys;
        const set = this.deps.client.setDocuments(documents, vectors);
        // Posted: the worker answers a later search from this set (src/worker/handler).
        this.handover.resolve();
        await set;
      } catch (error) {
        if (generation === this.generation && !isAbort(error)) {
          this.handover.reject(error);
          this.restartWanted = this.diedEarly(this.deps.describe(error));
          this.fail(error);
        }
        return;
      }
      if (generation !== this.generation || documents !== this.goodDocuments) return;
      this.embeddedDocuments = documents;
      if (this.documentsRefused()) this.setState({ error: null });
    } else this.handover.resolve(); // nothing new to hand over
    this.earlyDeaths = 0;
    if (this.loadError !== null) {
      // A restart got through: its worker's death is over.
      if (sameError(this.error, this.loadError)) this.setState({ error: null });
      this.loadError = null;
    }
    this.setState({ phase: 'ready', progress: null });
    if (!this.readyFired && loaded !== null) {
      this.readyFired = true;
      this.view.ready({ backend: loaded.backend, modelId: loaded.modelId, dims: loaded.dims });
    }
    if (this.searchWanted || this.query.trim() !== '') void this.runSearch();
  }

  // --- searching ----------------------------------------------------------------------------

  /** The text in the box changed: search it after the debounce (an empty box clears the results). */
  input(query: string): void {
    this.query = query;
    this.intent();
    clearTimeout(this.debounce);
    if (query.trim() === '') {
      this.searchController?.abort();
      this.searchWanted = false;
      return;
    }
    this.debounce = setTimeout(() => void this.runSearch(), this.deps.debounceMs ?? DEBOUNCE_MS);
  }

  /** The pointer entered (true) or left (false) the list; leaving shows a held stage. */
  pointerOverList(inside: boolean): void {
    this.pointerInList = inside;
    if (inside) return;
    const held = this.heldStage;
    this.heldStage = null;
    held?.();
  }

  private async runSearch(): Promise<void> {
    const query = this.query;
    if (query.trim() === '' || !this.started) return;
    // The worker died before the model and documents were in: start over rather than wait forever
    // (a worker that dies later is restarted by the client, with both).
    if (this.restartWanted) void this.loadModel(undefined, false, true);
    // Keyword results need no model: documents in the page answer once they are valid, a site
    // index once its keyword index is read (also after the model failed to load).
    const searchable = Boolean(this.settings.index) || this.documentSearch !== null;
    if (!searchable) {
      this.searchWanted = true; // runs when the documents come
      return;
    }
    this.searchWanted = false;
    this.searchController?.abort();
    this.heldStage = null;
    const controller = new AbortController();
    this.searchController = controller;
    const source = this.settings.rerank
      ? new RerankingSource(this.source, this.deps.client, { model: this.rerankModelUrl(), text: (hit) => this.rerankText(hit) })
      : this.source;
    let first = true;
    try {
      const limit = this.settings.limit > 0 ? this.settings.limit : 8;
      for await (const stage of source.search(query, limit, controller.signal)) {
        if (controller.signal.aborted) return;
        const later = !first;
        first = false;
        const show = () => {
          if (controller.signal.aborted) return;
          // Results replace a passing error (a worker that died and restarted); what still holds
          // stays in view beside them, unannounced again: a failed model load, refused documents.
          const standing = this.documentsRefused() ? this.error : this.loadError;
          if (this.error !== standing) this.setState({ error: standing });
          this.view.results(query, stage, later);
        };
        if (later && this.pointerInList) this.heldStage = show;
        else {
          this.heldStage = null;
          show();
        }
      }
    } catch (error) {
      if (!isAbort(error) && !controller.signal.aborted) this.fail(error);
    }
  }

  private rerankModelUrl(): string {
    const model = this.modelHref ?? this.deps.resolve(this.settings.model || this.deps.defaults().model);
    return this.deps.resolve(this.settings.rerankModel || `${model.replace(/\/+$/, '')}-lm/`);
  }

  /** What the reranker reads of a hit: the whole document when the page gave it, else title and excerpt. */
  private rerankText(hit: SearchHit): string {
    const doc = this.goodDocuments?.find((candidate) => candidate.id === hit.id);
    return doc ? documentText(doc) : hitText(hit);
  }

  // --- errors -------------------------------------------------------------------------------

  /** Show and announce a failure (once: one failure can arrive twice, from the client's death notice and the request it broke). */
  fail(error: unknown): void {
    const { code, message } = this.deps.describe(error);
    if (sameError(this.error, { code, message })) return;
    // Documents refused leave the load of the set before going on; any other failure stops what the bar showed.
    this.setState({ error: { code, message }, ...(code !== 'DOCUMENTS_INVALID' ? { progress: null } : {}) });
    this.view.error({ code, message });
  }
}

/** The same failure (one can arrive twice: the client's death notice and the request it broke). */
function sameError(a: SerializedError | null, b: SerializedError): boolean {
  return a?.code === b.code && a.message === b.message;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T | PromiseLike<T>): void;
  reject(error: unknown): void;
}

function newDeferred<T>(): Deferred<T> {
  let resolve!: Deferred<T>['resolve'];
  let reject!: Deferred<T>['reject'];
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // a search that waits on it hears the failure; nobody else must
  return { promise, resolve, reject };
}
