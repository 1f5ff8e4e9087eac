/**
 * Searching a built site index in Node: the same SiteSearch, embedder and reranker the browser
 * runs, read from a folder. The CLI's `query` and the package's facade (`openSiteIndex`) call it.
 */
import { existsSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Embedder } from '../embed/embedder';
import { MAX_COUNT, SgptError, checkOptions, shown } from '../errors';
import { modelRef } from '../index/model-ref';
import { fsLoader } from '../index/node-files';
import type { Manifest } from '../index/format';
import { MergedSiteSearch } from '../index/merged-search';
import type { SiteHit } from '../index/site-search';
import type { Facets } from '../index/filters';
import { checkFilters, type Filters } from '../extract/filters';
import { DEFAULT_RERANK_K, hitText } from '../rerank/hit-text';
import { Reranker } from '../rerank/reranker';
import { keywordMatched } from '../search/ranking';
import { defaultModelSource, defaultRerankModel, modelSource } from './default-model';

export interface SearchOptions {
  /** Results (default 10). */
  limit?: number;
  /** Vector shards to read (default: the index's). */
  probe?: number;
  /** The language searched (a `lang` value; default: every page, the query read in the language most sections are in). */
  lang?: string;
  /** Only sections with one of these values for every key (src/extract/filters). */
  filters?: Filters;
  /** BM25 results only, as the browser shows them while the model loads. */
  keywordOnly?: boolean;
  /** Reorder the top `k` (default DEFAULT_RERANK_K) by SGPT-CE with the causal LM `model` (default: the model's "-lm" sibling). */
  rerank?: { model?: string; k?: number };
}

export type QueryHit = SiteHit & { rerankScore?: number };

export interface QueryRun extends SearchOptions {
  /** The index folder, or several searched as one (MergedSiteSearch). */
  index: string | readonly string[];
  query: string;
  /** The index's model (default: the copy in the index folder, else the bundled model it names, else the default). */
  model?: string;
}

/** Reorder the top k hits by SGPT-CE, each read as hitText (title and excerpt). Rows of the top k gain rerankScore. */
export async function rerankHits(reranker: Reranker, query: string, hits: readonly SiteHit[], k = DEFAULT_RERANK_K): Promise<QueryHit[]> {
  const { items, scores } = await reranker.rerankTop(query, hits, k, hitText);
  return items.map((hit, i) => (scores[i] === undefined ? hit : { ...hit, rerankScore: scores[i] }));
}

/*
 * Argument checks of the public entry points (SiteIndex.open, query, facets: the facade's
 * openSiteIndex and the CLI's query come through them), once, before anything is read: a wrong
 * type or value is INPUT_INVALID naming the argument as the caller wrote it, never a TypeError
 * from deep inside the search or a silently odd result.
 */

function invalid(message: string): SgptError {
  return new SgptError('INPUT_INVALID', message);
}

/** A count (results, shards): an integer from 1 to MAX_COUNT, as the CLI's --limit and --probe. */
function checkCount(value: unknown, name: string): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_COUNT)) {
    throw invalid(`${name} must be an integer from 1 to ${MAX_COUNT}, got ${shown(value)}`);
  }
}

/** A language tag as a page's <html lang> holds it ('de', 'pt-BR', 'zh_Hant'); the CLI checks --lang with it. */
export function checkLang(value: unknown, name = 'lang'): void {
  if (value !== undefined && !(typeof value === 'string' && value.length <= 64 && /^[a-z]{1,8}(?:[-_][a-z0-9]{1,8})*$/i.test(value))) {
    throw invalid(`${name} must be a language tag such as "de" or "pt-BR" (as a page's <html lang>), got ${shown(value)}${value === '' ? ': leave it out to search every page' : ''}`);
  }
}

function checkQuery(query: unknown): void {
  if (typeof query !== 'string') throw invalid(`the query must be a string, got ${shown(query)}`);
}

const SEARCH_OPTIONS = ['limit', 'probe', 'lang', 'filters', 'keywordOnly', 'rerank'] as const satisfies ReadonlyArray<keyof SearchOptions>;
/** What scopes a query without ranking it (facets, keywordMatch). */
const SCOPE_OPTIONS = ['filters', 'lang'] as const satisfies ReadonlyArray<keyof SearchOptions>;

