/**
 * The eval runner (Node): load a BEIR data set, run the chosen methods (each at most once, even
 * when another method builds on it), score each run with nDCG@10, Recall@100 and MRR@10.
 * Models load lazily, so a keyword-only eval never touches one.
 */
import { Embedder } from '../embed/embedder';
import type { Mode } from '../embed/sgpt-settings';
import type { Dtype } from '../embed/types';
import { SgptError } from '../errors';
import { modelFolderHash } from '../index/model-ref';
import { DEFAULT_RERANK_K } from '../rerank/hit-text';
import { Reranker } from '../rerank/reranker';
import { DEFAULT_BM25_PARAMS } from '../search/bm25';
import { DEFAULT_FIXED_WEIGHT, DEFAULT_FUSION, DEFAULT_RRF_K } from '../search/fusion';
import { VectorStore } from '../search/vector-store';
import { documentText, loadBeir, productEmbeddingText, type BeirDataset } from './beir';
import { cacheKey, readCached, writeCached } from './embedding-cache';
import { HYBRID_METHODS, type EvalContext, type EvalMethod, type EvalSettings, type ScoredRun } from './methods';
import { findMethod } from './registry';
import { evaluateRun, ndcgAt, type Run, type Scores } from './metrics';
import { scoredRun, scoringOf, type Scoring, type ScoringUnit } from './scoring';

/** First stages, the fixed-weight fusions, adaptive fusion, and the product's ranking as shipped (`default`). */
export const DEFAULT_METHODS: readonly string[] = ['bm25', 'dense', 'hybrid', 'hybrid-cc', 'adaptive', 'default'];

/** The fusion method a --fusion-weight list sweeps when no fixed-weight method is chosen. */
const SWEPT = HYBRID_METHODS[DEFAULT_FUSION.method === 'adaptive' ? 'convex' : DEFAULT_FUSION.method];

export const DEFAULT_EVAL_SETTINGS: Readonly<EvalSettings> = {
  depth: 100,
  k1: DEFAULT_BM25_PARAMS.k1,
  b: DEFAULT_BM25_PARAMS.b,
  fusionWeight: DEFAULT_FIXED_WEIGHT,
  rrfK: DEFAULT_RRF_K,
  rerankK: DEFAULT_RERANK_K,
};

export interface EvalOptions {
  /** BEIR data set folder. */
  data: string;
  /** qrels split (default "test"). */
  split?: string;
  methods?: readonly string[];
  /** Embedding model (folder, URL or hub id); needed by dense / hybrid. */
  model?: string;
  /** Causal LM for `rerank`. */
  rerankModel?: string;
  mode?: Mode;
  maxLength?: number;
  dtype?: Dtype;
  threads?: number;
  batchSize?: number;
  settings?: Partial<EvalSettings>;
  /** Evaluate only the first N judged queries. */
  limitQueries?: number;
  /** What a ranking is scored as: its documents (default), or the pages they are on (./scoring; each record needs its "url"). */
  unit?: ScoringUnit;
  /**
   * Dense shares to score the fusion methods with (a sweep for choosing an index's fusion
   * weight): rows "<method>@w" replace each fusion method's row (hybrid, hybrid-cc; the default
   * fusion's method when none is chosen), reusing the bm25 and dense runs. Methods built on a
   * fusion (rerank) still use settings.fusionWeight.
   */
  sweepWeights?: readonly number[];
  /** Where document embeddings are cached; null turns the cache off. */
  cacheDir: string | null;
  log?: (message: string) => void;
}

export interface MethodScores extends Scores {
  method: string;
  /** Wall time of the method, including any run it builds on that was not computed yet. */
  seconds: number;
}

export interface EvalReport {
  data: string;
  split: string;
  documents: number;
  /** Queries run (after --limit-queries). */
  queries: number;
  /** What the rankings were scored as (./scoring). */
  unit: ScoringUnit;
  model: string | null;
  results: MethodScores[];
}

function limitQueries(dataset: BeirDataset, limit: number | undefined): BeirDataset {
  if (limit === undefined) return dataset;
  if (!Number.isInteger(limit) || limit < 1) throw new SgptError('INPUT_INVALID', `query limit must be a positive integer, got ${limit}`);
  const queries = dataset.queries.slice(0, limit);
  const qrels = new Map(queries.map((query) => [query.id, dataset.qrels.get(query.id)!]));
  return { ...dataset, queries, qrels };
}

