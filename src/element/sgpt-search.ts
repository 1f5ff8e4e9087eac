/**
 * <sgpt-search>: semantic search box. A small GPT in a Web Worker embeds the page's documents and
 * each query; results are ranked by cosine similarity, all in the browser.
 *
 *   <sgpt-search src="/search.json" placeholder="Search the docs"></sgpt-search>
 *
 * Attributes: model (model folder URL; default: the index's own model when the index ships one,
 * else the default model, see ./defaults), src (URL of a JSON array of {id, title, text, url}),
 * mode (symmetric|asymmetric; default the model's), limit, placeholder, device (auto|wasm|webgpu).
 * index (URL of a prebuilt site index's manifest.json, from `sgpt-search index` or the Vite plugin:
 * keyword results while the model loads, then semantic ones; replaces src/documents), fusion-weight
 * (semantic share 0..1 of the fused ranking for a site index; default the index's).
 * Property: documents (the same array; only new or changed documents are embedded again).
 * Events (bubbling, composed): sgpt-ready {backend, modelId, dims}, sgpt-results {query, results,
 * stage}, sgpt-error {code, message}, sgpt-progress {phase: 'model', loaded, total (bytes)} |
 * {phase: 'embed', done, total (documents being embedded)}.
 * Reranking (off by default): the `rerank` attribute reorders the top 10 with SGPT-CE (a causal LM's
 * log-probability of the query given each document; `rerank-model`, default the model's "-lm"
 * sibling folder, e.g. /models/tiny-gpt2-lm/). The first results show at once; the reranked order
 * (sgpt-results stage 'reranked') moves the same DOM nodes, keeps the keyboard's active option on
 * its document, and waits while the pointer is over the list. A newer query cancels it.
 * Accessibility: the WAI-ARIA 1.2 combobox pattern with a listbox popup and a polite live region.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Mode } from '../embed/sgpt-settings';
import { SgptError, cspBlocked, isAbort, toSgptError, type SerializedError } from '../errors';
import { hitText } from '../rerank/hit-text';
import { RerankingSource } from './reranking-source';
import { DocumentSearch } from '../search/document-search';
import { DEFAULT_FUSION, fixedWeight } from '../search/fusion';
import { SearchClient, type ClientOptions } from '../worker/client';
import { documentText, validateDocuments } from '../worker/documents';
import { elementDefaults, ortRuntime } from './defaults';
import type { DeviceChoice, LoadResult, Progress, SearchDocument, SearchHit } from '../worker/protocol';
import { SiteSource } from './site-source';
import { DocumentSource, type SearchSource } from './source';
import { styles } from './styles';

const DEBOUNCE_MS = 120;

export interface ReadyDetail {
  backend: string;
  modelId: string;
  dims: number;
}
export interface ResultsDetail {
  query: string;
  results: SearchHit[];
  stage: string;
}
export type ErrorDetail = SerializedError;

type Phase = 'idle' | 'loading' | 'embedding' | 'ready';

/** Links only to http(s) (absolute or relative): a document's url must never run script. */
function safeHref(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url, document.baseURI);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** The excerpt as text with the query's words in <mark>: ranges, never markup from the index. */
function highlighted(text: string, ranges: Array<[number, number]> | undefined) {
  if (!ranges?.length) return text;
  const parts: unknown[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start < at || end > text.length) continue;
    parts.push(text.slice(at, start), html`<mark part="highlight">${text.slice(start, end)}</mark>`);
    at = end;
  }
  parts.push(text.slice(at));
  return parts;
}

