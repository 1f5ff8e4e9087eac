/**
 * Search over a prebuilt site index (src/index): keyword results at once from the BM25 index while
 * the model loads, then semantic results — the query vector against the nearest IVF shards and
 * those of the best keyword hits —
 * fused with the keyword ranking as the manifest says (convex combination of normalised BM25
 * and cosine scores, or weighted RRF; src/search/fusion). The same code answers `sgpt-search query` in
 * Node and the `<sgpt-search index=…>` element in the browser; only the file loader and the query
 * embedder differ.
 */
import { SgptError } from '../errors';
import { checkModel, chunkRef, sectionUrl, type QueryModel, type SectionInfo } from './format';
import { dotAll } from './int8';
import { IndexReader, fetchLoader, once, type FileLoader } from './reader';
import type { AnalyzerOptions } from '../search/analyzer';
import { ChunkedBm25, decodeChunk, decodeHead, type Bm25Result, type TermTable } from '../search/bm25';
import { ChunkedTypos, decodeTypoFile, decodeTypoHead, type TypoFileEntry, type TypoGroup } from '../search/typos';
import { highlightRanges, makeExcerpt, nearWords, winningWindows, type WindowFinder } from '../search/excerpt';
import { embeddingText, isPageHead } from '../search/texts';
import type { HybridFusionSettings } from '../search/fusion';
import { FUSED_KEYWORD_SEARCH, KEYWORD_SEARCH, denseKnows, fusedTop, fusionDepth, promoteExactTitles, withNamed } from '../search/ranking';
import { TopK } from '../search/topk';
import type { Filters } from '../extract/filters';
import { SiteFilters, type Facets, type FilterScope } from './filters';

/**
 * Best keyword hits whose shards a semantic query reads besides the nearest ones. A probe misses
 * the shards of some sections the keyword list ranks high, and fusion then has no dense score for
 * them; reading their shards gives them the one exact search would. Chosen on the docs-question dev
 * sites (scripts/site-eval.ts, docs/FUSION.md, "Site search: what a query reads"): per byte read, they keep
 * more of the all-shard ranking than more nearest shards do, for 3, 5 and 10 hits; with 5 every dev
 * site keeps ≥ 0.965 of the all-shard top 10, for ~9 % more bytes than the probe alone.
 */
export const KEYWORD_HITS_PROBED = 5;

export interface SiteHit {
  /** Index of the section in the index. */
  section: number;
  /** Which of several indexes searched together (src/index/merged-search) holds the section; absent for one index. */
  site?: number;
  /** Site-relative page URL plus '#anchor' when the section has one. */
  url: string;
  /** Section title (plain text). */
  title: string;
  pageTitle: string;
  headingPath: string[];
  /** Plain text; render it as text, never as HTML. */
  excerpt: string;
  /** [start, end) UTF-16 offsets in `excerpt` of words that match the query. */
  highlights: Array<[number, number]>;
  /**
   * The query as `highlights` read it: ending in a space when its last word counted as that word
   * (the fused ranking's reading of a word the index has), as typed when it counted as a prefix
   * (search as you type). A result link carries this (`?sgpt-highlight=`, src/highlight), so the
   * page marks what the list marked.
   */
  highlightQuery: string;
  /**
   * BM25 score for keyword results; the fused score (per the manifest's fusion) for semantic
   * results. Hits come in rank order, which is not always score order: a section whose title is
   * the query word for word comes first with its own score (the exact-title boost,
   * src/search/ranking promoteExactTitles).
   */
  score: number;
  /** True when the ranking used the query's meaning (the fused phase). */
  semantic: boolean;
}

export interface SemanticOptions {
  limit?: number;
  /** Shards to read (default: the manifest's probe). */
  probe?: number;
  /** How the two rankings fuse (default: the manifest's). */
  fusion?: HybridFusionSettings;
  /** The query's language (a `lang` value), as for keywordSearch. */
  language?: string;
  /** Only sections with one of these values for every key, as for keywordSearch. */
  filters?: Filters;
  /**
   * Where the model's windows of a section's text lie (the query embedder's tokenizer): a section
   * ranked by meaning alone shows the window whose embedding won. Without it, its start.
   */
  windows?: WindowFinder;
}