/** An evaluation's context (the data set, lazily loaded models and memoised runs), for runEval and for tools that fit on eval runs (scripts/fit-fusion.ts). */
export interface OpenEval {
  ctx: EvalContext;
  dataset: BeirDataset;
  settings: EvalSettings;
  /** What rankings are scored as. */
  scoring: Scoring;
  /** The embedder's model id, loading it if no method has. */
  modelId(): Promise<string>;
  dispose(): Promise<void>;
}

export async function openEval(options: Omit<EvalOptions, 'methods' | 'sweepWeights'>): Promise<OpenEval> {
  const log = options.log ?? (() => undefined);
  const settings: EvalSettings = { ...DEFAULT_EVAL_SETTINGS, ...options.settings };
  const dataset = limitQueries(await loadBeir(options.data, options.split ? { split: options.split } : {}), options.limitQueries);
  log(`${options.data}: ${dataset.corpus.length} documents, ${dataset.queries.length} queries (${dataset.split})`);
  const scoring = scoringOf(dataset, options.unit ?? 'document');
  if (dataset.unknownDocs > 0) log(`warning: ${dataset.unknownDocs} judgement(s) of ${dataset.split} name documents not in corpus.jsonl; they count as never found`);

  let embedder: Promise<Embedder> | undefined;
  let reranker: Promise<Reranker> | undefined;
  const vectors = new Map<'beir' | 'product', Promise<VectorStore>>();
  const shared = new Map<string, Promise<unknown>>();
  const runs = new Map<string, Promise<Run>>();
  const scoredRuns = new Map<string, Promise<ScoredRun>>();
  // A method's ranking and its scores (for a fusion) are two runs of one method: said once.
  const announced = new Set<string>();
  const announce = (name: string) => {
    if (!announced.has(name)) log(`running ${name}`);
    announced.add(name);
  };

  const loadEmbedder = () => {
    if (options.model === undefined) throw new SgptError('INPUT_INVALID', 'this evaluation needs a model (--model)');
    return (embedder ??= Embedder.load(options.model, {
      settings: { ...(options.mode ? { mode: options.mode } : {}), ...(options.maxLength ? { maxLength: options.maxLength } : {}) },
      ...(options.dtype ? { dtype: options.dtype } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
    }));
  };

  const ctx: EvalContext = {
    dataset,
    settings,
    encoder: loadEmbedder,
    documentVectors: (texts = 'beir') => {
      let store = vectors.get(texts);
      if (store === undefined) vectors.set(texts, (store = embedCorpus(dataset, texts, options, loadEmbedder, log)));
      return store;
    },
    once: <T>(key: string, make: () => Promise<T>) => {
      let value = shared.get(key);
      if (value === undefined) shared.set(key, (value = make()));
      return value as Promise<T>;
    },
    reranker: () => {
      if (options.rerankModel === undefined) throw new SgptError('INPUT_INVALID', 'the rerank method needs a causal LM (--rerank-model)');
      return (reranker ??= Reranker.load(options.rerankModel, options.threads ? { threads: options.threads } : {}));
    },
    run: (name) => {
      let run = runs.get(name);
      if (run === undefined) {
        const method = findMethod(name);
        announce(name);
        runs.set(name, (run = method.run(ctx)));
      }
      return run;
    },
    scored: (name) => {
      let run = scoredRuns.get(name);
      if (run === undefined) {
        const method = findMethod(name);
        if (method.scored === undefined) throw new SgptError('INTERNAL', `eval method ${name} has no scores to fuse`);
        announce(name);
        scoredRuns.set(name, (run = method.scored(ctx)));
      }
      return run;
    },
    judge: (query, ranking) => ndcgAt(scoring.ranking(ranking), scoring.qrels.get(query) ?? new Map<string, number>(), 10),
    log,
  };

  return {
    ctx,
    dataset,
    settings,
    scoring,
    modelId: async () => (await loadEmbedder()).modelId,
    dispose: async () => {
      await Promise.allSettled([embedder?.then((e) => e.dispose()), reranker?.then((r) => r.dispose())]);
    },
  };
}

export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const methodNames = [...(options.methods ?? DEFAULT_METHODS)];
  if (methodNames.length === 0) throw new SgptError('INPUT_INVALID', 'no eval methods given');
  const methods = methodNames.map(findMethod);
  const needsModel = methods.some((method) => method.needsModel) || (options.sweepWeights?.length ?? 0) > 0;
  if (needsModel && options.model === undefined) throw new SgptError('INPUT_INVALID', `methods ${methodNames.join(', ')} need a model`);
  const { ctx, dataset, settings, scoring, modelId, dispose } = await openEval(options);
  try {
    const results: MethodScores[] = [];
    const timed = async (name: string, run: () => Promise<Run>) => {
      const start = performance.now();
      const scores = evaluateRun(scoredRun(await run(), scoring), scoring.qrels);
      results.push({ method: name, ...scores, seconds: (performance.now() - start) / 1000 });
    };
    const sweep = options.sweepWeights ?? [];
    const sweepRows = async (method: EvalMethod) => {
      for (const fusionWeight of sweep) await timed(`${method.name}@${fusionWeight}`, () => method.run({ ...ctx, settings: { ...settings, fusionWeight } }));
    };
    for (const method of methods) {
      if (method.fusion !== undefined && sweep.length > 0) await sweepRows(method);
      else await timed(method.name, () => ctx.run(method.name));
    }
    if (sweep.length > 0 && !methods.some((method) => method.fusion !== undefined)) await sweepRows(findMethod(SWEPT));
    return {
      data: options.data,
      split: dataset.split,
      documents: dataset.corpus.length,
      queries: dataset.queries.length,
      unit: scoring.unit,
      model: needsModel ? await modelId() : null,
      results,
    };
  } finally {
    await dispose();
  }
}

