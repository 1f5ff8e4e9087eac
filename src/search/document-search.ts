/**
 * Search over documents given in the page (`<sgpt-search src=…>` / `.documents`, the drop-in
 * use): the same ranking as a site index (src/search/ranking) over a BM25 index built here, so
 * keyword results come at once, before any model, and the dense list (from the worker, over the
 * documents embedded so far) is fused in when it comes. Eval's `default` row runs this class too.
 * As a site's sections do, a document's `lang` picks its analysis, and a query in a language
 * reads that language's documents only; `weight` multiplies its keyword score and `keywords`
 * match like its title words.
 */
import type { AnalyzerOptions } from './analyzer';
import { Bm25Builder, Bm25Index, type Bm25BuildOptions, type Bm25Result } from './bm25';
import { highlightRanges, makeExcerpt, nearWords, scannedText, winningWindows, type TextWindow, type WindowFinder } from './excerpt';
import type { HybridFusionSettings, ScoredItem } from './fusion';
import { DEFAULT_LANGUAGE, languageCode, languagesLoaded, loadLanguages } from './languages';
import type { Scored } from './topk';
import { FUSED_KEYWORD_SEARCH, KEYWORD_SEARCH, denseKnows, fusedTop, fusionDepth, titledFirst, type TitledHit } from './ranking';
import { documentEmbeddingText, isPageHead, keywordEntry, type KeywordEntry } from './texts';

export type DocumentId = string | number;

/** What the search reads of a document: plain text, never markup. */
export interface TextDocument {
  id: DocumentId;
  title: string;
  text: string;
  /** Its language (a `lang` value, as a page's `<html lang>`; default English). */
  lang?: string;
  /** Multiplies its keyword score (src/extract/weights; default 1). */
  weight?: number;
  /** Aliases that match like its title's words. */
  keywords?: readonly string[];
  /** Where a site section sits (eval's site corpora): the exact-title boost puts the section titled as its page before others. Absent: a page. */
  place?: { pageTitle: string; headingPath: readonly string[] };
}

export interface DocumentHit {
  /** Position of the document in the list the search was built from. */
  doc: number;
  /** BM25 score (keyword results) or the fused score; a document titled as the query comes first with its own (SiteHit's). */
  score: number;
  /** A plain-text window of the text near the query's words, and the [start, end) offsets to mark in it. */
  excerpt: string;
  highlights: Array<[number, number]>;
  /** The query as `highlights` read it (its last word a word or a prefix: src/index/site-search SiteHit's). */
  highlightQuery: string;
  /** True when the ranking used the query's meaning. */
  semantic: boolean;
}

/** A document of the dense list: its cosine and, when known, which of its `chunks` windows won. */
export interface DenseHit extends ScoredItem<DocumentId> {
  chunk?: number;
  chunks?: number;
}

export class DocumentSearch {
  private readonly keyword: Bm25Index;
  private readonly positions: Map<DocumentId, number>;

  /**
   * Their languages' analyses must be loaded (`open` sees to it; English needs none). `keyword`:
   * their keyword index when built already (`open` builds a big set's in slices).
   */
  constructor(
    readonly documents: readonly TextDocument[],
    keyword?: Bm25Index,
  ) {
    const entries = keyword ? [] : documents.map(documentEntry);
    this.keyword = keyword ?? Bm25Index.build(entries.map((e) => e.text), keywordOptions(documents), entries.map((e) => e.names));
    this.positions = new Map(documents.map((doc, i) => [doc.id, i]));
  }

  /**
   * The search over `documents`: at once when their languages' analyses are in (always for
   * English) and they are not many, else once the analyses are fetched and a big set is indexed
   * in slices of SLICE_MS, the page's main thread free between them (20,000 documents took one
   * block of 3 s).
   */
  static open(documents: readonly TextDocument[]): DocumentSearch | Promise<DocumentSearch> {
    const codes = new Set(documents.map((doc) => languageCode(doc.lang)));
    const big = documents.reduce((sum, doc) => sum + doc.text.length, 0) > SLICED_CHARS;
    if (languagesLoaded(codes) && !big) return new DocumentSearch(documents);
    return (languagesLoaded(codes) ? Promise.resolve() : loadLanguages(codes)).then(async () => new DocumentSearch(documents, big ? await slicedIndex(documents) : undefined));
  }

  /**
   * BM25 as you type (no model needed). `language` (a `lang` value): the query is read as that
   * language's documents were and only they are returned, when there are any; else every document.
   */
  keywordSearch(query: string, limit: number, language?: string): DocumentHit[] {
    const { ranked, result } = this.instantRanking(query, limit, language);
    return this.hits(
      ranked,
      result.read,
      result.corrections,
      this.keyword.language(language).analyzer,
      false,
    );
  }

  /** keywordSearch's ranking (positions and BM25 scores, best first), with the keyword result it came from. */
  instantRanking(query: string, limit: number, language?: string): { ranked: Array<{ doc: number; score: number }>; result: Bm25Result } {
    const result = this.keyword.searchWithMatch(query, limit, { ...KEYWORD_SEARCH, language });
    return { ranked: this.titled(result.hits.map((hit) => ({ doc: hit.index, score: hit.score })), result, limit, (hit) => hit.score), result };
  }

  /**
   * The product's fused ranking (positions and scores, best first). `dense`: document ids with
   * their cosine, best first; ids not in this search's documents are ignored, documents missing
   * from it (not embedded yet) rank by keyword alone.
   */
  rank(query: string, dense: readonly ScoredItem<DocumentId>[], fusion: HybridFusionSettings, limit: number, language?: string): Array<{ doc: number; score: number }> {
    return this.ranked(query, dense, fusion, limit, language).ranked;
  }

