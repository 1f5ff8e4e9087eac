/**
 * A SearchSource over a prebuilt site index (`<sgpt-search index="/sgpt/manifest.json">`):
 * keyword results as soon as the manifest and keyword index are in, then — once the worker has
 * the model — the query embedded in the worker and fused with the keyword ranking.
 */
import { once } from '../index/reader';
import { fixedWeight } from '../search/fusion';
import type { FileLoader } from '../index/reader';
import { SiteSearch, openSiteSearch, type SiteHit } from '../index/site-search';
import type { Facets } from '../index/filters';
import type { Filters } from '../extract/filters';
import type { SearchClient } from '../worker/client';
import type { LoadResult, SearchHit } from '../worker/protocol';
import { abortIf, type SearchSource, type SearchStage } from './source';

/** `root`: the site root URL (manifest root) that page urls ("/guide/x.html") resolve against. */
function toHit(hit: SiteHit, root: URL | undefined): SearchHit {
  return {
    id: hit.section,
    title: hit.title,
    url: root === undefined ? hit.url : new URL(hit.url.replace(/^\/+/, ''), root).href,
    excerpt: hit.excerpt,
    score: hit.score,
    pageTitle: hit.pageTitle,
    headingPath: hit.headingPath,
    highlights: hit.highlights,
    semantic: hit.semantic,
  };
}

/**
 * One opened index per manifest URL on the page: two elements over the same index share its
 * manifest, keyword chunks and shards (each file fetched once per page view). A failed open is
 * forgotten, so a later element tries again.
 */
const openedSites = new Map<string, Promise<SiteSearch>>();

export class SiteSource implements SearchSource {
  /** The opened index (manifest, sections, keyword index), shared by every query. */
  readonly site: Promise<SiteSearch>;
  private readonly manifestUrl: URL;

  /**
   * @param manifestUrl the index's manifest.json (absolute, or relative to the page)
   * @param model resolves with the worker's loaded model (waits while it loads)
   * @param semanticWeight the page's fusion weight, read at each query (undefined: the manifest's)
   * @param language the language searched (a `lang` value), read at each query (undefined: the index's first)
   * @param indexFiles the index's files other than by fetch (pages opened from disk)
   * @param filters the page's filters, read at each query (may throw INPUT_INVALID for a malformed attribute)
   * @param onFacets hears a query's facet counts after its keyword results (only for an index with filters)
   */
  constructor(
    manifestUrl: string,
    private readonly client: SearchClient,
    private readonly model: () => Promise<LoadResult>,
    private readonly semanticWeight: () => number | undefined = () => undefined,
    private readonly language: () => string | undefined = () => undefined,
    indexFiles?: (manifestUrl: URL) => FileLoader,
    private readonly filters: () => Filters = () => ({}),
    private readonly onFacets: (query: string, facets: Facets) => void = () => undefined,
  ) {
    this.manifestUrl = new URL(manifestUrl, document.baseURI);
    const url = this.manifestUrl;
    this.site = once(openedSites, url.href, () => (indexFiles === undefined ? openSiteSearch(url) : SiteSearch.open(indexFiles(url))));
    this.site.catch(() => undefined); // reported by the first search
  }

  /**
   * The model folder the index build copied next to the manifest (manifest model.url), as an
   * absolute URL; undefined when the index ships no model or cannot be read (the first search
   * reports why).
   */
  async modelUrl(): Promise<string | undefined> {
    const url = await this.site.then(
      (site) => site.manifest.model.url,
      () => undefined,
    );
    return url === undefined ? undefined : new URL(url, this.manifestUrl).href;
  }

  async *search(query: string, limit: number, signal: AbortSignal): AsyncIterable<SearchStage> {
    const site = await this.site;
    abortIf(signal);
    const language = this.language();
    const filters = this.filters();
    // The sections' starts at once (no more files), then, from the hits' text files, excerpts at the match.
    const quick = await site.keywordSearch(query, limit, language, filters, false);
    abortIf(signal);
    const root = site.manifest.root === undefined ? undefined : new URL(site.manifest.root, this.manifestUrl);
    yield { stage: 'keyword', results: quick.map((hit) => toHit(hit, root)) };
    const keyword = await site.keywordSearch(query, limit, language, filters);
    abortIf(signal);
    if (keyword.some((hit, i) => hit.excerpt !== quick[i]!.excerpt)) yield { stage: 'keyword', results: keyword.map((hit) => toHit(hit, root)) };
    if (site.manifest.filters) {
      const facets = await site.facets(query, filters, language);
      abortIf(signal);
      this.onFacets(query, facets);
    }
    const loaded = await this.model();
    abortIf(signal);
    site.checkModel({ id: loaded.modelId, dims: loaded.dims, mode: loaded.mode });
    const { vector } = await this.client.embedQuery(query, signal);
    abortIf(signal);
    const weight = this.semanticWeight();
    const windows = async (texts: string[]) => (await this.client.windows(texts, signal)).windows;
    const fused = await site.semanticSearch(query, vector, { limit, language, filters, windows, ...(weight === undefined ? {} : { fusion: fixedWeight(site.manifest.fusion, weight) }) });
    abortIf(signal);
    yield { stage: 'semantic', results: fused.map((hit) => toHit(hit, root)) };
  }
}