/** Document vectors of the corpus (role document; BEIR's title + text, or the product's text), from the cache when it has them. */
async function embedCorpus(
  dataset: BeirDataset,
  policy: 'beir' | 'product',
  options: EvalOptions,
  load: () => Promise<Embedder>,
  log: (message: string) => void,
): Promise<VectorStore> {
  const embedder = await load();
  const texts = dataset.corpus.map(policy === 'beir' ? documentText : productEmbeddingText);
  const ids = dataset.corpus.map((doc) => doc.id);
  const key =
    options.cacheDir === null
      ? null
      : cacheKey({
          model: (await modelFolderHash(options.model!)) || embedder.modelId,
          settings: { sgpt: embedder.settings, dtype: options.dtype ?? null },
          texts,
        });
  if (key !== null) {
    const cached = await readCached(options.cacheDir!, key, texts.length);
    if (cached === 'damaged' || (cached !== null && cached.dims !== embedder.dims)) {
      log(`warning: the cached document embeddings in ${options.cacheDir} are damaged or of an older format: embedding again and replacing them`);
    } else if (cached !== null) {
      log(`document embeddings from the cache (${options.cacheDir})`);
      return new VectorStore(cached.vectors, cached.owner, cached.dims, ids);
    }
  }
  log(`embedding ${texts.length} documents with ${embedder.modelId} (${embedder.backend})`);
  let next = 0.1;
  const start = performance.now();
  const embedded = await embedder.embed(texts, 'document', {
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    onProgress: (done, total) => {
      if (done / total < next) return;
      next = Math.floor((done / total) * 10) / 10 + 0.1;
      log(`  ${done}/${total} documents, ${((performance.now() - start) / 1000).toFixed(1)} s`);
    },
  });
  if (key !== null) {
    try {
      await writeCached(options.cacheDir!, key, embedded, texts.length);
    } catch (error) {
      // The vectors are made: an unusable cache folder costs the next run, not this one.
      log(`warning: the embedding cache ${options.cacheDir} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): going on uncached`);
    }
  }
  return new VectorStore(embedded.vectors, embedded.owner, embedded.dims, ids);
}

/** A fixed-width table: method first, then nDCG@10, Recall@100, MRR@10, queries, seconds. */
export function formatReport(report: EvalReport): string {
  const header = ['method', 'nDCG@10', 'R@100', 'MRR@10', 'queries', 'seconds'];
  const rows = report.results.map((r) => [r.method, r.ndcg10.toFixed(4), r.recall100.toFixed(4), r.mrr10.toFixed(4), String(r.queries), r.seconds.toFixed(1)]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const about = `${report.data} (${report.split}): ${report.documents} documents, ${report.queries} queries${report.unit === 'page' ? ', scored by page' : ''}${report.model ? `; model ${report.model}` : ''}`;
  return [about, line(header), ...rows.map(line)].join('\n');
}