/** What a hit's excerpt is cut from. */
export interface ExcerptSource {
  /** Cut it from the section's whole text (its text file fetched), at the match; false: the section's start, from its bucket. */
  passages: boolean;
  /** Where the model's windows of a text lie, for the hits it ranked by one (`RankedSection.won`). */
  windows?: WindowFinder;
}

/** A ranked section: of index `site` when several are searched as one (src/index/merged-search), else of the one. */
export interface RankedSection {
  section: number;
  score: number;
  site?: number;
  /** The window (row) whose embedding won, when the model ranked the section by one (index version 5). */
  won?: number;
}

export class SiteSearch {
  private filtersLoaded: Promise<SiteFilters> | null = null;

  private constructor(
    readonly reader: IndexReader,
    /** The keyword index (MergedBm25 joins several sites' on one scale). */
    readonly keyword: ChunkedBm25,
  ) {}

  /** Loads the manifest, the section table and the keyword head (keyword chunks, sections and vectors as queries need them). */
  static async open(load: FileLoader): Promise<SiteSearch> {
    const reader = await IndexReader.open(load);
    const name = reader.manifest.keyword.name;
    const head = decodeHead(reader.keywordHead, name);
    const docCount = head.stats.docLengths.length;
    if (docCount !== reader.manifest.counts.sections) {
      throw new SgptError('INDEX_INVALID', `${name}: indexes ${docCount} sections, the manifest says ${reader.manifest.counts.sections}`);
    }
    head.chunks.forEach((entry, i) => chunkRef(name, { name: entry.file, bytes: entry.bytes }, `chunks[${i}]`));
    const chunks = new Map<number, Promise<TermTable>>();
    const keyword = new ChunkedBm25(head, (i) =>
      once(chunks, i, async () => {
        const entry = head.chunks[i]!;
        const bytes = await reader.chunk({ name: entry.file, bytes: entry.bytes });
        return decodeChunk(bytes, entry.file, docCount, entry.first, head.chunks[i + 1]?.first ?? null);
      }),
      typoTable(reader),
    );
    return new SiteSearch(reader, keyword);
  }

  get manifest() {
    return this.reader.manifest;
  }

  /** Refuse a query model that is not the index's (INDEX_MODEL_MISMATCH naming both). */
  checkModel(model: QueryModel): void {
    checkModel(this.manifest.model, model);
  }

  /**
   * BM25 over the sections, the last word as a prefix (search as you type). `language` (a `lang`
   * value): the query is read as that language's pages were, and only their sections are
   * returned, when the index has pages in it; else every section, the query read in the language most sections are in.
   * `passages`: excerpts at the match (the hits' text files fetched); false: the sections' starts,
   * which need no more files (a page shows those first).
   */
  async keywordSearch(query: string, limit = 10, language?: string, filters?: Filters, passages = true): Promise<SiteHit[]> {
    const scope = await this.scope(filters);
    const result = await this.keyword.searchWithMatch(query, limit, { ...KEYWORD_SEARCH, language, ...passing(scope) });
    const { analyzer } = await this.keyword.language(language);
    const ranked = withNamed(result.hits.map((hit) => ({ section: hit.index, score: hit.score })), result.named, (hit) => hit.section, (hit) => ({ section: hit.index, score: hit.score }));
    return rankedHits(ranked, [this.reader], queryMarks(result, analyzer), false, { passages }, limit);
  }

  /** The keyword half of the fused ranking: section positions and BM25 scores, with how well the query matched. */
  keywordSearchWithMatch(query: string, depth: number, language?: string, scope: FilterScope | null = null): Promise<Bm25Result> {
    return this.keyword.searchWithMatch(query, depth, { ...FUSED_KEYWORD_SEARCH, language, ...passing(scope) });
  }

