/**
 * The eval runner's `rerank` method: SGPT-CE over the top `rerankK` documents of the product's
 * ranking (eval's `default`; the rest of the run keeps its order below them), as the paper
 * reranks BM25's top 100. The LM reads each document as the element reads a document given in
 * the page (title, newline, text: src/worker/documents), a site section with its place.
 */
import { DEFAULT_RERANK_K } from '../rerank/hit-text';
import { productEmbeddingText, type BeirDoc } from './beir';
import type { Run } from './metrics';
import { productDefault, type EvalMethod } from './methods';


export const rerankMethod: EvalMethod = {
  name: 'rerank',
  description: `SGPT-CE: rerank the top k of the product's ranking (default; --rerank-k, default ${DEFAULT_RERANK_K}) by the query's log-probability under a causal LM`,
  needsModel: true,
  async run(ctx) {
    const baseName = productDefault.name;
    const base = await ctx.run(baseName);
    const reranker = await ctx.reranker();
    const k = ctx.settings.rerankK;
    const byId = new Map<string, BeirDoc>(ctx.dataset.corpus.map((doc) => [doc.id, doc]));
    const { queries } = ctx.dataset;
    ctx.log(`reranking the top ${k} of ${baseName} for ${queries.length} queries with ${reranker.lm.modelId}`);
    const run = new Map<string, readonly string[]>();
    for (const [n, query] of queries.entries()) {
      const { items } = await reranker.rerankTop(query.text, base.get(query.id) ?? [], k, (id) => productEmbeddingText(byId.get(id)!));
      run.set(query.id, items);
      if ((n + 1) % 25 === 0) ctx.log(`reranked ${n + 1}/${queries.length} queries`);
    }
    return run satisfies Run;
  },
};
