/**
 * Several site indexes searched as one (a docs site and its blog): one ranking on one scale, not
 * each index's scores compared as they are. The keyword halves are one BM25 index over all their
 * sections (MergedBm25: N, lengths and document frequencies combined; typos corrected over all
 * their words); each index's nearest sections to the query vector are merged by cosine (one
 * model required); fusion runs once over the two merged lists. Filters apply per index (an index
 * without an asked key has no section that passes), facets add up. A merged id runs through the
 * indexes in order: index i's section s is `starts[i] + s`. Hits are cut as one index cuts them
 * (site-search's rankedHits), each from its own index's files. With one index this is that
 * index's own search, unchanged.
 */
import { SgptError } from '../errors';
import type { Filters } from '../extract/filters';
import { MergedBm25 } from '../search/bm25';
import type { HybridFusionSettings } from '../search/fusion';
import { FUSED_KEYWORD_SEARCH, KEYWORD_SEARCH, denseKnows, fusedTop, fusionDepth, withNamed } from '../search/ranking';
import { TopK } from '../search/topk';
import { addFacets, type Facets, type FilterScope } from './filters';
import { modelDifferences, type QueryModel } from './format';
import type { FileLoader } from './reader';
import { KEYWORD_HITS_PROBED, SiteSearch, passing, queryMarks, rankedHits, type ExcerptSource, type QueryMarks, type SemanticOptions, type SiteHit } from './site-search';

export class MergedSiteSearch {
  /** Each index's first section in the merged numbering. */
  private readonly starts: number[];

  private constructor(
    readonly sites: readonly SiteSearch[],
    /** How errors name each index (its manifest URL or folder). */
    readonly names: readonly string[],
    /** The keyword indexes as one (null with one index: its own is used). */
    private readonly keyword: MergedBm25 | null,
  ) {
    let next = 0;
    this.starts = sites.map((site) => ((next += site.manifest.counts.sections), next - site.manifest.counts.sections));
  }

  /**
   * The opened indexes searched as one. Indexes built with different models (name, dims, mode or
   * hash) or keyword settings cannot share a scale: INDEX_MODEL_MISMATCH naming both.
   */
  static of(sites: readonly SiteSearch[], names: readonly string[]): MergedSiteSearch {
    if (sites.length === 0) throw new SgptError('INPUT_INVALID', 'give at least one site index');
    if (names.length !== sites.length) throw new SgptError('INTERNAL', `${names.length} names for ${sites.length} site indexes`);
    const first = sites[0]!.manifest.model;
    sites.forEach((site, i) => {
      const model = site.manifest.model;
      if (modelDifferences(model, first).length > 0) {
        throw new SgptError(
          'INDEX_MODEL_MISMATCH',
          `${names[i]} was built with model ${describe(model)} but ${names[0]} with ${describe(first)}: indexes searched together must share one model (their vectors are compared); rebuild one with the other's model`,
        );
      }
    });
    return new MergedSiteSearch(sites, names, sites.length > 1 ? new MergedBm25(sites.map((site) => site.keyword), names) : null);
  }

  /** Opens each index (manifest, section table, keyword head) and searches them as one. */
  static async open(loaders: readonly FileLoader[], names: readonly string[]): Promise<MergedSiteSearch> {
    return MergedSiteSearch.of(await Promise.all(loaders.map((load) => SiteSearch.open(load))), names);
  }

  /** The one index (its manifest names the model, fusion and probe of all). */
  get first(): SiteSearch {
    return this.sites[0]!;
  }

  /** Refuse a query model that is not the indexes' (INDEX_MODEL_MISMATCH naming both). */
  checkModel(model: QueryModel): void {
    for (const site of this.sites) site.checkModel(model);
  }

