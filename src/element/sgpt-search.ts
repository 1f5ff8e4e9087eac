/**
 * <sgpt-search>: semantic search box. A small GPT in a Web Worker embeds the page's documents and
 * each query; results are ranked by cosine similarity, all in the browser.
 *
 *   <sgpt-search src="/search.json" placeholder="Search the docs"></sgpt-search>
 *
 * Attributes: model (model folder URL; default: the index's own model when the index ships one,
 * else the default model, see ./defaults), src (URL of a JSON array of {id, title, text, url}, each
 * optionally with lang, weight and keywords),
 * mode (symmetric|asymmetric; default the model's), limit, placeholder, device (auto|wasm|webgpu).
 * index (URL of a prebuilt site index's manifest.json, from `sgpt-search index` or the Vite plugin:
 * keyword results while the model loads, then semantic ones; replaces src/documents; several URLs
 * separated by spaces are searched as one index on one scale), fusion-weight
 * (a fixed semantic share 0..1 of the fused ranking, for a site index and for in-page documents
 * alike; default: the index's fusion, and for in-page documents the adaptive per-query share;
 * a value outside 0..1 is ignored).
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
 * stage, empty, keywordMatch (false: no document holds the query's words, and the results are the
 * closest in meaning, under a line that says so)}, sgpt-error {code, message}, sgpt-progress {phase: 'model', loaded, total (bytes)} |
 * {phase: 'embed', done, total (documents being embedded)}.
 * Reranking (off by default): the `rerank` attribute reorders the top 10 with SGPT-CE (a causal LM's
 * log-probability of the query given each document; `rerank-model`, default the model's "-lm"
 * sibling folder, e.g. /models/tiny-gpt2-lm/). The first results show at once; the reranked order
 * (sgpt-results stage 'reranked') moves the same DOM nodes, keeps the keyboard's active option on
 * its document, and waits while the pointer is over the list. A newer query cancels it.
 * Presentation (`presentation="inline|dialog"`): inline (default) is the box in the page; dialog is a
 * trigger button showing the shortcut that opens a native modal <dialog> (Ctrl/Cmd+K or "/" open
 * it, Escape closes it, focus returns to the trigger). Results are grouped by page (./groups).
 * Text: every string and ARIA label comes from ./strings (the page's `lang` picks a translation;
 * the `strings` attribute/property, JSON, overrides keys). `no-recent` turns recent searches off;
 * `highlight` makes result links carry the query (`?sgpt-highlight=`) for the highlight script.
 * sgpt-select {query, result, rank (1 = best), stage} fires when a result is opened (cancel it to
 * route the page yourself; Ctrl/Cmd/Shift-click opens a new tab).
 * Accessibility: the WAI-ARIA 1.2 combobox pattern with a listbox popup and a polite live region.
 */
import { LitElement, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Mode } from '../embed/sgpt-settings';
import { SgptError, cspBlocked, toSgptError, type SerializedError } from '../errors';
import { SearchClient, type ClientOptions } from '../worker/client';
import { isStored } from '../worker/file-store';
import type { DeviceChoice, Progress, SearchDocument, SearchHit } from '../worker/protocol';
import { withHighlight } from '../highlight/link';
import { Announcer } from './announcer';
import { SearchController, loadPolicy, type ControllerSettings, type LoadPolicy, type Phase, type ReadyDetail } from './controller';
import { elementDefaults } from './defaults';
import { displayOrder, groupByPage, type GroupedHit, type PageGroup } from './groups';
import { RecentSearches, type StorageLike } from './recent';
import { isSearchShortcut, shortcutKeys, shortcutLabel } from './shortcut';
import { fill, isRightToLeft, meaningOnlyLine, noResultsLine, parseStrings, resolveStrings, resultsAnnouncement, type Strings } from './strings';
import { SiteSource } from './site-source';
import type { SearchStage } from './source';
import { checkFilters, filterValues, keyTable, mergeFilters, parseFilterList, type Filters } from '../extract/filters';
import { shownUrl } from '../extract/text-fragment';
import type { Facets } from '../index/filters';
import { styles } from './styles';
import { openVectorCache } from './vector-cache';