  /** The index's filter keys and values (fetched once; empty without filters). */
  filters(): Promise<SiteFilters> {
    this.filtersLoaded ??= (async () => {
      const table = await this.reader.filterTable();
      const lists = new Map<string, Promise<Uint32Array>>();
      const keyFiles = new Map<string, Promise<Uint32Array[]>>();
      return new SiteFilters(
        table,
        this.manifest.counts.sections,
        (k, v) => once(lists, `${k}/${v}`, () => this.reader.filterList(table.keys[k]!.values[v]!)),
        (k, i, counts) => once(keyFiles, `${k}/${i}`, () => this.reader.filterKeyList(table.keys[k]!.lists![i]!, counts)),
      );
    })();
    this.filtersLoaded.catch(() => (this.filtersLoaded = null));
    return this.filtersLoaded;
  }

  /**
   * Facet counts for a query: per filter key and value, the query's keyword matches (every section
   * holding a query term, in the query's language) that carry the value and pass the other keys'
   * `filters`. Reads each key's list files (src/index/filter-lists), not a file per value.
   */
  async facets(query: string, filters: Filters = {}, language?: string): Promise<Facets> {
    const site = await this.filters();
    const all = await this.keyword.searchWithMatch(query, this.manifest.counts.sections, { ...KEYWORD_SEARCH, language });
    return site.facets(all.hits.map((hit) => hit.index), filters);
  }

  /** The sections and shards `filters` allow (null: no filter). */
  private async scope(filters: Filters | undefined): Promise<FilterScope | null> {
    return filters && Object.keys(filters).length > 0 ? (await this.filters()).scope(filters) : null;
  }

  /**
   * The shards a semantic query reads: the `probe` nearest the query vector (with a filter `scope`,
   * among the shards that hold its sections), then those holding the first KEYWORD_HITS_PROBED of
   * `keywordHits` (sections, best first; index version 8 lists each section's shards).
   */
  async shardsToRead(vector: Float32Array, probe = this.manifest.probe, scope: FilterScope | null = null, keywordHits: readonly number[] = []): Promise<number[]> {
    const [nearest, infos] = await Promise.all([this.reader.nearestShards(vector, probe, scope?.shards ?? null), this.reader.sections(keywordHits.slice(0, KEYWORD_HITS_PROBED))]);
    return [...new Set([...nearest, ...[...infos.values()].flatMap((info) => info.shards ?? [])])];
  }

  /**
   * Sections nearest the query vector in the shards shardsToRead names (those `allowed`, if given),
   * best chunk per section; with a filter `scope`, only its sections.
   */
  async vectorSearch(vector: Float32Array, limit: number, probe = this.manifest.probe, allowed: ((section: number) => boolean) | null = null, scope: FilterScope | null = null, keywordHits: readonly number[] = []): Promise<Array<{ section: number; score: number; window: number | null }>> {
    const { dims } = this.manifest.model;
    if (vector.length !== dims) throw new SgptError('INDEX_MODEL_MISMATCH', `the query vector has ${vector.length} dims but the index's model ${this.manifest.model.id} has ${dims}`);
    const read = await this.shardsToRead(vector, probe, scope, keywordHits);
    const shards = await Promise.all(read.map((i) => this.reader.shard(i)));
    const pass = scope ? (section: number) => scope.mask[section] === 1 && (allowed === null || allowed(section)) : allowed;
    const best = new Float32Array(this.manifest.counts.sections).fill(-Infinity);
    const window = new Int32Array(this.manifest.counts.sections).fill(-1);
    for (const shard of shards) {
      const scores = dotAll(vector, shard, dims);
      for (let r = 0; r < shard.rows; r++) {
        const section = shard.owner[r]!;
        if (scores[r]! > best[section]!) {
          best[section] = scores[r]!;
          window[section] = shard.window?.[r] ?? -1;
        }
      }
    }
    const top = new TopK(limit);
    best.forEach((score, section) => {
      if (score > -Infinity && (pass === null || pass(section))) top.push(section, score);
    });
    return top.result().map(({ index, score }) => ({ section: index, score, window: window[index]! === -1 ? null : window[index]! }));
  }

