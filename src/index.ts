/**
 * The package's programmatic API in Node (`import … from 'sgpt-search'`): embed texts, open a site
 * index and search it, rerank. The element is `sgpt-search/element`, the Vite plugin
 * `sgpt-search/vite`; everything else is internal and may change between versions.
 */
import { defaultModelSource, modelSource } from './build/default-model';
import { SiteIndex } from './build/site-query';
import { Embedder } from './embed/embedder';
import { SgptError, checkOptions } from './errors';
import { embedWorkers } from './embed/embed-workers';
import { documentSessions } from './embed/node-sessions';
import type { Mode, Role } from './embed/sgpt-settings';
import type { Device, Dtype, Embeddings } from './embed/types';
import { Reranker } from './rerank/reranker';

export { SgptError, isAbort, type ErrorCode } from './errors';
export { Embedder, SiteIndex, Reranker };
export { rerankHits, type QueryHit, type SearchOptions } from './build/site-query';
export { DEFAULT_RERANK_K, hitText } from './rerank/hit-text';
export type { SiteHit } from './index/site-search';
export type { Filters } from './extract/filters';
export type { Facets } from './index/filters';
export type { Manifest } from './index/format';
export type { Device, Dtype, Embeddings, Mode, Role };

export interface ModelOptions {
  /** Model folder, URL or hub id (default: the bundled sgpt-nano). */
  model?: string;
  /** symmetric | asymmetric (default: the model's config.json). */
  mode?: Mode;
  /** Node: 'cpu' (default 'auto' picks it). */
  device?: Device;
  /** Weights to load (default: the model's config, else fp32). */
  dtype?: Dtype;
  /** onnxruntime threads of each session (default: the runtime's choice; 1 when `workers` is given). */
  threads?: number;
  /**
   * Worker threads that embed long inputs beside this one, each with its own session (a call
   * starts one per 600,000 characters of text, and they are let go after 30 s without a call):
   * a number, or 'auto' for one per core the load average leaves free, as the CLI's `embed` and
   * `index` do. Default: none.
   */
  workers?: number | 'auto';
}

const MODEL_OPTIONS = ['model', 'mode', 'device', 'dtype', 'threads', 'workers'] as const satisfies ReadonlyArray<keyof ModelOptions>;

/**
 * Load an SGPT embedder: texts in, L2-normalised vectors out (dot product = cosine).
 *
 * @example Embed a query and two documents, and rank the documents by cosine
 * ```js
 * import { loadEmbedder } from 'sgpt-search';
 *
 * const embedder = await loadEmbedder();                         // the bundled sgpt-nano
 * const query = await embedder.embedQuery('how do I read a file line by line');
 * const docs = await embedder.embed(['Reading files: open() and readline()', 'Sorting a list'], 'document');
 * for (let row = 0; row < docs.rows; row++) {
 *   const vector = docs.vectors.subarray(row * docs.dims, (row + 1) * docs.dims);
 *   console.log(docs.owner[row], vector.reduce((sum, x, i) => sum + x * query[i], 0).toFixed(4));
 * }
 * await embedder.dispose();
 * ```
 *
 * @example Many documents: worker threads on the free cores (the same vectors, bit for bit)
 * ```js
 * const embedder = await loadEmbedder({ workers: 'auto' });
 * const texts = Array.from({ length: 3000 }, (_, i) => `Note ${i}. ${'Reading a file line by line with open(). '.repeat(20)}`);
 * const out = await embedder.embed(texts, 'document');           // 2.5 M characters: worker threads join in
 * console.log(out.rows, out.dims);                               // 3000 384
 * await embedder.dispose();
 * ```
 */
export async function loadEmbedder(options: ModelOptions = {}): Promise<Embedder> {
  checkOptions(options, 'options', MODEL_OPTIONS);
  const { model, mode, workers, ...load } = options;
  if (workers !== undefined && workers !== 'auto' && !(Number.isInteger(workers) && workers >= 0)) {
    throw new SgptError('INPUT_INVALID', `workers must be 'auto' or a whole number of threads, got ${typeof workers === 'string' ? JSON.stringify(workers) : String(workers)}`);
  }
  const threads = load.threads ?? 1;
  const sessions = workers === 'auto' ? documentSessions(threads) : workers ? { threads, sliceWorkers: embedWorkers(workers) } : {};
  return Embedder.load(modelSource(model), { ...load, ...sessions, ...(mode === undefined ? {} : { settings: { mode } }) });
}

/** One-shot: load the model, embed `texts` as `role` ('query' or 'document'), release the model. */
export async function embed(texts: readonly string[], role: Role, options: ModelOptions = {}): Promise<Embeddings> {
  const embedder = await loadEmbedder(options);
  try {
    return await embedder.embed(texts, role);
  } finally {
    await embedder.dispose();
  }
}

/**
 * Open the site index in `dir` (the `--out` of `sgpt-search index`): keyword, fused and reranked
 * search, the same ranking the element shows. Its model (the bundled one the index names, or
 * `model`) loads on the first semantic query. Several folders (a docs site and its blog, built
 * with one model) are searched as one index over all their sections, each hit naming its folder
 * by `site` (its position in the list); indexes of different models are INDEX_MODEL_MISMATCH.
 *
 * @example Search a built site's index
 * ```js
 * import { openSiteIndex } from 'sgpt-search';
 *
 * const index = await openSiteIndex('_build/html/sgpt');
 * for (const hit of await index.query('how do I read a file line by line', { limit: 3 })) {
 *   console.log(hit.score.toFixed(3), hit.url, hit.title);
 * }
 * await index.dispose();
 * ```
 */
export async function openSiteIndex(dir: string | readonly string[], options: { model?: string } = {}): Promise<SiteIndex> {
  checkOptions(options, "openSiteIndex's options", ['model']);
  return SiteIndex.open(dir, options.model);
}

/**
 * Load an SGPT-CE reranker (a causal LM folder, URL or hub id): `rerankHits(reranker, query, hits)`
 * reorders search hits by the query's log-probability given each hit; `reranker.rerank(query, texts)`
 * scores plain texts. The default is the default model's "-lm" sibling, which the package does not
 * ship: pass a causal LM.
 *
 * @example Rerank the top 10 of a site search
 * ```js
 * import { loadReranker, openSiteIndex, rerankHits } from 'sgpt-search';
 *
 * const index = await openSiteIndex('_build/html/sgpt');
 * const reranker = await loadReranker('models/gpt-neo-125m-lm');
 * const hits = await rerankHits(reranker, 'read a file', await index.query('read a file'));
 * console.log(hits.map((hit) => [hit.title, hit.rerankScore]));
 * await Promise.all([index.dispose(), reranker.dispose()]);
 * ```
 */
export async function loadReranker(model: string, options: Omit<ModelOptions, 'model' | 'mode' | 'workers'> = {}): Promise<Reranker> {
  checkOptions(options, "loadReranker's options", ['device', 'dtype', 'threads']);
  return Reranker.load(modelSource(model), options);
}

/** The bundled default model's folder (sgpt-nano), e.g. to copy it next to a site. */
export function defaultModel(): string {
  return defaultModelSource();
}