function checkSearch(options: unknown, known: readonly string[]): void {
  checkOptions(options, 'options', known);
  const o = (options ?? {}) as Record<string, unknown>;
  checkCount(o.limit, 'limit');
  checkCount(o.probe, 'probe');
  checkLang(o.lang);
  if (o.filters !== undefined) checkFilters(o.filters);
  if (o.keywordOnly !== undefined && typeof o.keywordOnly !== 'boolean') throw invalid(`keywordOnly must be true or false, got ${shown(o.keywordOnly)}`);
  checkOptions(o.rerank, 'rerank', ['model', 'k']);
  const rerank = (o.rerank ?? {}) as Record<string, unknown>;
  checkCount(rerank.k, 'rerank.k');
  if (rerank.model !== undefined && (typeof rerank.model !== 'string' || rerank.model === '')) throw invalid(`rerank.model must be a model folder, URL or hub id, got ${shown(rerank.model)}`);
}

/** The index folders asked for: one or more non-empty paths, no folder twice (its hits would all come twice). */
async function checkDirs(dir: unknown): Promise<string[]> {
  const dirs = typeof dir === 'string' ? [dir] : Array.isArray(dir) ? [...(dir as unknown[])] : null;
  if (dirs === null || dirs.length === 0 || !dirs.every((d): d is string => typeof d === 'string' && d !== '')) {
    throw invalid(`give an index folder (the --out of \`sgpt-search index\`) or an array of them, got ${dirs === null ? shown(dir) : dirs.length === 0 ? 'none' : `[${dirs.map(shown).join(', ')}]`}`);
  }
  const seen = new Map<string, string>();
  for (const d of dirs) {
    // A folder that is not there says so (not "manifest.json missing: incomplete index").
    if (!(await stat(d).then((found) => found.isDirectory(), () => false))) throw invalid(`the index folder ${d} does not exist or is not a folder (give the --out of \`sgpt-search index\`)`);
    const real = await realpath(d);
    const before = seen.get(real);
    if (before !== undefined) throw invalid(`the index folder ${before}${before === d ? '' : ` (also as ${d})`} is given twice: every hit would come twice; give each index once`);
    seen.set(real, d);
  }
  return dirs;
}

/**
 * A site index opened from a folder, or several searched as one (a docs site and its blog: one
 * ranking on one scale, hits naming their index by `site`, its position in `dirs`); the model is
 * loaded on the first semantic search.
 */
export class SiteIndex {
  private embedder: Promise<Embedder> | null = null;

  private constructor(
    readonly search: MergedSiteSearch,
    /** The index folders, in the order given. */
    readonly dirs: readonly string[],
    /** The model folder (or URL / hub id) queries are embedded with. */
    readonly model: string,
  ) {}

  /** Indexes built with different models are refused (INDEX_MODEL_MISMATCH naming both). */
  static async open(dir: string | readonly string[], model?: string): Promise<SiteIndex> {
    const dirs = await checkDirs(dir);
    if (model !== undefined && (typeof model !== 'string' || model === '')) throw invalid(`model must be a model folder, URL or hub id, got ${shown(model)}`);
    const search = await MergedSiteSearch.open(dirs.map((d) => fsLoader(d)), dirs);
    return new SiteIndex(search, dirs, model === undefined ? indexModel(dirs[0]!, search.first.manifest) : modelSource(model));
  }

  /** The (first) index's manifest: its model, fusion and probe serve all. */
  get manifest(): Manifest {
    return this.search.first.manifest;
  }

  /** Ranked hits: keyword-only, or embedded and fused as in the browser; with `rerank`, then reordered by SGPT-CE. */
  async query(query: string, options: SearchOptions = {}): Promise<QueryHit[]> {
    checkQuery(query);
    checkSearch(options, SEARCH_OPTIONS);
    const limit = options.limit ?? 10;
    const embedder = options.keywordOnly ? null : await this.loadEmbedder();
    const hits =
      embedder === null
        ? await this.search.keywordSearch(query, limit, options.lang, options.filters)
        : await this.search.semanticSearch(query, await embedder.embedQuery(query), {
            limit,
            probe: options.probe,
            language: options.lang,
            filters: options.filters,
            windows: async (texts) => texts.map((text) => embedder.windows(text, 'document')),
          });
    return options.rerank ? this.rerank(query, hits, options.rerank) : hits;
  }

  /** Facet counts of the query's keyword matches (src/index/filters), each key counted under the other keys' filters. */
  async facets(query: string, options: Pick<SearchOptions, 'filters' | 'lang'> = {}): Promise<Facets> {
    checkQuery(query);
    checkSearch(options, SCOPE_OPTIONS);
    return this.search.facets(query, options.filters, options.lang);
  }

