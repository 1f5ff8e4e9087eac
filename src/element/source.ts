/**
 * Where results come from. The element asks a SearchSource for a query's results and renders each
 * stage it yields: a source that improves its answer (e.g. a reranker over the semantic top-k)
 * yields again with a later stage, and a source over a prebuilt index can replace the worker's
 * in-memory search without the element changing.
 */
import type { SearchClient } from '../worker/client';
import type { SearchHit } from '../worker/protocol';

export interface SearchStage {
  /** 'semantic' for the bi-encoder ranking; later stages name themselves. */
  stage: string;
  results: SearchHit[];
}

export interface SearchSource {
  /** Yields one or more stages, best last; rejects with ABORTED once `signal` aborts. */
  search(query: string, limit: number, signal: AbortSignal): AsyncIterable<SearchStage>;
}

/** The worker's embedding search over the documents it holds. */
export class SemanticSource implements SearchSource {
  constructor(private readonly client: SearchClient) {}

  async *search(query: string, limit: number, signal: AbortSignal): AsyncIterable<SearchStage> {
    const result = await this.client.search(query, limit, signal);
    yield { stage: 'semantic', results: result.hits };
  }
}
