/**
 * A SearchSource over a prebuilt site index (`<sgpt-search index="/sgpt/manifest.json">`), or
 * several searched as one (`index="/docs/sgpt/manifest.json /blog/sgpt/manifest.json"`, one
 * ranking on one scale: src/index/merged-search): keyword results as soon as the manifests and
 * keyword indexes are in, then — once the worker has the model — the query embedded in the worker
 * and fused with the keyword ranking.
 */
import { once } from '../index/reader';
import { fixedWeight } from '../search/fusion';
import { keywordMatched } from '../search/ranking';
import type { FileLoader } from '../index/reader';
import { SiteSearch, openSiteSearch, type SiteHit } from '../index/site-search';
import { MergedSiteSearch } from '../index/merged-search';
import type { Facets } from '../index/filters';
import type { Filters } from '../extract/filters';
import type { SearchClient } from '../worker/client';
import type { LoadResult, SearchHit } from '../worker/protocol';
import { abortIf, type SearchSource, type SearchStage } from './source';

/** `root`: the site root URL (its manifest's root) that the hit's page url ("/guide/x.html") resolves against. */
function toHit(hit: SiteHit, root: URL | undefined): SearchHit {
  return {
    // Section numbers repeat across merged indexes; the index's position tells them apart.
    id: hit.site === undefined ? hit.section : `${hit.site}:${hit.section}`,
    title: hit.title,
    url: root === undefined ? hit.url : new URL(hit.url.replace(/^\/+/, ''), root).href,
    excerpt: hit.excerpt,
    score: hit.score,
    pageTitle: hit.pageTitle,
    headingPath: hit.headingPath,
    highlights: hit.highlights,
    highlightQuery: hit.highlightQuery,
    semantic: hit.semantic,
  };
}

/**
 * One opened index per manifest URL on the page: two elements over the same index share its
 * manifest, keyword chunks and shards (each file fetched once per page view). A failed open is
 * forgotten, so a later element tries again.
 */
const openedSites = new Map<string, Promise<SiteSearch>>();

/** The manifest URLs of an `index` attribute: one, or several separated by whitespace. */
function manifestUrls(index: string): string[] {
  return index.split(/\s+/).filter((url) => url !== '');
}

export class SiteSource implements SearchSource {
  /** The opened indexes (manifest, sections, keyword index) as one, shared by every query. */
  readonly site: Promise<MergedSiteSearch>;
  private readonly manifestUrls: URL[];

  /**
   * @param manifestUrl the index's manifest.json (absolute, or relative to the page), or several
   *   separated by whitespace, searched as one (built with one model, else INDEX_MODEL_MISMATCH)
   * @param model resolves with the worker's loaded model (waits while it loads)
   * @param semanticWeight the page's fusion weight, read at each query (undefined: the manifest's)
   * @param language the language searched (a `lang` value), read at each query (undefined: every section, read in the language most are in)
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
    this.manifestUrls = manifestUrls(manifestUrl).map((url) => new URL(url, document.baseURI));
    const sites = this.manifestUrls.map((url) => once(openedSites, url.href, () => (indexFiles === undefined ? openSiteSearch(url) : SiteSearch.open(indexFiles(url)))));
    this.site = Promise.all(sites).then((opened) => MergedSiteSearch.of(opened, this.manifestUrls.map((url) => url.href)));
    this.site.catch(() => undefined); // reported by the first search
  }

  /**
   * The model folder the index build copied next to the manifest (manifest model.url), as an
   * absolute URL; undefined when the index ships no model. Rejects with the index's error when it
   * cannot be read: no model (the default one least of all) loads for an index that failed.
   */
  async modelUrl(): Promise<string | undefined> {
    const url = (await this.site).first.manifest.model.url;
    return url === undefined ? undefined : new URL(url, this.manifestUrls[0]).href;
  }

  async *search(query: string, limit: number, signal: AbortSignal): AsyncIterable<SearchStage> {
    const site = await this.site;
    abortIf(signal);
    const language = this.language();
    const filters = this.filters();
    // The sections' starts at once (no more files), then, from the hits' text files, excerpts at the match.
    const quick = await site.keywordSearch(query, limit, language, filters, false);
    abortIf(signal);
    // Each index's page urls resolve against its own site root.
    const roots = site.sites.map(({ manifest }, i) => (manifest.root === undefined ? undefined : new URL(manifest.root, this.manifestUrls[i])));
    const toHits = (hits: SiteHit[]) => hits.map((hit) => toHit(hit, roots[hit.site ?? 0]));
    const keywordMatch = keywordMatched(quick);
    yield { stage: 'keyword', results: toHits(quick), keywordMatch };
    const keyword = await site.keywordSearch(query, limit, language, filters);
    abortIf(signal);
    if (keyword.some((hit, i) => hit.excerpt !== quick[i]!.excerpt)) yield { stage: 'keyword', results: toHits(keyword), keywordMatch };
    if (site.sites.some(({ manifest }) => manifest.filters)) {
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
    const fused = await site.semanticSearch(query, vector, { limit, language, filters, windows, ...(weight === undefined ? {} : { fusion: fixedWeight(site.fusion, weight) }) });
    abortIf(signal);
    yield { stage: 'semantic', results: toHits(fused), keywordMatch };
  }
}
