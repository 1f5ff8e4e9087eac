/**
 * Where results come from. The element asks a SearchSource for a query's results and renders each
 * stage it yields: a source that improves its answer (e.g. a reranker over the semantic top-k)
 * yields again with a later stage, and a source over a prebuilt index can replace the worker's
 * in-memory search without the element changing.
 */
import { SgptError } from '../errors';
import type { DocumentHit, DocumentSearch } from '../search/document-search';
import type { HybridFusionSettings } from '../search/fusion';
import { fusionDepth, keywordMatched } from '../search/ranking';
import type { SearchClient } from '../worker/client';
import type { SearchDocument, SearchHit } from '../worker/protocol';

export interface SearchStage {
  /** 'semantic' for the bi-encoder ranking; later stages name themselves. */
  stage: string;
  results: SearchHit[];
  /**
   * Whether the keyword search (as you type: prefix, typos) found any document for the query
   * (src/search/ranking keywordMatched). False on a later stage: its results are the closest in
   * meaning to words no document holds (a paraphrase, or nonsense), which the element says above them.
   */
  keywordMatch: boolean;
}

export interface SearchSource {
  /** Yields one or more stages, best last; rejects with ABORTED once `signal` aborts. */
  search(query: string, limit: number, signal: AbortSignal): AsyncIterable<SearchStage>;
}

/**
 * Documents given in the page (`src` / `.documents`): keyword results at once from a BM25 index
 * built on the main thread (no model needed), then the worker's dense list over the documents it
 * has embedded so far, fused with them as a site index does (src/search/document-search).
 */
export class DocumentSource implements SearchSource {
  /**
   * @param engine the search over the current documents (null: none yet)
   * @param model resolves once the worker has the model (rejects if it fails to load)
   * @param fusion the fusion to use, read at each query
   * @param language the language searched (a `lang` value), read at each query (undefined: every document, read as the first's language)
   */
  constructor(
    private readonly client: Pick<SearchClient, 'search' | 'windows'>,
    private readonly engine: () => DocumentSearch | null,
    private readonly model: () => Promise<unknown>,
    private readonly fusion: () => HybridFusionSettings,
    private readonly language: () => string | undefined = () => undefined,
  ) {}

  async *search(query: string, limit: number, signal: AbortSignal): AsyncIterable<SearchStage> {
    const engine = this.engine();
    if (engine === null) return;
    const documents = engine.documents as readonly SearchDocument[];
    const toHit = (hit: DocumentHit): SearchHit => {
      const doc = documents[hit.doc]!;
      return { id: doc.id, title: doc.title, ...(doc.url === undefined ? {} : { url: doc.url }), excerpt: hit.excerpt, highlights: hit.highlights, highlightQuery: hit.highlightQuery, score: hit.score, semantic: hit.semantic };
    };
    const language = this.language();
    const keyword = engine.keywordSearch(query, limit, language);
    const keywordMatch = keywordMatched(keyword);
    yield { stage: 'keyword', results: keyword.map(toHit), keywordMatch };
    await this.model();
    abortIf(signal);
    const dense = await this.client.search(query, fusionDepth(limit), signal);
    abortIf(signal);
    const windows = async (texts: string[]) => (await this.client.windows(texts, signal)).windows;
    const fused = await engine.fusedSearch(query, dense.hits, this.fusion(), limit, language, windows);
    abortIf(signal);
    yield { stage: 'semantic', results: fused.map(toHit), keywordMatch };
  }
}

export function abortIf(signal: AbortSignal): void {
  if (signal.aborted) throw new SgptError('ABORTED', 'superseded by a newer query');
}