  /**
   * As SiteSearch.keywordSearch, over every index on one scale; hits name their index (`site`) when
   * there are several, and with `passages` their excerpts are cut at the match from their own index's text files.
   */
  async keywordSearch(query: string, limit = 10, language?: string, filters?: Filters, passages = true): Promise<SiteHit[]> {
    if (this.keyword === null) return this.first.keywordSearch(query, limit, language, filters, passages);
    const scopes = await this.scopes(filters);
    const result = await this.keyword.searchWithMatch(query, limit, { ...KEYWORD_SEARCH, language, ...passing(this.joined(scopes)) });
    const { analyzer } = await this.keyword.language(language);
    const ranked = withNamed(result.hits.map((hit) => ({ id: hit.index, score: hit.score })), result.named, (hit) => hit.id, (hit) => ({ id: hit.index, score: hit.score }));
    return this.hits(ranked, queryMarks(result, analyzer), false, { passages }, limit);
  }

  /**
   * As SiteSearch.semanticSearch: the merged keyword ranking and each index's nearest sections
   * (its own `probe` shards, or `options.probe`), merged by cosine, fused once, by `options.fusion`
   * or the first index's fusion settings.
   */
  async semanticSearch(query: string, vector: Float32Array, options: SemanticOptions = {}): Promise<SiteHit[]> {
    if (this.keyword === null) return this.first.semanticSearch(query, vector, options);
    const limit = options.limit ?? 10;
    const depth = fusionDepth(limit);
    const scopes = await this.scopes(options.filters);
    const keyword = await this.keyword.searchWithMatch(query, depth, { ...FUSED_KEYWORD_SEARCH, language: options.language, ...passing(this.joined(scopes)) });
    const { code, allowed, analyzer } = await this.keyword.language(options.language);
    const nearest = denseKnows(code) ? await this.nearest(vector, depth, options.probe, allowed, scopes, this.bySite(keyword.hits.slice(0, KEYWORD_HITS_PROBED).map((hit) => hit.index))) : [];
    const won = new Map(nearest.flatMap((h) => (h.window === null ? [] : [[h.id, h.window] as const])));
    const { top, scoreOf } = fusedTop(query, keyword, nearest, options.fusion ?? this.fusion, limit);
    const fused = top.map((hit) => ({ id: hit.id, score: hit.score, won: won.get(hit.id) }));
    const ranked = withNamed(fused, keyword.named, (hit) => hit.id, (hit) => ({ id: hit.index, score: scoreOf(hit.index), won: won.get(hit.index) }));
    return this.hits(ranked, queryMarks(keyword, analyzer), true, { passages: true, windows: options.windows }, limit);
  }

  /** The first index's fusion settings (indexes of one model are built with the same). */
  get fusion(): HybridFusionSettings {
    return this.first.manifest.fusion;
  }

  /**
   * Facet counts as SiteSearch.facets, over every index: the query's keyword matches on the merged
   * scale, counted per index (an index lacking one of the filtered keys counts none) and added up.
   */
  async facets(query: string, filters: Filters = {}, language?: string): Promise<Facets> {
    if (this.keyword === null) return this.first.facets(query, filters, language);
    const tables = await Promise.all(this.sites.map((site) => site.filters()));
    this.checkKeys(tables.map((t) => t.table.keys.map((k) => k.key)), filters);
    const all = await this.keyword.searchWithMatch(query, this.keyword.docCount, { ...KEYWORD_SEARCH, language });
    const matches = this.bySite(all.hits.map((hit) => hit.index));
    const counts = await Promise.all(
      tables.map((table, i) => {
        const hasAll = Object.keys(filters).every((key) => table.table.keys.some((k) => k.key === key));
        return hasAll ? table.facets(matches[i]!, filters) : table.facets([], {});
      }),
    );
    return counts.reduce((sum, facets) => addFacets(sum, facets), {});
  }

  /** Merged ids as each index's own sections (in their order). */
  private bySite(ids: readonly number[]): number[][] {
    const out = this.sites.map((): number[] => []);
    for (const id of ids) {
      const { site, section } = this.local(id);
      out[site]!.push(section);
    }
    return out;
  }