  /**
   * Keyword and semantic rankings fused as the manifest says (src/search/ranking: the top
   * FUSION_DEPTH of each); hits are marked semantic. Both lists hold only the query language's
   * sections; in a language the model does not know (ranking's denseKnows) the dense list is
   * left out, and the ranking is the keyword one.
   */
  async semanticSearch(query: string, vector: Float32Array, options: SemanticOptions = {}): Promise<SiteHit[]> {
    const limit = options.limit ?? 10;
    const depth = fusionDepth(limit);
    const scope = await this.scope(options.filters);
    const keyword = await this.keywordSearchWithMatch(query, depth, options.language, scope);
    const { code, allowed, analyzer } = await this.keyword.language(options.language);
    const nearest = denseKnows(code) ? await this.vectorSearch(vector, depth, options.probe, allowed, scope, keyword.hits.map((hit) => hit.index)) : [];
    const dense = nearest.map((h) => ({ id: h.section, score: h.score }));
    const won = new Map(nearest.flatMap((h) => (h.window === null ? [] : [[h.section, h.window] as const])));
    const { top, scoreOf } = fusedTop(query, keyword, dense, options.fusion ?? this.manifest.fusion, limit);
    const fused = top.map((hit) => ({ section: hit.id, score: hit.score, won: won.get(hit.id) }));
    const ranked = withNamed<RankedSection>(fused, keyword.named, (hit) => hit.section, (hit) => ({ section: hit.index, score: scoreOf(hit.index), won: won.get(hit.index) }));
    return rankedHits(ranked, [this.reader], queryMarks(keyword, analyzer), true, { passages: true, windows: options.windows }, limit);
  }
}

/** How a query was read, for highlighting and the exact-title boost: its corrections, its last word (whole or a prefix), its language's analysis. */
export interface QueryMarks {
  corrections: readonly string[];
  /** Each misspelled word with its corrections (Bm25Result's). */
  corrected: ReadonlyMap<string, readonly string[]>;
  /** The query as the keyword search read it (Bm25Result's `read`): excerpts and highlights read it so. */
  read: string;
  /** The query as the exact-title boost reads it, a question as asked, and whether it is one (Bm25Result's `titled`, `asked`, `question`). */
  titled: string;
  asked: string;
  question: boolean;
  analyzer: AnalyzerOptions;
}

/** How the keyword search that ranked the hits read the query (`analyzer`: its language's). */
export function queryMarks(result: Bm25Result, analyzer: AnalyzerOptions): QueryMarks {
  return { corrections: result.corrections, corrected: result.corrected, read: result.read, titled: result.titled, asked: result.asked, question: result.question, analyzer };
}

/**
 * Ranked sections as hits, those titled as the query first (src/search/ranking's exact-title
 * boost), the first `limit` kept, each read from its own index (`readers[hit.site ?? 0]`: its
 * bucket, and with `source.passages` its text file, each file fetched once) with its excerpt cut
 * at the match, or for a hit the model ranked by meaning alone around the window that won.
 * `marks`: how the query was read, for excerpts and highlighting (its corrections, its language's analysis).
 */
export async function rankedHits(all: readonly RankedSection[], readers: readonly IndexReader[], marks: QueryMarks, semantic: boolean, source: ExcerptSource, limit = all.length): Promise<SiteHit[]> {
  const infos = await Promise.all(readers.map((reader, i) => reader.sections(all.filter((hit) => (hit.site ?? 0) === i).map((hit) => hit.section))));
  const info = (hit: RankedSection) => infos[hit.site ?? 0]!.get(hit.section)!;
  const ranked = promoteExactTitles(all, marks.titled, (hit) => ({ title: info(hit).title, pageHead: isPageHead(info(hit).title, info(hit).pageTitle, info(hit).headingPath) }), marks.corrected, marks.question, marks.asked).slice(0, limit);
  const shown = ranked.map(info);
  const texts = source.passages ? await Promise.all(ranked.map(async (hit, i) => (await readers[hit.site ?? 0]!.sectionTexts([shown[i]!]))[0]!)) : shown.map(() => null);
  const near = nearWords(marks.read, marks.corrections);
  const items = ranked.map((hit, i) => {
    const text = texts[i] ?? '';
    return { text, embedded: embeddingText(shown[i]!.pageTitle, shown[i]!.headingPath, text), chunk: texts[i] === null ? undefined : hit.won };
  });
  const windows = await winningWindows(items, near, source.windows ?? null, marks.analyzer);
  const excerpts = ranked.map((hit, i) => {
    const text = texts[i] ?? null;
    return text === null ? shown[i]!.excerpt : makeExcerpt(text, near, { window: windows[i], analyzer: marks.analyzer });
  });
  const leads = await subsectionLeads(ranked, shown, excerpts, readers);
  const entries = new Map(ranked.map((hit, i) => [hit, { ...shown[i]!, excerpt: excerpts[i] || (leads[i] ?? '') }]));
  return sectionHits(ranked, (hit) => entries.get(hit)!, marks, semantic);
}

