/**
 * A SearchSource that passes on another source's stages, then reorders the last one's top k with
 * the worker's SGPT-CE reranker and yields it again as stage 'reranked'. The inner stages show at
 * once; the reranked order follows when the LM is done, or never if a newer query aborts it.
 */
import { SgptError } from '../errors';
import type { SearchSource, SearchStage } from './source';
import { DEFAULT_RERANK_K, hitText } from '../rerank/hit-text';
import type { RerankResult, SearchHit } from '../worker/protocol';

/** The worker call (SearchClient.rerank): scores `texts` for `query` with the causal LM at `model`. */
export interface RerankClient {
  rerank(model: string, query: string, texts: string[], signal?: AbortSignal): Promise<RerankResult>;
}

export interface RerankingOptions {
  /** Causal LM folder URL. */
  model: string;
  /** Results reordered (default 10); the rest stay below them in their order. */
  k?: number;
  /** What the LM reads of a hit (default: hitText, title and excerpt). */
  text?: (hit: SearchHit) => string;
}

export class RerankingSource implements SearchSource {
  constructor(
    private readonly inner: SearchSource,
    private readonly client: RerankClient,
    private readonly options: RerankingOptions,
  ) {}

  async *search(query: string, limit: number, signal: AbortSignal): AsyncIterable<SearchStage> {
    let last: SearchStage | undefined;
    for await (const stage of this.inner.search(query, limit, signal)) {
      last = stage;
      yield stage;
    }
    if (last === undefined || last.results.length < 2) return;
    const k = this.options.k ?? DEFAULT_RERANK_K;
    const head = last.results.slice(0, k);
    const text = this.options.text ?? hitText;
    const { order, scores } = await this.client.rerank(this.options.model, query, head.map(text), signal).catch((error: unknown) => {
      throw rerankFailure(error, this.options.model);
    });
    yield {
      stage: 'reranked',
      results: [...order.map((i) => ({ ...head[i]!, rerankScore: scores[i]! })), ...last.results.slice(k)],
      keywordMatch: last.keywordMatch,
    };
  }
}

/** A reranker that cannot load names the `rerank` attribute and `rerank-model`, as the CLI names its flags. */
function rerankFailure(error: unknown, model: string): unknown {
  if (!(error instanceof SgptError) || !['MODEL_NOT_FOUND', 'MODEL_INVALID'].includes(error.code)) return error;
  return new SgptError(error.code, `rerank needs a causal LM at ${model} (set rerank-model, or put the model's "-lm" sibling next to it): ${error.message}`, { cause: error });
}