/** A hit as shown and as `sgpt-results` carries it: its url absolute and http(s), or no url at all. */
function withSafeUrl(hit: SearchHit): SearchHit {
  const { url, ...rest } = hit;
  const href = safeHref(url);
  return href === undefined ? rest : { ...rest, url: href };
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export class SgptSearch extends LitElement {
  static override styles = styles;
  static override properties = {
    model: { type: String },
    src: { type: String },
    index: { type: String },
    fusionWeight: { type: Number, attribute: 'fusion-weight' },
    mode: { type: String },
    limit: { type: Number },
    placeholder: { type: String },
    device: { type: String },
    rerank: { type: Boolean },
    rerankModel: { type: String, attribute: 'rerank-model' },
    phase: { state: true },
    progress: { state: true },
    error: { state: true },
    query: { state: true },
    results: { state: true },
    open: { state: true },
    active: { state: true },
    announcement: { state: true },
  };

  /** Model folder URL; empty: the index's model, else the default (./defaults). */
  declare model: string;
  declare src: string | undefined;
  declare index: string | undefined;
  declare fusionWeight: number | undefined;
  declare mode: Mode | undefined;
  declare limit: number;
  declare placeholder: string;
  declare device: DeviceChoice;
  declare rerank: boolean;
  /** Causal LM folder for `rerank`; empty: the model's "-lm" sibling. */
  declare rerankModel: string;

  declare protected phase: Phase;
  declare protected progress: Progress | null;
  declare protected error: SerializedError | null;
  declare protected query: string;
  declare protected results: SearchHit[];
  declare protected open: boolean;
  declare protected active: number;
  declare protected announcement: string;

  /** The worker connection; a subclass or a later attribute may put another source in front of it. */
  protected readonly client: SearchClient;
  protected source: SearchSource;

  private goodDocuments: SearchDocument[] | null = null;
  /** Keyword index and fusion over goodDocuments, built when they arrive (no model needed). */
  private documentSearch: DocumentSearch | null = null;
  private embeddedDocuments: SearchDocument[] | null = null;
  private loaded: LoadResult | null = null;
  /** Why the latest model load failed: shown beside the keyword results a site index still gives. */
  private loadError: SerializedError | null = null;
  /** The latest model load, for a site index's semantic stage to wait on. */
  private modelLoad: Promise<LoadResult> | null = null;
  /** The model folder URL of the latest load (for the reranker's "-lm" sibling). */
  private modelHref: string | null = null;
  private generation = 0;
  private readyFired = false;
  private debounce: ReturnType<typeof setTimeout> | undefined;
  private searchController: AbortController | null = null;
  private searchWanted = false;
  /** While the pointer is over the list, a later stage waits here instead of moving items under it. */
  private pointerInList = false;
  private heldStage: (() => void) | null = null;
  /** The page's last Content Security Policy refusal of something we need, to name it when a load or the worker fails. */
  private violation: SecurityPolicyViolationEvent | null = null;
  private readonly onViolation = (event: SecurityPolicyViolationEvent) => {
    if (/^(worker-src|script-src|connect-src|trusted-types|require-trusted-types-for)/.test(event.effectiveDirective)) this.violation = event;
  };

  constructor() {
    super();
    this.model = '';
    this.limit = 8;
    this.placeholder = 'Search';
    this.device = 'auto';
    this.rerank = false;
    this.rerankModel = '';
    this.phase = 'idle';
    this.progress = null;
    this.error = null;
    this.query = '';
    this.results = [];
    this.open = false;
    this.active = -1;
    this.announcement = '';
    this.client = new SearchClient(this.clientOptions());
    this.source = this.documentSource();
  }

  protected clientOptions(): ClientOptions {
    return {
      onProgress: (progress) => {
        this.progress = progress;
        this.emit<Progress>('sgpt-progress', progress);
      },
      onDeath: (error) => this.fail(error),
    };
  }

  private documentSource(): DocumentSource {
    return new DocumentSource(
      this.client,
      () => this.documentSearch,
      () => this.modelLoad ?? Promise.reject(new SgptError('MODEL_LOAD_FAILED', 'no model is loading')),
      () => {
        const weight = this.validFusionWeight();
        return weight === undefined ? DEFAULT_FUSION : fixedWeight(DEFAULT_FUSION, weight);
      },
    );
  }

  /** The `fusion-weight` attribute when it is a share in [0, 1]. */
  private validFusionWeight(): number | undefined {
    return typeof this.fusionWeight === 'number' && this.fusionWeight >= 0 && this.fusionWeight <= 1 ? this.fusionWeight : undefined;
  }

  /** The language searched: the element's `lang`, else its nearest ancestor's (the page's `<html lang>`); read at each query. */
  private searchLanguage(): string | undefined {
    return this.closest('[lang]')?.getAttribute('lang') ?? undefined;
  }

  /** The documents being searched (the last valid array given, by property or `src`). */
  get documents(): SearchDocument[] | null {
    return this.goodDocuments;
  }

  set documents(value: unknown) {
    this.acceptDocuments(value);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('securitypolicyviolation', this.onViolation);
    // A `documents` value set before the element was defined sits on the instance; take it over.
    if (Object.prototype.hasOwnProperty.call(this, 'documents')) {
      const value = (this as unknown as { documents: unknown }).documents;
      delete (this as unknown as { documents?: unknown }).documents;
      this.acceptDocuments(value);
    }
    if (this.hasUpdated) void this.loadModel();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('securitypolicyviolation', this.onViolation);
    clearTimeout(this.debounce);
    this.searchController?.abort();
    this.generation++;
    this.loaded = null;
    this.embeddedDocuments = null;
    this.client.dispose();
  }

  protected override willUpdate(changed: PropertyValues): void {
    // In willUpdate, the state these set lands in this update instead of scheduling another.
    if (changed.has('index')) {
      const modelLoad = () => this.modelLoad ?? Promise.reject(new SgptError('MODEL_LOAD_FAILED', 'no model is loading'));
      this.source = this.index ? new SiteSource(this.index, this.client, modelLoad, () => this.validFusionWeight(), () => this.searchLanguage()) : this.documentSource();
    }
    // Without a model attribute the index names the model, so a new index may mean a new model.
    if (changed.has('model') || changed.has('mode') || changed.has('device') || (changed.has('index') && !this.model)) void this.loadModel();
    if (changed.has('src') && this.src) void this.fetchDocuments(this.src);
    if (changed.has('limit') && changed.get('limit') !== undefined && this.query.trim() !== '') void this.runSearch();
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('active') && this.active >= 0) {
      this.renderRoot.querySelector(`#sgpt-option-${this.active}`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  // --- model and documents -------------------------------------------------------------------

  private async loadModel(): Promise<void> {
    const generation = ++this.generation;
    this.loaded = null;
    this.embeddedDocuments = null;
    this.readyFired = false;
    this.error = null;
    this.loadError = null;
    this.phase = 'loading';
    this.progress = { phase: 'model', loaded: 0, total: 0 };
    try {
      const options = {
        ...(this.mode ? { mode: this.mode } : {}),
        device: this.device || 'auto',
        runtime: ortRuntime(elementDefaults()),
      };
      this.modelLoad = this.modelUrl().then((model) => {
        // A newer load started while the index's manifest was read: it loads its own model.
        if (generation !== this.generation) throw new SgptError('ABORTED', 'superseded by a newer model load');
        this.modelHref = model;
        return this.client.load(model, options);
      });
      const loaded = await this.modelLoad;
      if (generation !== this.generation) return;
      this.loaded = loaded;
      await this.syncDocuments(generation);
    } catch (error) {
      if (generation !== this.generation || isAbort(error)) return;
      this.loadError = toSgptError(error).toJSON();
      this.fail(error);
    }
  }

  /** The `model` attribute, else the model the site index ships (its manifest's model.url), else the default. */
  private async modelUrl(): Promise<string> {
    if (this.model) return new URL(this.model, document.baseURI).href;
    const indexModel = this.source instanceof SiteSource ? await this.source.modelUrl() : undefined;
    return indexModel ?? new URL(elementDefaults().model, document.baseURI).href;
  }

  private async fetchDocuments(url: string): Promise<void> {
    let data: unknown;
    try {
      const response = await fetch(new URL(url, document.baseURI));
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
      data = await response.json();
    } catch (error) {
      this.fail(new SgptError('DOCUMENTS_FETCH_FAILED', `could not load documents from ${url}: ${error instanceof Error ? error.message : String(error)}`));
      return;
    }
    if (url === this.src) this.acceptDocuments(data);
  }

  private acceptDocuments(value: unknown): void {
    try {
      this.goodDocuments = validateDocuments(value);
    } catch (error) {
      // The previous good set stays searchable.
      this.fail(error);
      return;
    }
    this.documentSearch = new DocumentSearch(this.goodDocuments);
    if (this.error?.code === 'DOCUMENTS_INVALID' || this.error?.code === 'DOCUMENTS_FETCH_FAILED') this.error = null;
    if (this.loaded !== null) void this.syncDocuments(this.generation);
    // Keyword results need no model: answer a waiting query with the new documents now.
    if (!this.index && this.query.trim() !== '') void this.runSearch();
  }

  /** Hand the current documents to the worker (after the model), then announce readiness. */
  private async syncDocuments(generation: number): Promise<void> {
    const documents = this.goodDocuments;
    if (documents !== null && documents !== this.embeddedDocuments) {
      this.phase = 'embedding';
      try {
        await this.client.setDocuments(documents);
      } catch (error) {
        if (generation === this.generation && !isAbort(error)) this.fail(error);
        return;
      }
      if (generation !== this.generation || documents !== this.goodDocuments) return;
      this.embeddedDocuments = documents;
      if (this.error?.code === 'DOCUMENTS_INVALID' || this.error?.code === 'DOCUMENTS_FETCH_FAILED') this.error = null;
    }
    this.phase = 'ready';
    this.progress = null;
    const loaded = this.loaded;
    if (!this.readyFired && loaded !== null) {
      this.readyFired = true;
      this.emit<ReadyDetail>('sgpt-ready', { backend: loaded.backend, modelId: loaded.modelId, dims: loaded.dims });
    }
    if (this.searchWanted || this.query.trim() !== '') void this.runSearch();
  }

  // --- searching ----------------------------------------------------------------------------

  private onInput(event: InputEvent): void {
    this.query = (event.target as HTMLInputElement).value;
    clearTimeout(this.debounce);
    if (this.query.trim() === '') {
      this.searchController?.abort();
      this.searchWanted = false;
      this.results = [];
      this.open = false;
      this.active = -1;
      this.announcement = '';
      return;
    }
    this.debounce = setTimeout(() => void this.runSearch(), DEBOUNCE_MS);
  }

  private async runSearch(): Promise<void> {
    const query = this.query;
    if (query.trim() === '') return;
    // Keyword results need no model: documents in the page answer once they are valid, a site
    // index once its keyword index is read (also after the model failed to load); semantic
    // stages follow as the model and vectors come.
    const searchable = Boolean(this.index) || this.documentSearch !== null;
    if (!searchable) {
      this.searchWanted = true; // runs when the model and documents are in
      // The worker died before it was ready: start over rather than wait forever.
      if (this.error?.code === 'WORKER_DIED') void this.loadModel();
      return;
    }
    this.searchWanted = false;
    this.searchController?.abort();
    this.heldStage = null;
    const controller = new AbortController();
    this.searchController = controller;
    const source = this.rerank
      ? new RerankingSource(this.source, this.client, { model: this.rerankModelUrl(), text: (hit) => this.rerankText(hit) })
      : this.source;
    let first = true;
    try {
      for await (const stageResults of source.search(query, this.limit > 0 ? this.limit : 8, controller.signal)) {
        if (controller.signal.aborted) return;
        const { stage } = stageResults;
        const results = stageResults.results.map(withSafeUrl);
        const later = !first;
        first = false;
        const show = () => {
          if (controller.signal.aborted) return;
          // A failed model load stays in view beside the keyword results (the same error is not announced again).
          if (this.error !== this.loadError) this.error = this.loadError;
          // A later stage of the same query keeps the keyboard on the same document.
          const activeId = later ? this.results[this.active]?.id : undefined;
          this.results = results;
          this.active = activeId === undefined ? -1 : results.findIndex((hit) => hit.id === activeId);
          this.open = true;
          this.announcement = results.length === 0 ? 'No results' : `${results.length} result${results.length === 1 ? '' : 's'}`;
          this.emit<ResultsDetail>('sgpt-results', { query, results, stage });
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
    const model = this.modelHref ?? new URL(this.model || elementDefaults().model, document.baseURI).href;
    return new URL(this.rerankModel || `${model.replace(/\/+$/, '')}-lm/`, document.baseURI).href;
  }

  /** What the reranker reads of a hit: the whole document when the page gave it, else title and excerpt. */
  private rerankText(hit: SearchHit): string {
    const doc = this.goodDocuments?.find((candidate) => candidate.id === hit.id);
    return doc ? documentText(doc) : hitText(hit);
  }

  private onPointerLeave(): void {
    this.pointerInList = false;
    const held = this.heldStage;
    this.heldStage = null;
    held?.();
  }

  // --- keyboard (WAI-ARIA combobox with listbox popup) -----------------------------------------

  private onKeydown(event: KeyboardEvent): void {
    const count = this.results.length;
    switch (event.key) {
      case 'ArrowDown':
        if (count === 0) return;
        event.preventDefault();
        this.open = true;
        this.active = this.active + 1 >= count ? 0 : this.active + 1;
        break;
      case 'ArrowUp':
        if (count === 0) return;
        event.preventDefault();
        this.open = true;
        this.active = this.active <= 0 ? count - 1 : this.active - 1;
        break;
      case 'Enter': {
        if (!this.open || count === 0) return;
        event.preventDefault();
        this.follow(this.active >= 0 ? this.active : 0);
        break;
      }
      case 'Escape':
        event.preventDefault();
        if (this.open) {
          this.open = false;
          this.active = -1;
        } else {
          (event.target as HTMLInputElement).value = '';
          this.onInput(event as unknown as InputEvent);
        }
        break;
    }
  }

  private follow(index: number): void {
    const link = this.renderRoot.querySelector<HTMLAnchorElement>(`#sgpt-option-${index} a[href]`);
    link?.click();
  }

  // --- output -------------------------------------------------------------------------------

  private fail(error: unknown): void {
    const violation = this.violation;
    const refused = violation !== null && error instanceof SgptError && ['WORKER_DIED', 'INDEX_INVALID', 'DOCUMENTS_FETCH_FAILED', 'MODEL_LOAD_FAILED'].includes(error.code);
    const { code, message } = refused ? cspBlocked(violation.effectiveDirective, `${violation.blockedURI || 'a request'} (${error.message})`) : toSgptError(error);
    // One failure can arrive twice (the client's death notice and the request it broke).
    if (this.error?.code === code && this.error.message === message) return;
    this.error = { code, message };
    if (code !== 'DOCUMENTS_INVALID' && code !== 'WORKER_DIED') this.progress = null;
    this.emit<ErrorDetail>('sgpt-error', { code, message });
  }

  private emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true }));
  }

  private renderProgress() {
    const progress = this.progress;
    if (progress === null || (this.phase !== 'loading' && this.phase !== 'embedding')) return nothing;
    if (progress.phase === 'model') {
      const known = progress.total > 0;
      const label = known ? `Loading the search model… ${megabytes(progress.loaded)} / ${megabytes(progress.total)} MB` : 'Loading the search model…';
      return html`<div class="progress">
        <progress part="progress" max=${known ? progress.total : nothing} value=${known ? progress.loaded : nothing} aria-label="Loading the search model"></progress>
        <span part="progress-label">${label}</span>
      </div>`;
    }
    return html`<div class="progress">
      <progress part="progress" max=${progress.total} value=${progress.done} aria-label="Preparing documents"></progress>
      <span part="progress-label">Preparing documents… ${progress.done} / ${progress.total}</span>
    </div>`;
  }

  private renderOption(hit: SearchHit, index: number) {
    const href = hit.url; // withSafeUrl: http(s) or absent
    const selected = index === this.active;
    return html`<li id="sgpt-option-${index}" role="option" part=${selected ? 'option option-active' : 'option'} aria-selected=${selected ? 'true' : 'false'}>
      <a href=${href ?? nothing} tabindex="-1">
        <span class="title" part="option-title">${hit.title}</span>
        ${hit.pageTitle && hit.pageTitle !== hit.title ? html`<span class="page" part="option-page">${hit.pageTitle}</span>` : nothing}
        ${hit.excerpt ? html`<span class="excerpt" part="option-excerpt">${highlighted(hit.excerpt, hit.highlights)}</span>` : nothing}
        ${href ? html`<span class="url" part="option-url">${href}</span>` : nothing}
      </a>
    </li>`;
  }

  protected override render() {
    const expanded = this.open && this.query.trim() !== '';
    const activeId = expanded && this.active >= 0 ? `sgpt-option-${this.active}` : undefined;
    return html`
      <div class="field">
        <input
          part="input"
          type="search"
          role="combobox"
          aria-label=${this.placeholder || 'Search'}
          aria-autocomplete="list"
          aria-expanded=${expanded ? 'true' : 'false'}
          aria-controls="sgpt-listbox"
          aria-activedescendant=${activeId ?? nothing}
          autocomplete="off"
          spellcheck="false"
          placeholder=${this.placeholder}
          .value=${this.query}
          @input=${this.onInput}
          @keydown=${this.onKeydown}
          @focus=${() => {
            this.open = this.results.length > 0;
          }}
          @blur=${() => {
            this.open = false;
            this.active = -1;
          }}
        />
        <ul
          id="sgpt-listbox"
          role="listbox"
          part="listbox"
          aria-label="Search results"
          ?hidden=${!expanded}
          @mousedown=${(event: Event) => event.preventDefault()}
          @pointerenter=${() => {
            this.pointerInList = true;
          }}
          @pointerleave=${this.onPointerLeave}
        >
          ${repeat(this.results, (hit) => hit.id, (hit, index) => this.renderOption(hit, index))}
          ${expanded && this.results.length === 0 ? html`<li class="empty" role="presentation">No results</li>` : nothing}
        </ul>
      </div>
      ${this.renderProgress()}
      ${this.error ? html`<div class="error" part="error" role="alert">${this.error.message}</div>` : nothing}
      <div class="visually-hidden" part="status" role="status" aria-live="polite">${this.announcement}</div>
    `;
  }
}

if (!customElements.get('sgpt-search')) customElements.define('sgpt-search', SgptSearch);

declare global {
  interface HTMLElementTagNameMap {
    'sgpt-search': SgptSearch;
  }
  interface HTMLElementEventMap {
    'sgpt-ready': CustomEvent<ReadyDetail>;
    'sgpt-results': CustomEvent<ResultsDetail>;
    'sgpt-error': CustomEvent<ErrorDetail>;
    'sgpt-progress': CustomEvent<Progress>;
  }
}