export type { ReadyDetail } from './controller';
export interface ResultsDetail {
  query: string;
  results: SearchHit[];
  stage: string;
  /** True when the search found nothing (for "searches without results" analytics). */
  empty: boolean;
  /**
   * False when no document holds the query's words (keyword search, typos and prefixes included,
   * found nothing): a semantic stage's results are then the closest in meaning, shown under a
   * line that says so (for "searches without keyword matches" analytics).
   */
  keywordMatch: boolean;
}
export interface SelectDetail {
  query: string;
  result: SearchHit;
  /** 1-based place of the result in the ranked list. */
  rank: number;
  stage: string;
}
export type Presentation = 'inline' | 'dialog';
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
    // On disk a folder is a directory listing, not its index.html as a server would answer.
    if (fromDisk && parsed.pathname.endsWith('/')) parsed.pathname += 'index.html';
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

/** The key went to a field the reader types into (where "/" is a character, not the shortcut). */
function inTextField(event: KeyboardEvent): boolean {
  const target = event.composedPath()[0];
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || (target instanceof HTMLElement && target.isContentEditable);
}

/**
 * The page's first <sgpt-search> that is rendered, the one the shortcut opens: a copy in a hidden
 * container (a mobile header on a wide screen, display: none) has no boxes and cannot take focus.
 */
function firstRendered(): Element | undefined {
  return [...document.querySelectorAll('sgpt-search')].find((element) => element.getClientRects().length > 0);
}

