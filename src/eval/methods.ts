/**
 * Retrieval methods the eval runner can score. A method turns the data set into a run (query id
 * -> document ids, best first). Methods can build on each other through `ctx.run(name)`, which
 * computes each run once, so `hybrid` reuses the `bm25` and `dense` runs.
 *
 * To add a method (e.g. `rerank`): write an `EvalMethod` and add it to METHODS.
 */
import { SgptError } from '../errors';
import { rerankMethod } from '../rerank/eval-method';
import type { Reranker } from '../rerank/reranker';
import type { Embeddings, Role } from '../embed/types';
import { Bm25Index } from '../search/bm25';
import { hybridFusion } from '../search/fusion';
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
  /** Dense share of the hybrid fusion, in [0, 1] (0.5 = plain RRF). */
  fusionWeight: number;
  /** RRF rank constant. */
  rrfK: number;
  /** Documents of hybrid the `rerank` method reorders per query (default 10). */
  rerankK: number;
}

export interface EvalContext {
  readonly dataset: BeirDataset;
  readonly settings: EvalSettings;
  /** The model, loaded on first use. */
  encoder(): Promise<EvalEncoder>;
  /** The corpus's document vectors (ids = corpus ids), embedded on first use or read from the cache. */
  documentVectors(): Promise<VectorStore>;
  /** The SGPT-CE reranker (a causal LM), loaded on first use. */
  reranker(): Promise<Reranker>;
  /** Another method's run, computed once per evaluation. */
  run(method: string): Promise<Run>;
  /** Progress for a person watching (stderr in the CLI). */
  log(message: string): void;
}

export interface EvalMethod {
  name: string;
  /** One line for --help. */
  description: string;
  /** Whether it needs the model (lets `--methods bm25` skip loading one). */
  needsModel: boolean;
  run(ctx: EvalContext): Promise<Run>;
}

const bm25: EvalMethod = {
  name: 'bm25',
  description: 'BM25 over title + text (Lucene analysis, Porter stemming)',
  needsModel: false,
  async run({ dataset, settings }) {
    const index = Bm25Index.build(dataset.corpus.map(documentText), { k1: settings.k1, b: settings.b });
    return new Map(
      dataset.queries.map((query) => [query.id, index.search(query.text, settings.depth).map((hit) => dataset.corpus[hit.index]!.id)]),
    );
  },
};

const dense: EvalMethod = {
  name: 'dense',
  description: 'SGPT embeddings, exact cosine search (documents and queries in their roles)',
  needsModel: true,
  async run(ctx) {
    const store = await ctx.documentVectors();
    const encoder = await ctx.encoder();
    const { queries } = ctx.dataset;
    ctx.log(`embedding ${queries.length} queries`);
    const embedded = await encoder.embed(
      queries.map((query) => query.text),
      'query',
    );
    const vectors = firstRowPerText(embedded, queries.length);
    return new Map(
      queries.map((query, i) => [
        query.id,
        store.search(vectors[i]!, ctx.settings.depth).map((hit) => String(hit.id)),
      ]),
    );
  },
};

const hybrid: EvalMethod = {
  name: 'hybrid',
  description: 'weighted reciprocal-rank fusion of bm25 and dense',
  needsModel: true,
  async run(ctx) {
    const [keyword, semantic] = await Promise.all([ctx.run('bm25'), ctx.run('dense')]);
    const { fusionWeight, rrfK, depth } = ctx.settings;
    return new Map(
      ctx.dataset.queries.map((query) => [
        query.id,
        hybridFusion(keyword.get(query.id) ?? [], semantic.get(query.id) ?? [], fusionWeight, { k: rrfK, limit: depth }).map((hit) => hit.id),
      ]),
    );
  },
};

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

export const METHODS: readonly EvalMethod[] = [bm25, dense, hybrid, rerankMethod];

export function findMethod(name: string): EvalMethod {
  const method = METHODS.find((candidate) => candidate.name === name);
  if (method === undefined) {
    throw new SgptError('INPUT_INVALID', `unknown eval method "${name}"; choose from ${METHODS.map((m) => m.name).join(', ')}`);
  }
  return method;
}