  /**
   * Whether any section holds the query's words, as the element decides it (src/search/ranking
   * keywordMatched: the keyword search as you type, typos and a last word typed in part included,
   * in `lang` and under `filters`). False: `query`'s semantic hits are the closest in meaning
   * alone, and the element and the CLI say so above them.
   */
  async keywordMatch(query: string, options: Pick<SearchOptions, 'filters' | 'lang'> = {}): Promise<boolean> {
    checkQuery(query);
    checkSearch(options, SCOPE_OPTIONS);
    return keywordMatched(await this.search.keywordSearch(query, 1, options.lang, options.filters, false));
  }

  async dispose(): Promise<void> {
    const embedder = this.embedder;
    this.embedder = null;
    await (await embedder?.catch(() => null))?.dispose();
  }

  private loadEmbedder(): Promise<Embedder> {
    this.embedder ??= (async () => {
      // The query is embedded in the mode the documents were (the model and its hash are still checked).
      const embedder = await Embedder.load(this.model, { settings: { mode: this.manifest.model.mode } });
      try {
        this.search.checkModel(await modelRef(this.model, embedder));
        return embedder;
      } catch (error) {
        await embedder.dispose();
        throw error;
      }
    })();
    this.embedder.catch(() => (this.embedder = null));
    return this.embedder;
  }

  private async rerank(query: string, hits: SiteHit[], options: { model?: string; k?: number }): Promise<QueryHit[]> {
    // Default: the "-lm" sibling of the query's model, or of the package's model of that name (an index ships no LM).
    const source =
      options.model === undefined
        ? (defaultRerankModel(this.model) ?? defaultRerankModel(join(dirname(defaultModelSource()), this.manifest.model.id)))
        : modelSource(options.model);
    if (source === undefined) {
      throw new SgptError('INPUT_INVALID', `reranking needs a causal LM: give its folder (--rerank-model; no "${this.model}-lm" folder next to the model)`);
    }
    const reranker = await Reranker.load(source);
    try {
      return await rerankHits(reranker, query, hits, options.k);
    } finally {
      await reranker.dispose();
    }
  }
}

/** What one query run found, when asked whether any section holds the query's words. */
export interface QueryRunResult {
  hits: QueryHit[];
  /** With `facets`: the query's facet counts (SiteIndex.facets). */
  facets?: Facets;
  /** SiteIndex.keywordMatch: false when the hits are the closest in meaning alone. */
  keywordMatch: boolean;
}

/**
 * One query against an index folder, everything loaded and released around it: its hits; with
 * `facets` or `keywordMatch`, an object with them and what was asked for besides.
 */
export async function querySiteIndex(run: QueryRun & { facets?: boolean; keywordMatch: true }): Promise<QueryRunResult>;
export async function querySiteIndex(run: QueryRun & { facets: true }): Promise<{ hits: QueryHit[]; facets: Facets }>;
export async function querySiteIndex(run: QueryRun): Promise<QueryHit[]>;
export async function querySiteIndex(run: QueryRun & { facets?: boolean; keywordMatch?: boolean }): Promise<QueryHit[] | { hits: QueryHit[]; facets?: Facets; keywordMatch?: boolean }> {
  const { index: dirs, query, model, facets, keywordMatch, ...search } = run;
  const index = await SiteIndex.open(dirs, model);
  try {
    const hits = await index.query(query, search);
    if (!facets && !keywordMatch) return hits;
    const { filters, lang } = search;
    const scope = { ...(filters === undefined ? {} : { filters }), ...(lang === undefined ? {} : { lang }) };
    return {
      hits,
      ...(facets ? { facets: await index.facets(query, scope) } : {}),
      ...(keywordMatch ? { keywordMatch: await index.keywordMatch(query, scope) } : {}),
    };
  } finally {
    await index.dispose();
  }
}

/**
 * Without a model: the copy shipped in the index folder (manifest model.url), else the package's
 * bundled model of that name, else the default (the model check then says if it is not the one).
 */
function indexModel(dir: string, manifest: Manifest): string {
  const candidates = [...(manifest.model.url === undefined ? [] : [resolve(dir, manifest.model.url)]), join(dirname(defaultModelSource()), manifest.model.id)];
  return candidates.find((folder) => existsSync(join(folder, 'config.json'))) ?? defaultModelSource();
}