/** localStorage, or null where the page may not use it (sandboxed frame, storage off). */
function localStore(): StorageLike | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
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
    presentation: { type: String },
    strings: { attribute: 'strings' },
    noRecent: { type: Boolean, attribute: 'no-recent' },
    highlight: { type: Boolean },
    filter: { type: String },
    filters: { attribute: false },
    facets: { state: true },
    phase: { state: true },
    progress: { state: true },
    error: { state: true },
    query: { state: true },
    results: { state: true },
    meaningOnly: { state: true },
    open: { state: true },
    active: { state: true },
    announcement: { state: true },
    recent: { state: true },
    focused: { state: true },
  };

  /**
   * `lang` is the element's own (HTMLElement's), not a reactive property: watched here, and on every
   * ancestor (a site's language switcher sets `<html lang>` after load), so that a change of the
   * language searched runs the shown query again in it and renders the text in it.
   */
  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'lang'];
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name === 'lang' && old !== value) this.languageChanged();
  }

  /** The language searched as last seen: an ancestor's `lang` change under the element's own changes nothing. */
  private language: string | undefined;
  private readonly ancestorLang = new MutationObserver(() => this.languageChanged());

  private languageChanged(): void {
    const language = this.searchLanguage();
    if (language === this.language) return;
    this.language = language;
    this.requestUpdate();
    this.controller.rerun();
  }

  /** Model folder URL; empty: the index's model, else the default (./defaults). */
  declare model: string;
  declare src: string | undefined;
  declare index: string | undefined;
  declare fusionWeight: number | undefined;
  declare mode: Mode | undefined;
  declare limit: number;
  /** The box's placeholder; empty: the strings' (translated) one. */
  declare placeholder: string;
  declare device: DeviceChoice;
  declare rerank: boolean;
  /** Causal LM folder for `rerank`; empty: the model's "-lm" sibling. */
  declare rerankModel: string;
  /** When the model and documents load: 'intent' (default), 'idle' or 'eager'. */
  declare load: LoadPolicy;
  /** 'inline' (default): the box in the page; 'dialog': a trigger button opening a modal dialog. */
  declare presentation: Presentation;
  /** Overrides of the UI text (./strings): a JSON object (attribute) or an object (property). */
  declare strings: unknown;
  /** Turns recent searches off. */
  declare noRecent: boolean;
  /** Result links carry the query (`?sgpt-highlight=`) for the highlight script on the target page. */
  declare highlight: boolean;
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
  /** The results are the closest in meaning to words no document holds (SearchStage keywordMatch false). */
  declare protected meaningOnly: boolean;
  declare protected open: boolean;
  declare protected active: number;
  declare protected announcement: string;
  declare protected recent: string[];
  declare protected focused: boolean;

  /** The worker connection. */
  protected readonly client: SearchClient;
  private readonly controller: SearchController;
  /** The results grouped by page, and in the order the options show (the keyboard's order). */
  private groups: PageGroup[] = [];
  private shown: GroupedHit[] = [];
  /**
   * The reader closed the list (Escape) or left the box: results that arrive for the same query (a
   * later stage, the rerun once the model is in) leave it closed until they type or come back.
   */
  private dismissed = false;
  private stage = '';
  private overrides: Partial<Strings> = {};
  /** Says what a search found in the live region once typing and the stages settle. */
  private readonly announcer = new Announcer((text) => (this.announcement = text));
  private recentStore: RecentSearches | null = null;
  /** The page's last Content Security Policy refusal of something we need, to name it when a load or the worker fails. */
  private violation: SecurityPolicyViolationEvent | null = null;
  private readonly onViolation = (event: SecurityPolicyViolationEvent) => {
    if (/^(worker-src|script-src|connect-src|trusted-types|require-trusted-types-for)/.test(event.effectiveDirective)) this.violation = event;
  };
  private readonly onShortcut = (event: KeyboardEvent) => {
    const press = { key: event.key, ctrlKey: event.ctrlKey, metaKey: event.metaKey, altKey: event.altKey, defaultPrevented: event.defaultPrevented, inTextField: inTextField(event) };
    if (!isSearchShortcut(press) || firstRendered() !== this) return;
    event.preventDefault();
    this.controller.intent();
    if (this.isDialog) this.openDialog();
    else this.input?.focus();
  };

  constructor() {
    super();
    this.model = '';
    this.limit = 8;
    this.placeholder = '';
    this.device = 'auto';
    this.rerank = false;
    this.rerankModel = '';
    this.load = 'intent';
    this.presentation = 'inline';
    this.strings = undefined;
    this.noRecent = false;
    this.highlight = false;
    this.filter = '';
    this.filters = null;
    this.facets = null;
    this.phase = 'idle';
    this.progress = null;
    this.error = null;
    this.query = '';
    this.results = [];
    this.meaningOnly = false;
    this.open = false;
    this.active = -1;
    this.announcement = '';
    this.recent = [];
    this.focused = false;
    this.client = new SearchClient(this.clientOptions());
    this.controller = new SearchController(
      {
        state: ({ phase, progress, error }) => {
          this.phase = phase;
          this.progress = progress;
          this.error = error;
        },
        results: (query, shown, later) => this.show(query, { ...shown, results: shown.results.map(withSafeUrl) }, later),
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
        isStored,
        language: () => this.searchLanguage(),
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
    if (this.filters !== undefined && this.filters !== null) return checkFilters(this.filters);
    return parseFilterList(this.filter, 'the filter attribute');
  }

  /** A facet button: add the value to its key's filter, or take it out. */
  private toggleFilter(key: string, value: string): void {
    const filters = mergeFilters(this.activeFilters());
    const values = filterValues(filters, key);
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

  private get isDialog(): boolean {
    return this.presentation === 'dialog';
  }

  private get input(): HTMLInputElement | null {
    return this.renderRoot.querySelector<HTMLInputElement>('input');
  }

  private get dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector<HTMLDialogElement>('dialog');
  }

  /** The UI text in the language searched (./strings picks the translation). */
  private get text(): Strings {
    return resolveStrings(this.searchLanguage() ?? '', this.overrides);
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
    else this.controller.attach();
    // The ancestors are fixed while connected: moving the element (or one above) reconnects it.
    for (let node = this.parentElement; node !== null; node = node.parentElement) this.ancestorLang.observe(node, { attributeFilter: ['lang'] });
    this.languageChanged();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.ancestorLang.disconnect();
    document.removeEventListener('securitypolicyviolation', this.onViolation);
    document.removeEventListener('keydown', this.onShortcut);
    this.announcer.clear();
    this.controller.disconnect();
  }

  protected override willUpdate(changed: PropertyValues): void {
    const settingsChanged = new Set(SETTINGS.filter((key) => changed.has(key)));
    // The first update names every setting, `load` included: that schedules the first load.
    if (settingsChanged.size > 0) this.controller.configure(this.settings(), settingsChanged);
    if ((changed.has('filter') || changed.has('filters')) && this.hasUpdated) this.controller.rerun();
    if (changed.has('strings')) {
      try {
        this.overrides = parseStrings(this.strings);
      } catch (error) {
        // The text shown before stays; the error says what was wrong with the new one.
        this.controller.fail(error);
      }
    }
    if (changed.has('noRecent') || changed.has('index') || changed.has('src')) {
      this.recentStore = this.noRecent ? null : new RecentSearches(localStore(), this.index ?? this.src ?? location.pathname);
      this.recent = this.recentStore?.list() ?? [];
    }
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('active') && this.active >= 0) {
      this.renderRoot.querySelector(`#sgpt-option-${this.active}`)?.scrollIntoView({ block: 'nearest' });
    }
  }

  // --- searching ----------------------------------------------------------------------------

  private onInput(event: InputEvent): void {
    this.search((event.target as HTMLInputElement).value);
  }

  private search(query: string): void {
    this.query = query;
    this.dismissed = false;
    if (this.query.trim() === '') {
      this.results = [];
      this.facets = null;
      this.groups = [];
      this.shown = [];
      this.open = false;
      this.active = -1;
      this.announcer.clear();
    } else this.announcer.cancel();
    this.controller.input(this.query);
  }

  private show(query: string, { results, stage, keywordMatch }: SearchStage, later: boolean): void {
    // A later stage of the same query keeps the keyboard on the same document.
    const activeId = later ? this.shown[this.active]?.hit.id : undefined;
    this.results = results;
    this.meaningOnly = !keywordMatch && results.length > 0;
    this.stage = stage;
    this.groups = groupByPage(results);
    this.shown = displayOrder(this.groups);
    this.active = activeId === undefined ? -1 : this.shown.findIndex((entry) => entry.hit.id === activeId);
    if (!this.dismissed) this.open = true;
    this.announcer.later(resultsAnnouncement(this.text, query, this.shown.map((entry) => entry.hit), this.meaningOnly));
    this.emit<ResultsDetail>('sgpt-results', { query, results, stage, empty: results.length === 0, keywordMatch });
  }

  /**
   * A result was opened (click, or Enter on the active option): tell the page, remember the search,
   * and go to its url (`newTab`: in a new tab) unless the page cancelled sgpt-select (a router of its own).
   */
  private select(entry: GroupedHit, newTab = false): void {
    const proceed = this.emit<SelectDetail>('sgpt-select', { query: this.query, result: entry.hit, rank: entry.rank + 1, stage: this.stage }, true);
    if (this.recentStore !== null) this.recent = this.recentStore.add(this.query);
    if (this.isDialog) this.dialog?.close();
    const url = entry.hit.url; // withSafeUrl: http(s) or absent
    if (!proceed || url === undefined) return;
    // The query as the result's marks read it: the page then marks what the list marked.
    const href = this.highlight ? withHighlight(url, entry.hit.highlightQuery ?? this.query) : url;
    if (newTab) window.open(href, '_blank', 'noopener');
    else location.assign(href);
  }

  private clearRecent(): void {
    this.recentStore?.clear();
    this.recent = [];
    this.input?.focus();
  }

  // --- dialog ---------------------------------------------------------------------------------

  private openDialog(): void {
    const dialog = this.dialog;
    if (dialog === null) return;
    this.controller.intent();
    if (!dialog.open) dialog.showModal();
    this.focused = true;
    this.input?.focus();
  }

  /** The dialog closed (Escape, the close button, a result, the backdrop): focus goes back to the trigger. */
  private onDialogClose(): void {
    this.open = false;
    this.active = -1;
    this.focused = false;
    this.renderRoot.querySelector<HTMLButtonElement>('.trigger')?.focus();
  }

  // --- keyboard (WAI-ARIA combobox with listbox popup) -----------------------------------------

  private onKeydown(event: KeyboardEvent): void {
    this.controller.intent();
    // A key that is part of an input method's composition (Enter confirming kana → kanji, arrows
    // choosing a candidate) belongs to the input method, not to the list (Safari reports 229).
    if (event.isComposing || event.keyCode === 229) return;
    const count = this.shown.length;
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
      case 'Escape': {
        const input = event.target as HTMLInputElement;
        if (this.isDialog) this.dialog?.close();
        else if (this.open && this.query.trim() !== '') {
          this.open = false;
          this.active = -1;
          this.dismissed = true;
        } else if (input.value !== '') {
          input.value = '';
          this.search('');
        } else return; // nothing of ours to close: the key is the page's (its own dialog or menu closes)
        event.preventDefault();
        break;
      }
    }
  }

  private follow(index: number): void {
    const entry = this.shown[index];
    if (entry !== undefined) this.select(entry);
  }

  // --- output -------------------------------------------------------------------------------

  /** A failure as shown: a Content Security Policy refusal behind it is named as such. */
  private describe(error: unknown): SerializedError {
    const violation = this.violation;
    const refused = violation !== null && error instanceof SgptError && ['WORKER_DIED', 'INDEX_INVALID', 'DOCUMENTS_FETCH_FAILED', 'MODEL_LOAD_FAILED'].includes(error.code);
    const { code, message } = refused ? cspBlocked(violation.effectiveDirective, `${violation.blockedURI || 'a request'} (${error.message})`) : toSgptError(error);
    return { code, message };
  }

  /** Returns false when a listener cancelled a cancelable event. */
  private emit<T>(type: string, detail: T, cancelable = false): boolean {
    return this.dispatchEvent(new CustomEvent<T>(type, { detail, bubbles: true, composed: true, cancelable }));
  }

  private renderProgress(text: Strings) {
    const progress = this.progress;
    if (progress === null || (this.phase !== 'loading' && this.phase !== 'embedding')) return nothing;
    if (progress.phase === 'model') {
      const known = progress.total > 0;
      const label = known ? fill(text.loadingModelBytes, { loaded: megabytes(progress.loaded), total: megabytes(progress.total) }) : text.loadingModel;
      return html`<div class="progress">
        <progress part="progress" max=${known ? progress.total : nothing} value=${known ? progress.loaded : nothing} aria-label=${text.loadingModel}></progress>
        <span part="progress-label">${label}</span>
      </div>`;
    }
    const label = fill(text.preparing, { done: progress.done, total: progress.total });
    return html`<div class="progress">
      <progress part="progress" max=${progress.total} value=${progress.done} aria-label=${label}></progress>
      <span part="progress-label">${label}</span>
    </div>`;
  }

  private renderOption(entry: GroupedHit, grouped: boolean) {
    const { hit, option } = entry;
    const selected = option === this.active;
    const page = !grouped && hit.pageTitle && hit.pageTitle !== hit.title ? hit.pageTitle : undefined;
    // No link inside the option (an interactive element in an option breaks the listbox pattern): the option opens its url.
    // The index's text is isolated in its own direction (<bdi>: an English excerpt on an RTL page keeps
    // its full stop at its end) and lines up on the page's side; the trail's separators run in the
    // element's direction, so on an RTL page the path reads right to left and › shows mirrored (‹).
    return html`<div id="sgpt-option-${option}" role="option" part=${selected ? 'option option-active' : 'option'} aria-selected=${selected ? 'true' : 'false'} @click=${(event: MouseEvent) => this.select(entry, event.ctrlKey || event.metaKey || event.shiftKey)}>
      ${entry.trail.length > 0 ? html`<span class="trail" part="option-trail">${entry.trail.map((heading, i) => html`${i > 0 ? ' › ' : ''}<bdi>${heading}</bdi>`)}</span>` : nothing}
      <span class="title" part="option-title"><bdi>${hit.title}</bdi></span>
      ${page ? html`<span class="page" part="option-page"><bdi>${page}</bdi></span>` : nothing}
      ${hit.excerpt ? html`<span class="excerpt" part="option-excerpt"><bdi>${highlighted(hit.excerpt, hit.highlights)}</bdi></span>` : nothing}
      ${hit.url ? html`<span class="url" part="option-url"><bdi>${shownUrl(hit.url)}</bdi></span>` : nothing}
    </div>`;
  }

  /** A page's sections under its title (a group), or a lone hit that names no page. Keyed (repeat), so a later stage moves the same nodes. */
  private renderGroup(group: PageGroup, index: number) {
    const titled = group.hits.some((entry) => entry.hit.pageTitle !== undefined);
    if (!titled) return repeat(group.hits, (entry) => entry.hit.id, (entry) => this.renderOption(entry, false));
    return html`<div role="group" part="group" aria-labelledby="sgpt-group-${index}">
      <div id="sgpt-group-${index}" class="group-title" part="group-title" role="presentation"><bdi>${group.title}</bdi></div>
      ${repeat(group.hits, (entry) => entry.hit.id, (entry) => this.renderOption(entry, true))}
    </div>`;
  }

  private renderRecent(text: Strings) {
    if (this.noRecent || this.recent.length === 0 || this.query.trim() !== '' || !this.focused) return nothing;
    // The list is labelled, not headed: a heading (or a named section, a landmark) would join the host page's outline.
    return html`<div class="recent" part="recent" @mousedown=${(event: Event) => event.preventDefault()}>
      <div id="sgpt-recent-title" class="recent-title" part="recent-title">${text.recentTitle}</div>
      <ul aria-labelledby="sgpt-recent-title">
        ${this.recent.map(
          (query) => html`<li><button type="button" part="recent-item" @click=${() => {
            this.search(query);
            this.input?.focus();
          }}>${query}</button></li>`,
        )}
      </ul>
      <button type="button" class="recent-clear" part="recent-clear" @click=${() => this.clearRecent()}>${text.recentClear}</button>
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
      active = keyTable();
    }
    // A value none of the query's matches carries is no choice (an index may have hundreds of
    // values); one in use stays, to be undone. A key with none left is not shown.
    const groups = Object.entries(shown.facets)
      .map(([key, values]) => [key, Object.entries(values).filter(([value, count]) => count > 0 || filterValues(active, key).includes(value))] as const)
      .filter(([, values]) => values.length > 0);
    return html`<div class="facets" part="facets" @mousedown=${(event: Event) => event.preventDefault()}>
      ${groups.map(
        ([key, values]) => html`<div role="group" aria-label=${key} part="facet-group">
          <span class="facet-key" part="facet-key">${key}</span>
          ${values.map(([value, count]) => {
            const pressed = filterValues(active, key).includes(value);
            return html`<button type="button" part=${pressed ? 'facet facet-active' : 'facet'} aria-pressed=${pressed ? 'true' : 'false'} @click=${() => this.toggleFilter(key, value)}>
              ${value} <span class="count" part="facet-count">${count}</span>
            </button>`;
          })}
        </div>`,
      )}
    </div>`;
  }

  private renderSearch(text: Strings) {
    const expanded = this.open && this.query.trim() !== '' && this.results.length > 0;
    const empty = this.open && this.query.trim() !== '' && this.results.length === 0;
    const activeId = expanded && this.active >= 0 ? `sgpt-option-${this.active}` : undefined;
    return html`
      <div
        class="search"
        @focusin=${() => (this.focused = true)}
        @focusout=${(event: FocusEvent) => {
          if (!this.isDialog && !this.renderRoot.contains(event.relatedTarget as Node | null)) this.focused = false;
        }}
      >
        ${this.renderFacets()}
        <div class="field" @pointerenter=${() => this.controller.intent()}>
          <input
            part="input"
            type="search"
            role="combobox"
            aria-label=${text.inputLabel}
            aria-autocomplete="list"
            aria-expanded=${expanded ? 'true' : 'false'}
            aria-controls="sgpt-listbox"
            aria-activedescendant=${activeId ?? nothing}
            autocomplete="off"
            spellcheck="false"
            placeholder=${this.placeholder || text.placeholder}
            .value=${this.query}
            @input=${this.onInput}
            @keydown=${this.onKeydown}
            @focus=${() => {
              this.controller.intent();
              this.open = this.results.length > 0;
              this.dismissed = false;
            }}
            @blur=${() => {
              this.open = false;
              this.active = -1;
              this.dismissed = true;
            }}
          />
          <!-- tabindex -1: Chromium makes a list that scrolls a tab stop, and Tab from the box would
               land on it just as the box's blur hides it (focus lost to the page); the box's arrows walk it. -->
          <div
            id="sgpt-listbox"
            role="listbox"
            part="listbox"
            tabindex="-1"
            aria-label=${text.resultsLabel}
            ?hidden=${!expanded}
            @mousedown=${(event: Event) => event.preventDefault()}
            @pointerenter=${() => this.controller.pointerOverList(true)}
            @pointerleave=${() => this.controller.pointerOverList(false)}
          >
            ${this.meaningOnly ? html`<div class="meaning-only" part="meaning-only" role="presentation"><bdi>${meaningOnlyLine(text, this.query)}</bdi></div>` : nothing}
            ${repeat(this.groups, (group) => group.key, (group, index) => this.renderGroup(group, index))}
          </div>
          ${empty
            ? html`<div class="empty" part="empty">
                <p part="empty-title">${noResultsLine(text, this.query)}</p>
                <p part="empty-hint">${text.noResultsHint}</p>
              </div>`
            : nothing}
        </div>
        ${this.renderRecent(text)}
        ${this.renderProgress(text)}
        ${this.error ? html`<div class="error" part="error" role="alert">${this.error.message}</div>` : nothing}
        <div class="visually-hidden" part="status" role="status" aria-live="polite">${this.announcement}</div>
      </div>
    `;
  }

  protected override render() {
    const text = this.text;
    // A page that sets an RTL `lang` but no `dir` still reads right to left.
    const dir = this.closest('[dir]') === null && isRightToLeft(this.searchLanguage() ?? '') ? 'rtl' : nothing;
    if (!this.isDialog) return html`<div class="root" dir=${dir}>${this.renderSearch(text)}</div>`;
    const platform = navigator.platform;
    return html`<div class="root" dir=${dir}>
      <button
        type="button"
        class="trigger"
        part="trigger"
        aria-haspopup="dialog"
        aria-keyshortcuts=${shortcutKeys(platform)}
        @click=${() => this.openDialog()}
        @focus=${() => this.controller.intent()}
        @pointerenter=${() => this.controller.intent()}
      >
        <svg aria-hidden="true" viewBox="0 0 20 20" width="16" height="16"><circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" stroke-width="2" /><path d="m13 13 4.5 4.5" stroke="currentColor" stroke-width="2" stroke-linecap="round" /></svg>
        <span part="trigger-label">${text.trigger}</span>
        <kbd part="shortcut" aria-hidden="true">${shortcutLabel(platform)}</kbd>
      </button>
      <dialog
        part="dialog"
        aria-label=${text.dialogLabel}
        @close=${() => this.onDialogClose()}
        @click=${(event: MouseEvent) => {
          // A click on the backdrop lands on the dialog itself.
          if (event.target === event.currentTarget) (event.currentTarget as HTMLDialogElement).close();
        }}
      >
        <div class="dialog-body">
          ${this.renderSearch(text)}
          <button type="button" class="close" part="close" @click=${() => this.dialog?.close()}>${text.close}</button>
        </div>
      </dialog>
    </div>`;
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
    'sgpt-select': CustomEvent<SelectDetail>;
  }
}