/**
 * For each hit with no text of its own (a heading whose content is all subsections, as a Sphinx
 * heading over API entries: "Sleeping" over `asyncio.sleep`), the opening of its first
 * subsection, what a reader sees under that heading on the page; unless that subsection is itself
 * a hit (its result shows the same words). Sections are numbered in page order, so the first
 * subsection is the next section when it sits under this one.
 */
async function subsectionLeads(ranked: readonly RankedSection[], shown: readonly SectionInfo[], excerpts: readonly string[], readers: readonly IndexReader[]): Promise<Array<string | null>> {
  const hits = new Set(ranked.map((hit) => `${hit.site ?? 0}:${hit.section}`));
  return Promise.all(
    ranked.map(async (hit, i) => {
      const reader = readers[hit.site ?? 0]!;
      const next = hit.section + 1;
      if (excerpts[i] !== '' || next >= reader.manifest.counts.sections || hits.has(`${hit.site ?? 0}:${next}`)) return null;
      const own = shown[i]!;
      const child = (await reader.sections([next])).get(next)!;
      const under = child.page === own.page && child.headingPath.length > own.headingPath.length && own.headingPath.every((title, k) => child.headingPath[k] === title);
      return under ? child.excerpt : null;
    }),
  );
}

/** Ranked sections (`info`: each one's entry) as hits: `url#anchor`, the query's words highlighted. */
function sectionHits<T extends RankedSection>(ranked: readonly T[], info: (hit: T) => SectionInfo, marks: QueryMarks, semantic: boolean): SiteHit[] {
  return ranked.map((hit) => {
    const entry = info(hit);
    return {
      section: hit.section,
      ...(hit.site === undefined ? {} : { site: hit.site }),
      url: sectionUrl(entry),
      title: entry.title,
      pageTitle: entry.pageTitle,
      headingPath: entry.headingPath,
      excerpt: entry.excerpt,
      highlights: highlightRanges(entry.excerpt, marks.read, marks.corrections, marks.analyzer),
      highlightQuery: marks.read,
      score: hit.score,
      semantic,
    };
  });
}

/** The index's typo table, its head and files fetched (once, verified) when a query has a word to correct; null without one. */
function typoTable(reader: IndexReader): ChunkedTypos | null {
  const ref = reader.manifest.typos;
  if (!ref) return null;
  const files = new Map<number, Promise<TypoGroup[]>>();
  const head = new Map<number, Promise<TypoFileEntry[]>>();
  return new ChunkedTypos(
    () =>
      once(head, 0, async () => {
        const entries = decodeTypoHead((await reader.typoHead())!, ref.name);
        entries.forEach((entry, i) => chunkRef(ref.name, { name: entry.file, bytes: entry.bytes }, `files[${i}]`));
        return entries;
      }),
    (i, entries) =>
      once(files, i, async () => {
        const entry = entries[i]!;
        return decodeTypoFile(await reader.chunk({ name: entry.file, bytes: entry.bytes }), entry.file, entry, entries[i + 1] ?? null);
      }),
  );
}

/** The keyword search option that keeps a scope's sections (none without one). */
export function passing(scope: FilterScope | null): { filter?: (doc: number) => boolean } {
  return scope ? { filter: (doc) => scope.mask[doc] === 1 } : {};
}

/** Open a site index over HTTP from its manifest URL. */
export async function openSiteSearch(manifestUrl: string | URL, fetchImpl?: typeof fetch): Promise<SiteSearch> {
  return SiteSearch.open(fetchLoader(manifestUrl, fetchImpl));
}
