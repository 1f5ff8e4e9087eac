/**
 * Retrieval methods the eval runner can score. A method turns the data set into a run (query id
 * -> document ids, best first). Methods can build on each other through `ctx.run(name)`, which
 * computes each run once, so `hybrid` reuses the `bm25` and `dense` runs; `ctx.scored(name)` gives
 * the scores behind a run (bm25, dense) for score-based fusion.
 *
 * To add a method (e.g. `rerank`): write an `EvalMethod` and add it to METHODS in ./registry.
 */
import { SgptError } from '../errors';
import type { Reranker } from '../rerank/reranker';
import type { Embeddings, Role } from '../embed/types';
import { Bm25Index } from '../search/bm25';
import { DocumentSearch } from '../search/document-search';
import { DEFAULT_FUSION, fuseHybrid, resolveFusion, type HybridFusionSettings, type ScoredItem, type WeightedFusion } from '../search/fusion';
import type { VectorStore } from '../search/vector-store';
import { documentText, type BeirDataset } from './beir';
import type { Run } from './metrics';

/** What the runner needs of the engine's Embedder. */
export interface EvalEncoder {
  readonly modelId: string;
  readonly dims: number;
  embed(texts: string[], role: Role, opts?: { batchSize?: number; onProgress?: (done: number, total: number) => void }): Promise<Embeddings>;
}

export interface EvalSettings {
  /** Documents kept per query (default 100: Recall@100 needs them). */
  depth: number;
  k1: number;
  b: number;
  /** Dense share of the hybrid fusions (hybrid, hybrid-cc), in [0, 1]. */
  fusionWeight: number;
  /** RRF rank constant. */
  rrfK: number;
  /** Top documents of the product's fusion that the `rerank` method reorders per query (default 10). */
  rerankK: number;
}

export interface EvalContext {
  readonly dataset: BeirDataset;
  readonly settings: EvalSettings;
  /** The model, loaded on first use. */
  encoder(): Promise<EvalEncoder>;
  /**
   * The corpus's document vectors (ids = corpus ids), embedded on first use or read from the
   * cache: of BEIR's "title text" (default), or of the text the product embeds ('product').
   */
  documentVectors(texts?: 'beir' | 'product'): Promise<VectorStore>;
  /** `make()` computed once per evaluation under `key` (shared work between methods). */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** The SGPT-CE reranker (a causal LM), loaded on first use. */
  reranker(): Promise<Reranker>;
  /** Another method's run, computed once per evaluation. */
  run(method: string): Promise<Run>;
  /** nDCG@10 of a query's ranking (document ids, best first) as this evaluation scores it (by document, or by page: ./scoring). */
  judge(query: string, ranking: readonly string[]): number;
  /** The scored run of a method that has scores (see `EvalMethod.scored`), computed once per evaluation. */
  scored(method: string): Promise<ScoredRun>;
  /** Progress for a person watching (stderr in the CLI). */
  log(message: string): void;
}

export interface EvalMethod {
  name: string;
  /** One line for --help. */
  description: string;
  /** Whether it needs the model (lets `--methods bm25` skip loading one). */
  needsModel: boolean;
  /** Whether it fuses with settings.fusionWeight (lets a --fusion-weight list give a row per weight). */
  fusion?: WeightedFusion['method'];
  run(ctx: EvalContext): Promise<Run>;
  /** The run with each document's score, best first (first-stage methods; fusion by scores reads it). */
  scored?(ctx: EvalContext): Promise<ScoredRun>;
}

/** Query id -> documents with their scores, best first. */
export type ScoredRun = ReadonlyMap<string, readonly ScoredItem<string>[]>;

/** A method whose run is its scored run's ids; the runner computes the scored run once. */
function scoredMethod(method: Omit<EvalMethod, 'run' | 'scored'> & { scored(ctx: EvalContext): Promise<ScoredRun> }): EvalMethod {
  return {
    ...method,
    async run(ctx) {
      const scored = await ctx.scored(method.name);
      return new Map([...scored].map(([query, items]) => [query, items.map((item) => item.id)]));
    },
  };
}

export const bm25 = scoredMethod({
  name: 'bm25',
  description: 'BM25 over title + text (Lucene analysis, Porter stemming)',
  needsModel: false,
  async scored({ dataset, settings }) {
    const index = Bm25Index.build(dataset.corpus.map(documentText), { k1: settings.k1, b: settings.b });
    return new Map(
      dataset.queries.map((query) => [
        query.id,
        index.search(query.text, settings.depth).map((hit) => ({ id: dataset.corpus[hit.index]!.id, score: hit.score })),
      ]),
    );
  },
});

export const dense = scoredMethod({
  name: 'dense',
  description: 'SGPT embeddings, exact cosine search (documents and queries in their roles)',
  needsModel: true,
  async scored(ctx) {
    return denseRun(ctx, await ctx.documentVectors());
  },
});

/** Each query's vector (role query), embedded once per evaluation. */
function queryVectors(ctx: EvalContext): Promise<Float32Array[]> {
  return ctx.once('query-vectors', async () => {
    const encoder = await ctx.encoder();
    const { queries } = ctx.dataset;
    ctx.log(`embedding ${queries.length} queries`);
    const embedded = await encoder.embed(
      queries.map((query) => query.text),
      'query',
    );
    return firstRowPerText(embedded, queries.length);
  });
}

async function denseRun(ctx: EvalContext, store: VectorStore): Promise<ScoredRun> {
  const vectors = await queryVectors(ctx);
  return new Map(
    ctx.dataset.queries.map((query, i) => [
      query.id,
      store.search(vectors[i]!, ctx.settings.depth).map((hit) => ({ id: String(hit.id), score: hit.score })),
    ]),
  );
}

