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
 * load (intent|idle|eager: nothing heavy is fetched until the reader focuses, points at or types
 * in the box or presses "/" or Ctrl+K, unless 'idle' or 'eager' says otherwise).
 * filter (a site index's filters, "version:3.11, type:api": only sections with one of the values
 * of every key, keyword and semantic hits alike).
 * Properties: documents (the same array; only new or changed documents are embedded again);
 * filters ({key: [values]}: the same as `filter`, which it overrides; the facet buttons set it).
 * A site index with filters shows each filter value with the number of the query's
 * keyword matches carrying it (event sgpt-facets {query, facets}), above the box (the results
 * popup opens below it); a button toggles that value.
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
import { SgptError, cspBlocked, toSgptError, type SerializedError } from '../errors';
import { SearchClient, type ClientOptions } from '../worker/client';
import type { DeviceChoice, Progress, SearchDocument, SearchHit } from '../worker/protocol';
import { SearchController, loadPolicy, type ControllerSettings, type LoadPolicy, type Phase, type ReadyDetail } from './controller';
import { elementDefaults } from './defaults';
import { SiteSource } from './site-source';
import { parseFilterList, type Filters } from '../extract/filters';
import type { Facets } from '../index/filters';
import { styles } from './styles';
import { openVectorCache } from './vector-cache';

export type { ReadyDetail } from './controller';
export interface ResultsDetail {
  query: string;
  results: SearchHit[];
  stage: string;
}
export interface FacetsDetail {
  query: string;
  /** Per filter key, per value: the query's keyword matches carrying it under the other keys' filters. */
  facets: Facets;
}
export type ErrorDetail = SerializedError;

/**
 * Links only to http(s) (absolute or relative), or to file: from a page opened from disk: a
 * document's url must never run script.
 */
function safeHref(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url, document.baseURI);
    const fromDisk = parsed.protocol === 'file:' && location.protocol === 'file:';
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' || fromDisk ? parsed.href : undefined;
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

/** requestIdleCallback where the browser has it (not Safari), else a short timeout. */
function whenIdle(task: () => void): () => void {
  if (typeof requestIdleCallback === 'function') {
    const handle = requestIdleCallback(task, { timeout: 5_000 });
    return () => cancelIdleCallback(handle);
  }
  const timer = setTimeout(task, 1_000);
  return () => clearTimeout(timer);
}

/** The keyboard shortcut that focuses the first search box: "/" (outside a text field) or Ctrl/Cmd+K. */
function isShortcut(event: KeyboardEvent): boolean {
  if (event.defaultPrevented || event.altKey) return false;
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') return true;
  if (event.key !== '/' || event.ctrlKey || event.metaKey) return false;
  const target = event.composedPath()[0] as HTMLElement | undefined;
  return !(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target?.isContentEditable);
}