  /**
   * `rank`, with the words the keyword half corrected misspelled ones to and how the query was
   * read (its last word, its language). Both lists hold only the query language's documents; in a
   * language the model does not know (ranking's denseKnows) the dense list is left out, as over a
   * site index.
   */
  private ranked(query: string, dense: readonly ScoredItem<DocumentId>[], fusion: HybridFusionSettings, limit: number, language: string | undefined) {
    const keyword = this.keywordRanking(query, fusionDepth(limit), language);
    const { code, allowed, analyzer } = this.keyword.language(language);
    const nearest = denseKnows(code) ? this.densePositions(dense).filter((hit) => allowed === null || allowed(hit.id)) : [];
    const { top, scoreOf } = fusedTop(query, keyword, nearest, fusion, limit);
    const ranked = top.map((hit) => ({ doc: hit.id, score: hit.score }));
    return { ranked: this.titled(ranked, keyword, limit, (hit) => scoreOf(hit.index)), corrections: keyword.corrections, read: keyword.read, analyzer };
  }

  /** Ranked documents with those titled as the query first (src/search/ranking's exact-title boost); `score` gives one the ranking lacked its score. */
  private titled(ranked: Array<{ doc: number; score: number }>, keyword: Bm25Result, limit: number, score: (hit: Scored) => number): Array<{ doc: number; score: number }> {
    return titledFirst(ranked, keyword, limit, { seen: (hit) => boostView(this.documents[hit.doc]!), idOf: (hit) => hit.doc, extra: (hit) => ({ doc: hit.index, score: score(hit) }) });
  }

  /** The keyword half of the fused ranking: positions and BM25 scores, with how well the query matched. */
  keywordRanking(query: string, depth: number, language?: string): Bm25Result {
    return this.keyword.searchWithMatch(query, depth, { ...FUSED_KEYWORD_SEARCH, language });
  }

  /** A dense list by document id as positions in this search's documents (unknown ids dropped). */
  densePositions(dense: readonly ScoredItem<DocumentId>[]): ScoredItem<number>[] {
    return dense.flatMap(({ id, score }) => {
      const doc = this.positions.get(id);
      return doc === undefined ? [] : [{ id: doc, score }];
    });
  }

  /**
   * `rank`, with excerpts and highlights. A document the model ranked without any of the query's
   * words shows the window whose embedding won (`windows`: where the model's windows lie, the worker's tokenizer).
   */
  async fusedSearch(query: string, dense: readonly DenseHit[], fusion: HybridFusionSettings, limit: number, language?: string, windows: WindowFinder | null = null): Promise<DocumentHit[]> {
    const { ranked, corrections, read, analyzer } = this.ranked(query, dense, fusion, limit, language);
    const won = new Map(dense.map((hit) => [this.positions.get(hit.id), hit]));
    const items = ranked.map(({ doc }) => {
      const document = this.documents[doc]!;
      const { chunk, chunks } = won.get(doc) ?? {};
      // What excerpts read of a huge document (its first windows are the whole one's).
      const text = scannedText(document.text);
      return { text, embedded: documentEmbeddingText({ title: document.title, text }), chunk, chunks, cut: text.length < document.text.length };
    });
    return this.hits(ranked, read, corrections, analyzer, true, await winningWindows(items, nearWords(read, corrections), windows, analyzer));
  }

  /** `read` and `analyzer`: how the query was read (Bm25Result's `read`; its language's analysis), for excerpts and highlighting. */
  private hits(ranked: Array<{ doc: number; score: number }>, read: string, corrections: readonly string[], analyzer: AnalyzerOptions, semantic: boolean, windows: ReadonlyArray<TextWindow | null> = []): DocumentHit[] {
    return ranked.map(({ doc, score }, i) => {
      const excerpt = makeExcerpt(this.documents[doc]!.text, nearWords(read, corrections), { window: windows[i] ?? null, analyzer });
      return { doc, score, excerpt, highlights: highlightRanges(excerpt, read, corrections, analyzer), highlightQuery: read, semantic };
    });
  }
}

/** A set with more text than this (characters) is indexed in slices: one block of its size would freeze the page for a second or more. */
export const SLICED_CHARS = 2_000_000;
/** How long one slice of that indexing may hold the main thread. */
const SLICE_MS = 25;

/** How the keyword index reads `documents`: each one's language and keyword weight, where any differs from the default. */
function keywordOptions(documents: readonly TextDocument[]): Bm25BuildOptions {
  const codes = documents.map((doc) => languageCode(doc.lang));
  const weights = documents.map((doc) => doc.weight ?? 1);
  return {
    ...(codes.some((code) => code !== DEFAULT_LANGUAGE) ? { languages: codes } : {}),
    ...(weights.some((w) => w !== 1) ? { weights } : {}),
  };
}

/** The keyword index of `documents`, as Bm25Index.build makes it, giving the event loop a turn every SLICE_MS. */
async function slicedIndex(documents: readonly TextDocument[]): Promise<Bm25Index> {
  const builder = new Bm25Builder(keywordOptions(documents));
  let since = performance.now();
  for (const doc of documents) {
    const { text, names } = documentEntry(doc);
    builder.add(text, names);
    if (performance.now() - since > SLICE_MS) {
      await new Promise((done) => setTimeout(done, 0));
      since = performance.now();
    }
  }
  return builder.finish();
}

/** What the keyword index reads of a document, and its title's name keys. */
function documentEntry(doc: TextDocument): KeywordEntry {
  return keywordEntry(doc, doc.place?.headingPath);
}

/** How the exact-title boost sees a document. */
function boostView(doc: TextDocument): TitledHit {
  return { title: doc.title, pageHead: doc.place === undefined || isPageHead(doc.title, doc.place.pageTitle, doc.place.headingPath) };
}