  /** Which index holds merged section `id`, and its section there. */
  local(id: number): { site: number; section: number } {
    let site = this.starts.length - 1;
    while (this.starts[site]! > id) site--;
    return { site, section: id - this.starts[site]! };
  }

  /** The indexes' scopes as one over merged ids (its shards are not used: each index probes its own). */
  private joined(scopes: FilterScope[] | null): FilterScope | null {
    if (scopes === null) return null;
    const mask = new Uint8Array(this.keyword!.docCount);
    scopes.forEach((scope, i) => mask.set(scope.mask, this.starts[i]!));
    return { mask, shards: [] };
  }

  /** Each index's scope of `filters`; an index without one of the asked keys has no passing section. */
  private async scopes(filters: Filters | undefined): Promise<FilterScope[] | null> {
    if (!filters || Object.keys(filters).length === 0) return null;
    const tables = await Promise.all(this.sites.map((site) => site.filters()));
    const keys = tables.map((t) => t.table.keys.map((k) => k.key));
    this.checkKeys(keys, filters);
    return Promise.all(
      tables.map((table, i) =>
        Object.keys(filters).every((key) => keys[i]!.includes(key)) ? table.scope(filters) : { mask: new Uint8Array(this.sites[i]!.manifest.counts.sections), shards: [] },
      ),
    );
  }

  /** A key that no index has is INPUT_INVALID naming those they have (as for one index). */
  private checkKeys(keys: readonly string[][], filters: Filters): void {
    const known = [...new Set(keys.flat())].sort();
    const missing = Object.keys(filters).find((key) => !known.includes(key));
    if (missing === undefined) return;
    const list = known.map((key) => JSON.stringify(key)).join(', ');
    throw new SgptError('INPUT_INVALID', `filter key ${JSON.stringify(missing)} is not in any of the indexes (${list ? `they have ${list}` : 'they have no filters'})`);
  }

  /**
   * The `depth` sections nearest `vector` over every index (merged ids, ties to the lower id as in
   * one index, each with the window whose embedding won), each index probing its nearest shards
   * among those its filter scope allows and those holding its sections among the best keyword
   * hits (`keywordHits[i]`, index i's).
   */
  private async nearest(vector: Float32Array, depth: number, probe: number | undefined, allowed: ((id: number) => boolean) | null, scopes: FilterScope[] | null, keywordHits: readonly number[][]): Promise<Array<{ id: number; score: number; window: number | null }>> {
    const top = new TopK(depth);
    const windows = new Map<number, number | null>();
    await Promise.all(
      this.sites.map(async (site, i) => {
        const start = this.starts[i]!;
        const scope = scopes?.[i] ?? null;
        if (scope !== null && scope.shards.length === 0) return; // no section of this index passes
        const hits = await site.vectorSearch(vector, depth, probe ?? site.manifest.probe, allowed && ((s) => allowed(start + s)), scope, keywordHits[i]);
        for (const hit of hits) {
          top.push(start + hit.section, hit.score);
          windows.set(start + hit.section, hit.window);
        }
      }),
    );
    return top.result().map(({ index, score }) => ({ id: index, score, window: windows.get(index) ?? null }));
  }

  /** Merged ids as hits of their own indexes, excerpts cut from each index's own files (SiteSearch's rankedHits). */
  private hits(ranked: ReadonlyArray<{ id: number; score: number; won?: number | undefined }>, marks: QueryMarks, semantic: boolean, source: ExcerptSource, limit: number): Promise<SiteHit[]> {
    const located = ranked.map((hit) => ({ ...this.local(hit.id), score: hit.score, won: hit.won }));
    return rankedHits(located, this.sites.map((site) => site.reader), marks, semantic, source, limit);
  }
}

function describe(model: { id: string; mode: string; dims: number }): string {
  return `${JSON.stringify(model.id)} (${model.mode}, ${model.dims} dims)`;
}