/**
 * What the product ranks with, on this corpus as documents given in the page: its keyword search
 * (title weighted, search as you type) and the dense list over the text the product embeds.
 */
export function productLists(ctx: EvalContext): Promise<{ search: DocumentSearch; dense: ScoredRun }> {
  return ctx.once('product-lists', async () => {
    const search = await DocumentSearch.open(ctx.dataset.corpus); // the analyses of the corpus's languages loaded
    return { search, dense: await denseRun(ctx, await ctx.documentVectors('product')) };
  });
}

/** The instant keyword results (DocumentSearch.keywordSearch: search as you type, before the model is in), what the element shows first. */
export const instant: EvalMethod = {
  name: 'instant',
  description: "the product's instant keyword results (search as you type, before the model: what the element shows first)",
  needsModel: false,
  async run(ctx) {
    const search = await DocumentSearch.open(ctx.dataset.corpus);
    const { corpus } = ctx.dataset;
    return new Map(ctx.dataset.queries.map((query) => [query.id, search.instantRanking(query.text, ctx.settings.depth).ranked.map((hit) => corpus[hit.doc]!.id)]));
  },
};

/** The product's ranking with `fusion` (src/search/document-search, as the element and site index rank). */
function productMethod(name: string, description: string, fusion: () => HybridFusionSettings): EvalMethod {
  return {
    name,
    description,
    needsModel: true,
    async run(ctx) {
      const { search, dense } = await productLists(ctx);
      const { corpus } = ctx.dataset;
      return new Map(
        ctx.dataset.queries.map((query) => [query.id, search.rank(query.text, dense.get(query.id) ?? [], fusion(), ctx.settings.depth).map((hit) => corpus[hit.doc]!.id)]),
      );
    },
  };
}

export const adaptive = productMethod('adaptive', "adaptive fusion (a dense share per query) of the product's keyword and dense lists", () => resolveFusion('adaptive', undefined));
export const productDefault = productMethod(
  'default',
  `the product's ranking as shipped (${DEFAULT_FUSION.method} fusion; the product's texts and search-as-you-type keywords)`,
  () => DEFAULT_FUSION,
);

/** Dense shares the `oracle` method tries per query: 0, 0.05, …, 1. */
export const ORACLE_SHARES: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);

/**
 * A bound, not a ranking: per query, the product's ranking (as `default` ranks, title boost and
 * all) at whichever fixed dense share of ORACLE_SHARES gives the best nDCG@10 as the evaluation
 * scores it (by document or by page), chosen with the judgements (the lowest such share).
 * Adaptive fusion is a convex fusion whose share is chosen per query, so no fusion of the
 * product's two lists scores much above this row (only a share between two of these steps
 * could): when it is short of a target, the lists are the limit, not the fusion. Its R@100 and
 * MRR@10 come along with the chosen share and mean little.
 */
export const oracle: EvalMethod = {
  name: 'oracle',
  description: "a bound, not a ranking: each query at the fixed dense share (0, 0.05, …, 1) of the product's fusion that its judgements score best",
  needsModel: true,
  async run(ctx) {
    const { search, dense } = await productLists(ctx);
    const { corpus } = ctx.dataset;
    return new Map(
      ctx.dataset.queries.map((query) => {
        let best: string[] = [];
        let bestScore = -1;
        for (const semanticWeight of ORACLE_SHARES) {
          const ids = search.rank(query.text, dense.get(query.id) ?? [], { method: 'convex', semanticWeight }, ctx.settings.depth).map((hit) => corpus[hit.doc]!.id);
          const score = ctx.judge(query.id, ids);
          if (score > bestScore) [best, bestScore] = [ids, score];
        }
        return [query.id, best];
      }),
    );
  },
};

/** bm25 and dense fused per query with `fusion` at settings.fusionWeight (the site search's fusion, src/search/fusion). */
function hybridMethod(name: string, fusion: WeightedFusion['method'], description: string): EvalMethod {
  return {
    name,
    description,
    needsModel: true,
    fusion,
    async run(ctx) {
      const [keyword, semantic] = await Promise.all([ctx.scored('bm25'), ctx.scored('dense')]);
      const { fusionWeight, rrfK, depth } = ctx.settings;
      return new Map(
        ctx.dataset.queries.map((query) => [
          query.id,
          fuseHybrid(keyword.get(query.id) ?? [], semantic.get(query.id) ?? [], { method: fusion, semanticWeight: fusionWeight }, { k: rrfK, limit: depth }).map(
            (hit) => hit.id,
          ),
        ]),
      );
    },
  };
}

export const hybrid = hybridMethod('hybrid', 'rrf', 'weighted reciprocal-rank fusion of bm25 and dense (--rrf-k)');
export const hybridCc = hybridMethod('hybrid-cc', 'convex', 'convex combination of bm25 and dense scores, each min-max normalised over its run (top 100)');

/** The eval method that runs each fixed-weight fusion method. */
export const HYBRID_METHODS: Readonly<Record<WeightedFusion['method'], string>> = { rrf: hybrid.name, convex: hybridCc.name };

/**
 * One vector per query. A query longer than the model's window is chunked by the engine; the
 * first window stands for it (queries that long are rare and truncation is what SGPT does).
 */
function firstRowPerText(embedded: Embeddings, texts: number): Float32Array[] {
  const out: (Float32Array | undefined)[] = Array.from({ length: texts }, () => undefined);
  for (let row = embedded.rows - 1; row >= 0; row--) {
    out[embedded.owner[row]!] = embedded.vectors.subarray(row * embedded.dims, (row + 1) * embedded.dims);
  }
  return out.map((vector, i) => {
    if (vector === undefined) throw new SgptError('INTERNAL', `the model returned no vector for query ${i}`);
    return vector;
  });
}