const SETTINGS: ReadonlyArray<keyof ControllerSettings> = ['model', 'src', 'index', 'fusionWeight', 'mode', 'limit', 'device', 'rerank', 'rerankModel', 'load'];

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
    load: { type: String },
    filter: { type: String },
    filters: { attribute: false },
    facets: { state: true },
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
  /** When the model and documents load: 'intent' (default), 'idle' or 'eager'. */
  declare load: LoadPolicy;
  /** A site index's filters as text, "key:value, key:value". */
  declare filter: string;
  /** The filters as an object; overrides `filter` when set (null: use `filter`). */
  declare filters: Filters | null;
  /** The current query's facet counts (null: none shown). */
  declare protected facets: FacetsDetail | null;

  declare protected phase: Phase;
  declare protected progress: Progress | null;
  declare protected error: SerializedError | null;
  declare protected query: string;
  declare protected results: SearchHit[];
  declare protected open: boolean;
  declare protected active: number;
  declare protected announcement: string;

  /** The worker connection. */
  protected readonly client: SearchClient;
  private readonly controller: SearchController;
  /** The page's last Content Security Policy refusal of something we need, to name it when a load or the worker fails. */
  private violation: SecurityPolicyViolationEvent | null = null;
  private readonly onViolation = (event: SecurityPolicyViolationEvent) => {
    if (/^(worker-src|script-src|connect-src|trusted-types|require-trusted-types-for)/.test(event.effectiveDirective)) this.violation = event;
  };
  private readonly onShortcut = (event: KeyboardEvent) => {
    if (!isShortcut(event) || document.querySelector('sgpt-search') !== this) return;
    event.preventDefault();
    this.controller.intent();
    this.renderRoot.querySelector<HTMLInputElement>('input')?.focus();
  };

  constructor() {
    super();
    this.model = '';
    this.limit = 8;
    this.placeholder = 'Search';
    this.device = 'auto';
    this.rerank = false;
    this.rerankModel = '';
    this.load = 'intent';
    this.filter = '';
    this.filters = null;
    this.facets = null;
    this.phase = 'idle';
    this.progress = null;
    this.error = null;
    this.query = '';
    this.results = [];
    this.open = false;
    this.active = -1;
    this.announcement = '';
    this.client = new SearchClient(this.clientOptions());
    this.controller = new SearchController(
      {
        state: ({ phase, progress, error }) => {
          this.phase = phase;
          this.progress = progress;
          this.error = error;
        },
        results: (query, results, stage, later) => this.show(query, results.map(withSafeUrl), stage, later),
        ready: (detail) => this.emit<ReadyDetail>('sgpt-ready', detail),
        progress: (progress) => this.emit<Progress>('sgpt-progress', progress),
        error: (error) => this.emit<ErrorDetail>('sgpt-error', error),
      },
      {
        client: this.client,
        resolve: (url) => new URL(url, document.baseURI).href,
        defaults: elementDefaults,
        fetchJson: async (url) => {
          const response = await fetch(new URL(url, document.baseURI));
          if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
          return response.json();
        },
        openSite: (manifest, modelLoad, weight) =>
          new SiteSource(manifest, this.client, modelLoad, weight, () => this.searchLanguage(), elementDefaults().offline?.indexFiles, () => this.activeFilters(), (query, facets) => {
            if (query !== this.query) return;
            this.facets = { query, facets };
            this.emit<FacetsDetail>('sgpt-facets', this.facets);
          }),
        openVectors: openVectorCache,
        whenIdle,
        warn: (message) => console.warn(message),
        describe: (error) => this.describe(error),
      },
      this.settings(),
    );
  }

  protected clientOptions(): ClientOptions {
    const offline = elementDefaults().offline;
    return {
      ...(offline === undefined ? {} : { createWorker: offline.createWorker }),
      onProgress: (progress) => this.controller.onProgress(progress),
      onDeath: (error) => this.controller.fail(error),
    };
  }

  private settings(): ControllerSettings {
    return {
      model: this.model,
      src: this.src,
      index: this.index,
      fusionWeight: this.fusionWeight,
      mode: this.mode,
      limit: this.limit,
      device: this.device,
      rerank: this.rerank,
      rerankModel: this.rerankModel,
      load: loadPolicy(this.load),
    };
  }

  /** The language searched: the element's `lang`, else its nearest ancestor's (the page's `<html lang>`); read at each query. */
  private searchLanguage(): string | undefined {
    return this.closest('[lang]')?.getAttribute('lang') ?? undefined;
  }

  /** The filters queries use: the `filters` property, else the `filter` attribute parsed. */
  private activeFilters(): Filters {
    return this.filters ?? parseFilterList(this.filter, 'the filter attribute');
  }

  /** A facet button: add the value to its key's filter, or take it out. */
  private toggleFilter(key: string, value: string): void {
    const filters = structuredClone(this.activeFilters());
    const values = filters[key] ?? [];
    filters[key] = values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
    if (filters[key]!.length === 0) delete filters[key];
    this.filters = filters;
  }

  /** The documents being searched (the last valid array given, by property or `src`). */
  get documents(): SearchDocument[] | null {
    return this.controller.documents;
  }

  set documents(value: unknown) {
    this.controller.acceptDocuments(value);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    document.addEventListener('securitypolicyviolation', this.onViolation);
    document.addEventListener('keydown', this.onShortcut);
    // A `documents` value set before the element was defined sits on the instance; take it over.
    if (Object.prototype.hasOwnProperty.call(this, 'documents')) {
      const value = (this as unknown as { documents: unknown }).documents;
      delete (this as unknown as { documents?: unknown }).documents;
      this.controller.acceptDocuments(value);
    }
    if (this.hasUpdated) this.controller.connect();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    document.removeEventListener('securitypolicyviolation', this.onViolation);
    document.removeEventListener('keydown', this.onShortcut);
    this.controller.disconnect();
  }

  protected override willUpdate(changed: PropertyValues): void {
    const settingsChanged = new Set(SETTINGS.filter((key) => changed.has(key)));
    // The first update names every setting, `load` included: that schedules the first load.
    if (settingsChanged.size > 0) this.controller.configure(this.settings(), settingsChanged);
    if ((changed.has('filter') || changed.has('filters')) && this.hasUpdated) this.controller.rerun();
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('active') && this.active >= 0) {
      this.renderRoot.querySelector(`#sgpt-option-${this.active}`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  // --- searching ----------------------------------------------------------------------------

  private onInput(event: InputEvent): void {
    this.query = (event.target as HTMLInputElement).value;
    if (this.query.trim() === '') {
      this.results = [];
      this.facets = null;
      this.open = false;
      this.active = -1;
      this.announcement = '';
    }
    this.controller.input(this.query);
  }

  private show(query: string, results: SearchHit[], stage: string, later: boolean): void {
    // A later stage of the same query keeps the keyboard on the same document.
    const activeId = later ? this.results[this.active]?.id : undefined;
    this.results = results;
    this.active = activeId === undefined ? -1 : results.findIndex((hit) => hit.id === activeId);
    this.open = true;
    this.announcement = results.length === 0 ? 'No results' : `${results.length} result${results.length === 1 ? '' : 's'}`;
    this.emit<ResultsDetail>('sgpt-results', { query, results, stage });
  }

  // --- keyboard (WAI-ARIA combobox with listbox popup) -----------------------------------------

  private onKeydown(event: KeyboardEvent): void {
    this.controller.intent();
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

  /** A failure as shown: a Content Security Policy refusal behind it is named as such. */
  private describe(error: unknown): SerializedError {
    const violation = this.violation;
    const refused = violation !== null && error instanceof SgptError && ['WORKER_DIED', 'INDEX_INVALID', 'DOCUMENTS_FETCH_FAILED', 'MODEL_LOAD_FAILED'].includes(error.code);
    const { code, message } = refused ? cspBlocked(violation.effectiveDirective, `${violation.blockedURI || 'a request'} (${error.message})`) : toSgptError(error);
    return { code, message };
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

  /** The facet bar: per key, each value with its count for the query, pressed when it filters. */
  private renderFacets() {
    const shown = this.facets;
    if (shown === null || shown.query !== this.query || this.query.trim() === '') return nothing;
    let active: Filters;
    try {
      active = this.activeFilters();
    } catch {
      active = {};
    }
    return html`<div class="facets" part="facets" @mousedown=${(event: Event) => event.preventDefault()}>
      ${Object.entries(shown.facets).map(
        ([key, values]) => html`<div role="group" aria-label=${key} part="facet-group">
          <span class="facet-key" part="facet-key">${key}</span>
          ${Object.entries(values).map(([value, count]) => {
            const pressed = active[key]?.includes(value) ?? false;
            return html`<button type="button" part=${pressed ? 'facet facet-active' : 'facet'} aria-pressed=${pressed ? 'true' : 'false'} @click=${() => this.toggleFilter(key, value)}>
              ${value} <span class="count" part="facet-count">${count}</span>
            </button>`;
          })}
        </div>`,
      )}
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
    // Facets sit above the box: the results popup opens below it and would cover them.
    return html`
      ${this.renderFacets()}
      <div class="field" @pointerenter=${() => this.controller.intent()}>
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
            this.controller.intent();
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
          @pointerenter=${() => this.controller.pointerOverList(true)}
          @pointerleave=${() => this.controller.pointerOverList(false)}
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
    'sgpt-facets': CustomEvent<FacetsDetail>;
    'sgpt-error': CustomEvent<ErrorDetail>;
    'sgpt-progress': CustomEvent<Progress>;
  }
}
