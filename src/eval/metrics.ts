/**
 * Retrieval metrics, as the shared data README defines them:
 * - nDCG@k: gain = the qrels score, discount 1 / log2(rank + 1), ideal DCG from all judged
 *   documents with score > 0 (sorted by score);
 * - Recall@k: relevant (score > 0) documents found in the top k / all relevant documents;
 * - MRR@k: 1 / rank of the first relevant document in the top k, else 0.
 * Averages run over the queries with at least one relevant document; a query that a run does
 * not answer counts as an empty ranking (all zeros).
 */

/** Judgements of one query: document id -> graded score (0 = judged not relevant). */
export type Judgements = ReadonlyMap<string, number>;
/** query id -> judgements. */
export type Qrels = ReadonlyMap<string, Judgements>;
/** query id -> document ids, best first. */
export type Run = ReadonlyMap<string, readonly string[]>;

export function dcgAt(gains: readonly number[], k: number): number {
  let sum = 0;
  const end = Math.min(k, gains.length);
  for (let i = 0; i < end; i++) sum += (gains[i] as number) / Math.log2(i + 2);
  return sum;
}

function relevant(judgements: Judgements): number {
  let count = 0;
  for (const score of judgements.values()) if (score > 0) count++;
  return count;
}

export function ndcgAt(ranking: readonly string[], judgements: Judgements, k: number): number {
  const ideal = dcgAt(
    [...judgements.values()].filter((score) => score > 0).sort((a, b) => b - a),
    k,
  );
  if (ideal === 0) return 0;
  const gains = ranking.slice(0, k).map((doc) => Math.max(0, judgements.get(doc) ?? 0));
  return dcgAt(gains, k) / ideal;
}

export function recallAt(ranking: readonly string[], judgements: Judgements, k: number): number {
  const total = relevant(judgements);
  if (total === 0) return 0;
  let found = 0;
  for (const doc of ranking.slice(0, k)) if ((judgements.get(doc) ?? 0) > 0) found++;
  return found / total;
}

export function mrrAt(ranking: readonly string[], judgements: Judgements, k: number): number {
  const end = Math.min(k, ranking.length);
  for (let i = 0; i < end; i++) if ((judgements.get(ranking[i] as string) ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

export interface Scores {
  ndcg10: number;
  recall100: number;
  mrr10: number;
  /** Queries averaged over: those with at least one relevant document. */
  queries: number;
}

/** Mean nDCG@10, Recall@100 and MRR@10 of `run` against `qrels`. */
export function evaluateRun(run: Run, qrels: Qrels): Scores {
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  let queries = 0;
  for (const [query, judgements] of qrels) {
    if (relevant(judgements) === 0) continue;
    const ranking = run.get(query) ?? [];
    ndcg += ndcgAt(ranking, judgements, 10);
    recall += recallAt(ranking, judgements, 100);
    mrr += mrrAt(ranking, judgements, 10);
    queries++;
  }
  if (queries === 0) return { ndcg10: 0, recall100: 0, mrr10: 0, queries: 0 };
  return { ndcg10: ndcg / queries, recall100: recall / queries, mrr10: mrr / queries, queries };
}
